// The daemon's use of the one config pipeline (config/pipeline.ts, shared with `-t` and
// `--dump-config`): keepalived's start-up lines, every diagnostic logged in file order, and the
// refusals that stop the start before the host is touched.
import { DiagnosticSink, formatDiagnostic, type Diagnostic } from '../lib/diagnostics.js';
import type { Logger } from '../lib/log.js';
import { COMPAT_VERSION, packageVersion } from '../lib/version.js';
import { mainFiles, readConfig, type MainFiles } from '../config/pipeline.js';
import type { ConfigTree } from '../config/ast.js';
import type { KeepalivedConfig } from '../config/model.js';
import { startRefusal } from './instance-wiring.js';
import type { DaemonOptions } from './daemon-options.js';
import { EXIT, StartError } from './start-error.js';

export interface DaemonConfig {
  readonly tree: ConfigTree;
  readonly model: KeepalivedConfig;
  readonly diagnostics: readonly Diagnostic[];
  /** No vrrp_instance configured (the VRRP side, when it runs, has nothing to run). */
  readonly empty: boolean;
}

/** The main files of `-f`; a missing one stops the start (keepalived exits 6, before its banner). */
export function daemonMainFiles(o: DaemonOptions): MainFiles {
  const main = mainFiles(o.configFile);
  // Only a missing file stops the daemon here; one it cannot read is reported by the parser.
  if (main.problem?.missing) throw new StartError(`keepalived-ts: configuration file ${o.configFile} not found`, EXIT.NO_CONFIG);
  return main;
}

/** keepalived's start-up banner, the config read through the pipeline, its diagnostics logged. */
export async function loadDaemonConfig(o: DaemonOptions, main: MainFiles, log: Logger): Promise<DaemonConfig> {
  // keepalived's start-up banner, in its words (people grep for them), our version added.
  log.info(`Starting Keepalived v${COMPAT_VERSION} (keepalived-ts v${packageVersion()})`);
  // keepalived prints "Opening file" only with -D (detail), "Configuration file" always.
  log.debug(`Opening file '${o.configFile}'.`);
  log.info(`Configuration file ${o.configFile}`);
  const sink = new DiagnosticSink();
  const { tree, model, diagnostics } = readConfig(main, { configId: o.configId }, sink);
  const ordered = diagnostics();
  for (const d of ordered) logDiagnostic(log, d);
  refuse(o, sink.items);
  if (o.dumpConf) {
    // -d: the parsed configuration, one log line per line of the JSON model.
    const { modelToJson } = await import('../config/model-json.js');
    log.info(`------< configuration of ${o.configFile} >------`);
    for (const line of modelToJson(model).split('\n')) log.info(line);
  }
  // keepalived 2.2.7 with nothing configured logs "no configuration to run" and stays up waiting
  // for a reload (exiting would make systemd restart it in a loop). We do the same: a reload
  // (core/reload.ts) that brings vrrp_instances starts them.
  const empty = model.vrrpInstances.length === 0;
  if (empty && model.virtualServers.length === 0) log.warn({ configFile: o.configFile }, `no vrrp_instance or virtual_server in ${o.configFile}: nothing to run; staying up, idle, until stopped`);
  return { tree, model, diagnostics: ordered, empty };
}

function logDiagnostic(log: Logger, d: Diagnostic): void {
  const line = formatDiagnostic(d);
  if (d.severity === 'error') log.error({ code: d.code }, line);
  else if (d.severity === 'warning') log.warn({ code: d.code }, line);
  else log.debug({ code: d.code }, line);
}

/** The config problems that stop the start (StartError), checked in keepalived's order. */
function refuse(o: DaemonOptions, items: readonly Diagnostic[]): void {
  if (o.allConfig) {
    // keepalived 2.2.7 -e: "Config files missing" for an include, then exit 6 (observed).
    const missing = items.filter((d) => d.code === 'include-not-found' || d.code === 'include-unreadable');
    if (missing.length > 0) throw new StartError(`keepalived-ts: -e/--all-config: ${missing.map((d) => formatDiagnostic(d)).join('; ')}`, EXIT.NO_CONFIG);
  }
  // VRRP's (keepalived's vrrp_complete_init failures); the IPVS director's refusals join here.
  const refusal = startRefusal(items);
  if (refusal) throw new StartError(`keepalived-ts: ${formatDiagnostic(refusal)}`, EXIT.CONFIG);
}
