// The accept-mode firewall for the instances that need it (docs/adr/0024): which instances drop
// traffic to their VIPs while master, in which nftables table, through which runner.
import type { Logger } from '../lib/log.js';
import type { KeepalivedConfig } from '../config/model.js';
import { NftFirewall, RecordingNftRunner, type NftRunner } from '../kernel/nft-firewall.js';
import { NoAcceptFirewall } from '../vrrp/runtime/no-accept.js';
import type { RuntimeInstanceSpec } from '../vrrp/runtime/vrrp-runtime.js';

/** keepalived's DEFAULT_NFTABLES_TABLE. */
export const DEFAULT_NFTABLES_TABLE = 'keepalived';

/**
 * undefined when no instance has no_accept. An instance that is its VIPs' owner (priority 255)
 * keeps accepting (RFC 5798 6.1; keepalived's vrrp_handle_accept_mode), but still makes keepalived
 * pick nftables when no firewall is configured, with its log line.
 */
export function acceptModeFirewall(
  model: KeepalivedConfig,
  specs: readonly RuntimeInstanceSpec[],
  runner: NftRunner | undefined,
  log: Logger,
): { firewall: NftFirewall; hook: NoAcceptFirewall } | undefined {
  const g = model.globalDefs;
  const noAccept = model.vrrpInstances.filter((v) => !v.accept);
  if (noAccept.length === 0) return undefined;
  if (g.nftables === undefined) log.info('use_vmac or no_accept/strict specified, but no firewall configured - using nftables');
  const table = g.nftables ?? DEFAULT_NFTABLES_TABLE;
  const byName = new Map(specs.map((s) => [s.cfg.name, s]));
  const instances = noAccept
    .filter((v) => v.priority !== 255)
    .flatMap((v) => {
      const spec = byName.get(v.name);
      return spec ? [{ spec, linkByName: v.dontTrackPrimary && !g.nftablesIfindex }] : [];
    });
  const firewall = new NftFirewall({ table, priority: g.nftablesPriority, counters: g.nftablesCounters }, runner ?? new RecordingNftRunner(), log);
  return { firewall, hook: new NoAcceptFirewall(firewall, instances, log) };
}
