// Every keyword table by block name, for tests, docs and editor tooling. Block names are the
// keepalived keywords that open them (`url` is HTTP_GET/SSL_GET's, `smtp_host` is SMTP_CHECK's
// legacy `host`). List blocks such as virtual_ipaddress hold data, not keywords.
import { topLevelTable } from '../build-model.js';
import { checkerTables, smtpHostTable, urlTable } from './checkers.js';
import { globalDefsTable } from './global-defs.js';
import { bfdInstanceTable, garpGroupTable, sslTable } from './misc-blocks.js';
import type { KeywordTable } from './table.js';
import { realServerTable, virtualServerTable } from './virtual-server.js';
import { vrrpInstanceTable } from './vrrp-instance.js';
import { syncGroupTable, trackFileTable, trackProcessTable, vrrpScriptTable } from './vrrp-trackers.js';

/** The authentication block is handled inline by vrrp_instance; this table is its keyword set. */
const authenticationKeywords: KeywordTable<unknown> = {
  auth_type: { minArgs: 1, handle: () => undefined },
  auth_pass: { minArgs: 1, handle: () => undefined },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const TABLES_BY_BLOCK: Readonly<Record<string, KeywordTable<any>>> = {
  top: topLevelTable,
  global_defs: globalDefsTable,
  vrrp_script: vrrpScriptTable,
  track_file: trackFileTable,
  vrrp_track_process: trackProcessTable,
  vrrp_sync_group: syncGroupTable,
  vrrp_instance: vrrpInstanceTable,
  authentication: authenticationKeywords,
  virtual_server: virtualServerTable,
  real_server: realServerTable,
  ...checkerTables,
  url: urlTable,
  smtp_host: smtpHostTable,
  SSL: sslTable,
  bfd_instance: bfdInstanceTable,
  garp_group: garpGroupTable,
};

/** Keywords recognised in each block, sorted. */
export const KEYWORDS_BY_BLOCK: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(TABLES_BY_BLOCK).map(([k, t]) => [k, Object.keys(t).sort()]),
);

/** Keywords of a block that open a `{ ... }` block themselves. */
export function blockKeywordsOf(block: string): readonly string[] {
  return Object.entries(TABLES_BY_BLOCK[block] ?? {})
    .filter(([, d]) => d.block !== undefined)
    .map(([k]) => k);
}
