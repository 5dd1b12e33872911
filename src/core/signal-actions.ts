// What the daemon does on each keepalived signal (see signals.ts for which signal is which):
// stop, the reload (core/reload.ts), and the three dumps, built from the runtime's status, the wired
// instance specs and the counters.
import type { Logger } from '../lib/log.js';
import type { RuntimeInstanceSpec, VrrpRuntime } from '../vrrp/runtime/vrrp-runtime.js';
import type { SignalActions } from './signals.js';
import type { VrrpStats } from './vrrp-stats.js';
import type { LvsStatus } from './lvs-subsystem.js';
import { CHECK_DATA_FILE, formatCheckData } from './check-dump.js';
import { PARENT_DATA_FILE, formatParentData } from './parent-dump.js';
import { COMPAT_VERSION, packageVersion } from '../lib/version.js';
import { DUMP_FILES, dumpFileMode, formatData, formatJson, formatStats, writeDumpFile, type DumpContext } from './state-dump.js';

export interface SignalActionDeps {
  /** The VRRP side, when it runs (not with -C). */
  readonly vrrp?: { readonly runtime: VrrpRuntime; readonly stats: VrrpStats; readonly specs: readonly RuntimeInstanceSpec[] };
  /** The LVS side's status, when it runs: the data dump writes it to its own file, as keepalived's checker child does. */
  readonly lvs?: () => LvsStatus;
  readonly log: Logger;
  readonly stop: () => Promise<number>;
  /** SIGHUP: the daemon's reload (core/reload.ts). */
  readonly reload?: () => void;
  readonly options: {
    readonly configFile: string;
    readonly configId: string;
    /** -u as given: the dumps' modes follow it. */
    readonly umask?: number;
    readonly dumpFiles?: { readonly data: string; readonly stats: string; readonly json: string; readonly checkData?: string; readonly parentData?: string };
  };
  /** The control socket's path, named in the parent's data dump. */
  readonly controlSocket?: () => string | undefined;
}

export function daemonSignalActions(d: SignalActionDeps): SignalActions {
  // The VRRP side is read at each signal: a reload may have started it since (LVS-only start).
  const { log, options: o } = d;
  const files: { data: string; stats: string; json: string; checkData?: string; parentData?: string } = o.dumpFiles ?? DUMP_FILES;
  const context = (): DumpContext => {
    const vrrp = d.vrrp;
    // Built per dump: a reload may have added or removed instances.
    const specsByName = new Map((vrrp?.specs ?? []).map((s) => [s.cfg.name, s]));
    return {
      pid: process.pid,
      now: Date.now(),
      configFile: o.configFile,
      configId: o.configId,
      instances: (vrrp?.runtime.status() ?? []).flatMap((st) => {
        const spec = specsByName.get(st.name);
        if (!spec || !vrrp) return [];
        const lastTransition = vrrp.stats.lastTransition.get(st.name);
        return [{ spec, status: st, stats: vrrp.stats.get(st.name), ...(lastTransition !== undefined ? { lastTransition } : {}) }];
      }),
    };
  };
  const dump = (what: string, path: string, text: string) => {
    try {
      writeDumpFile(path, text, dumpFileMode(o.umask));
      log.info({ file: path }, `${what} written to ${path}`);
    } catch (e) {
      log.error({ file: path, code: (e as NodeJS.ErrnoException).code }, `cannot write ${what} to ${path}: ${(e as Error).message}`);
    }
  };
  return {
    stop: () => void d.stop(),
    reload: () => (d.reload ? d.reload() : log.warn('SIGHUP: configuration reload is not available; configuration unchanged, still running')),
    data: () => {
      const vrrp = d.vrrp;
      // keepalived 2.2.7: the parent writes its own file, then each running child its own.
      log.info(`Printing parent data for process(${process.pid}) on signal`);
      const socket = d.controlSocket?.();
      dump(
        'parent data',
        files.parentData ?? PARENT_DATA_FILE,
        formatParentData({
          pid: process.pid,
          now: Date.now(),
          configFile: o.configFile,
          configId: o.configId,
          version: packageVersion(),
          compatVersion: COMPAT_VERSION,
          vrrp: vrrp !== undefined,
          checkers: d.lvs !== undefined,
          ...(socket !== undefined ? { controlSocket: socket } : {}),
          ...(o.umask !== undefined ? { umask: o.umask } : {}),
        }),
      );
      if (vrrp) {
        log.info(`Printing VRRP data for process(${process.pid}) on signal`);
        log.info({ status: vrrp.runtime.status(), lag: vrrp.runtime.lag }, 'status');
        dump('state data', files.data, formatData(context()));
      }
      if (d.lvs) {
        log.info(`Printing checker data for process(${process.pid}) on signal`);
        const lvs = d.lvs();
        log.info({ ipvs: lvs }, 'checker status');
        dump('checker data', files.checkData ?? CHECK_DATA_FILE, formatCheckData(lvs, { pid: process.pid, now: Date.now() }));
      }
    },
    // Statistics and JSON are the VRRP child's: without it (-C) keepalived writes neither.
    stats: (clear) => {
      const vrrp = d.vrrp;
      if (!vrrp) return;
      log.info(`Printing ${clear ? 'and clearing ' : ''}VRRP stats for process(${process.pid}) on signal`);
      dump(clear ? 'statistics (then cleared)' : 'statistics', files.stats, formatStats(context()));
      if (clear) vrrp.stats.clear();
    },
    json: () => {
      if (!d.vrrp) return;
      log.info(`Printing VRRP as json for process(${process.pid}) on signal`);
      dump('JSON state', files.json, formatJson(context()));
    },
  };
}
