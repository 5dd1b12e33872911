// ConfigTree -> KeepalivedConfig. Walks the top-level statements with the top-level keyword
// table (each block has its own table under keywords/), then runs keepalived's completion and
// validation passes (vrrp_complete_instance, validate_check_config) which apply the defaults
// that depend on other keywords and report cross-reference problems.
import type { ConfigTree, Statement } from './ast.js';
import type { DiagnosticSink } from '../lib/diagnostics.js';
import type { Retain } from './grammar-types.js';
import type { KeepalivedConfig } from './model.js';
import { completeCheck } from './keywords/complete-check.js';
import { completeVrrp } from './keywords/complete-vrrp.js';
import { defaultGlobalDefs, globalDefsTable } from './keywords/global-defs.js';
import { bfdInstanceTable, garpGroupTable, parseVsg, sslTable } from './keywords/misc-blocks.js';
import { applyBlock, isPlainUnknown, stored, tableMap, type BuildCtx, type BuildOptions, type KeywordDef, type KeywordTable } from './keywords/table.js';
import { newVirtualServer, parseVsTarget, virtualServerTable, type VsDraft } from './keywords/virtual-server.js';
import { newInstance, vrrpInstanceTable, type InstanceDraft } from './keywords/vrrp-instance.js';
import './keywords/keepalived-messages.js';
import { parseRouteBlock, parseRuleBlock } from './keywords/route-rule.js';
import { parseVipBlock } from './keywords/vrrp-lists.js';
import {
  newSyncGroup,
  newTrackFile,
  newTrackProcess,
  newVrrpScript,
  syncGroupTable,
  trackFileTable,
  trackProcessTable,
  vrrpScriptTable,
  type ScriptDraft,
} from './keywords/vrrp-trackers.js';

export type { BuildOptions } from './keywords/table.js';

/** The model while it is being built: instance/VS drafts carry "was written" sets. */
interface Draft extends KeepalivedConfig {
  vrrpInstances: InstanceDraft[];
  virtualServers: VsDraft[];
  vrrpScripts: ScriptDraft[];
}

function emptyConfig(): Draft {
  return {
    globalDefs: defaultGlobalDefs(),
    vrrpScripts: [],
    trackFiles: [],
    vrrpTrackProcesses: [],
    vrrpSyncGroups: [],
    vrrpInstances: [],
    staticIpaddress: [],
    staticRoutes: [],
    staticRules: [],
    garpGroups: [],
    virtualServerGroups: [],
    virtualServers: [],
    bfdInstances: [],
    other: {},
  };
}

/** A named top-level block: `KEYWORD NAME { ... }`. */
function named(make: (name: string, s: Statement, m: Draft, ctx: BuildCtx) => void): KeywordDef<Draft> {
  return { minArgs: 1, block: 'required', handle: (s, m, ctx) => make(s.args[0].text, s, m, ctx) };
}

/** A named block read through its keyword table into a fresh value appended to one list of the model. */
function namedList<T>(create: (name: string, loc: Statement['loc']) => T, table: KeywordTable<T>, list: (m: Draft) => T[]): KeywordDef<Draft> {
  return named((name, s, m, ctx) => {
    const x = create(name, s.loc);
    applyBlock(table, s.block ?? [], x, ctx);
    list(m).push(x);
  });
}

const trackFileBlock = named((name, s, m, ctx) => {
  const t = newTrackFile(name, s.loc);
  applyBlock(trackFileTable, s.block ?? [], t, ctx);
  if (t.file === undefined) ctx.sink.error('missing-parameter', `track_file ${name} has no file - ignoring`, s.loc);
  else m.trackFiles.push(t);
});

export const topLevelTable: KeywordTable<Draft> = {
  global_defs: { minArgs: 0, block: 'required', handle: (s, m, ctx) => applyBlock(globalDefsTable, s.block ?? [], m.globalDefs, ctx) },
  net_namespace: { minArgs: 1, handle: (s, m) => (m.netNamespace = s.args[0].text) },
  net_namespace_ipvs: { minArgs: 0, handle: (s, m) => (m.netNamespaceIpvs = s.args[0]?.text ?? '') },
  namespace_with_ipsets: stored(),
  instance: { minArgs: 1, handle: (s, m) => (m.instance = s.args[0].text) },
  use_pid_dir: stored(),
  linkbeat_use_polling: stored(),
  child_wait_time: stored(1),
  linkbeat_interfaces: stored(0, 'required'),
  interface_up_down_delays: stored(0, 'required'),
  track_group: stored(1, 'required'),
  static_ipaddress: { minArgs: 0, block: 'required', handle: (s, m, ctx) => m.staticIpaddress.push(...parseVipBlock(s, ctx, 'VRRP', 'static')) },
  static_routes: { minArgs: 0, block: 'required', handle: (s, m, ctx) => m.staticRoutes.push(...parseRouteBlock(s, ctx, 'static')) },
  static_rules: { minArgs: 0, block: 'required', handle: (s, m, ctx) => m.staticRules.push(...parseRuleBlock(s, ctx, 'static')) },
  garp_group: {
    minArgs: 0,
    block: 'required',
    handle: (s, m, ctx) => {
      const g = { loc: s.loc, interfaces: [] };
      applyBlock(garpGroupTable, s.block ?? [], g, ctx);
      m.garpGroups.push(g);
    },
  },
  vrrp_script: namedList(newVrrpScript, vrrpScriptTable, (m) => m.vrrpScripts),
  track_file: trackFileBlock,
  // Old name: keepalived 2.2.7 accepts it silently.
  vrrp_track_file: trackFileBlock,
  vrrp_track_process: namedList(newTrackProcess, trackProcessTable, (m) => m.vrrpTrackProcesses),
  vrrp_sync_group: namedList(newSyncGroup, syncGroupTable, (m) => m.vrrpSyncGroups),
  vrrp_instance: named((name, s, m, ctx) => {
    // alloc_vrrp(): global defaults are copied now, when the block opens.
    const v = newInstance(name, s.loc, m.globalDefs);
    applyBlock(vrrpInstanceTable, s.block ?? [], v, ctx);
    m.vrrpInstances.push(v);
  }),
  bfd_instance: named((name, s, m, ctx) => {
    const b = { name, loc: s.loc, other: {} };
    applyBlock(bfdInstanceTable, s.block ?? [], b, ctx);
    m.bfdInstances.push(b);
  }),
  SSL: {
    minArgs: 0,
    block: 'required',
    handle: (s, m, ctx) => {
      m.ssl ??= {};
      applyBlock(sslTable, s.block ?? [], m.ssl, ctx);
    },
  },
  virtual_server_group: named((name, s, m, ctx) => m.virtualServerGroups.push(parseVsg(name, s, ctx))),
  virtual_server: {
    minArgs: 1,
    block: 'required',
    handle: (s, m, ctx) => {
      const target = parseVsTarget(s, ctx);
      if (!target) return;
      const vs = newVirtualServer(target, s.loc);
      applyBlock(virtualServerTable, s.block ?? [], vs, ctx);
      m.virtualServers.push(vs);
    },
  },
};


/**
 * The block tables of top-level keywords whose handler applies that table to the whole block
 * (so every unknown keyword in it is reported by `applyBlock`), with the words the handler
 * needs before it does. virtual_server is absent: its block is skipped when its address is bad.
 */
const CHILD_TABLES: ReadonlyMap<string, KeywordTable<never>> = new Map<string, KeywordTable<never>>([
  ['global_defs', globalDefsTable as KeywordTable<never>],
  ['vrrp_script', vrrpScriptTable as KeywordTable<never>],
  ['track_file', trackFileTable as KeywordTable<never>],
  ['vrrp_track_file', trackFileTable as KeywordTable<never>],
  ['vrrp_track_process', trackProcessTable as KeywordTable<never>],
  ['vrrp_sync_group', syncGroupTable as KeywordTable<never>],
  ['vrrp_instance', vrrpInstanceTable as KeywordTable<never>],
  ['bfd_instance', bfdInstanceTable as KeywordTable<never>],
  ['SSL', sslTable as KeywordTable<never>],
  ['garp_group', garpGroupTable as KeywordTable<never>],
]);

/**
 * What the parser may drop because buildModel would not use it (grammar `retain` option): the
 * content of a block whose keyword is unknown (buildModel skips it whole), and, once `sink.limit`
 * unknown keywords of a file are kept for buildModel to report, any further unknown keyword
 * (counted in `sink` instead). A 50 MB file of unknown keywords then never becomes a tree.
 * Only places where buildModel certainly reports an unknown keyword are judged: top level and
 * the blocks of CHILD_TABLES; everything else is kept.
 */
export function modelRetain(sink: DiagnosticSink): Retain {
  const top = tableMap(topLevelTable);
  const kept = new Map<string, number>();
  // Whether the block at `parents[i]` is unknown where it stands (0: top level, 1: in a
  // CHILD_TABLES block); undefined when that cannot be told.
  const unknownAt = (parents: readonly string[], i: number): boolean | undefined => {
    if (i === 0) return isPlainUnknown(parents[0], top);
    const t = CHILD_TABLES.get(parents[0]);
    return i === 1 && t !== undefined ? isPlainUnknown(parents[1], tableMap(t)) : undefined;
  };
  return (s, parents, parentArgc) => {
    // Inside a block buildModel skips as unknown: never looked at.
    if (parents.length >= 1 && unknownAt(parents, 0) === true) return false;
    if (parents.length >= 2 && unknownAt(parents, 1) === true) return false;
    let defs: ReadonlyMap<string, unknown>;
    if (parents.length === 0) defs = top;
    else if (parents.length === 1) {
      const t = CHILD_TABLES.get(parents[0]);
      if (t === undefined || parentArgc < (top.get(parents[0])?.minArgs ?? 0)) return true;
      defs = tableMap(t);
    } else return true;
    if (!isPlainUnknown(s.keyword, defs)) return true;
    const file = s.loc.file;
    const n = kept.get(file) ?? 0;
    if (n < sink.limit) {
      kept.set(file, n + 1);
      return true;
    }
    sink.countSuppressed('unknown-keyword', 'error', s.loc);
    return false;
  };
}

/** Builds the typed model; every problem is reported to `sink`, nothing is thrown. */
export function buildModel(tree: ConfigTree, sink: DiagnosticSink, options: BuildOptions = {}): KeepalivedConfig {
  const ctx: BuildCtx = { sink, options };
  const m = emptyConfig();
  applyBlock(topLevelTable, tree.statements, m, ctx);
  completeVrrp(m, ctx);
  completeCheck(m, ctx);
  // Counts the parser left with the sink (see modelRetain) get their summary line now at the latest.
  sink.flush();
  // Drop the build-time bookkeeping so the model is plain data (JSON-serialisable).
  for (const v of m.vrrpInstances) delete (v as Partial<InstanceDraft>).written;
  for (const vs of m.virtualServers) delete (vs as Partial<VsDraft>).written;
  for (const sc of m.vrrpScripts) delete (sc as Partial<ScriptDraft>).timeoutWritten;
  return m;
}
