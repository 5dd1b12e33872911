// The daemon's signal handling, one handler per keepalived signal (keepalived --signum names):
//   TERM, INT   STOP         orderly stop (priority 0, VIPs removed, notify STOP, pid files removed)
//   HUP         RELOAD       configuration reload (not implemented yet: logged, nothing changes)
//   USR1        DATA         state dump to /tmp/keepalived.data
//   USR2        STATS        statistics to /tmp/keepalived.stats
//   SIGRTMAX-1  STATS_CLEAR  statistics to /tmp/keepalived.stats, then counters zeroed
//   SIGRTMIN+2  JSON         state and statistics as JSON to /tmp/keepalived.json
// Without a handler USR2 and the realtime signals terminate the process at once (their default
// action): no priority-0 advert, VIPs and pid files left behind. Node's process.on() has names
// for the classic signals only; the realtime ones are watched through the addon's uv_signal.
// A handler never throws: a failure is logged and the daemon keeps running.
import type { Logger } from '../lib/log.js';
import { SIGNUMS } from '../cli/argv.js';

export interface SignalActions {
  stop(): void;
  reload(): void;
  data(): void;
  stats(clear: boolean): void;
  json(): void;
}

/** What watches the signals Node cannot name (the addon's SignalWatch in production). */
export type RawSignalWatcher = (signum: number, onSignal: () => void) => { close(): void };

/** Installs every handler; returns a function that removes them again. */
export function installSignalHandlers(actions: SignalActions, log: Logger, watchRaw?: RawSignalWatcher): () => void {
  const guarded = (name: string, f: () => void) => () => {
    try {
      f();
    } catch (e) {
      log.error({ signal: name, err: String(e) }, `${name}: handler failed: ${(e as Error).message ?? String(e)}`);
    }
  };
  const named: [NodeJS.Signals, () => void][] = [
    ['SIGTERM', guarded('SIGTERM', () => actions.stop())],
    ['SIGINT', guarded('SIGINT', () => actions.stop())],
    ['SIGHUP', guarded('SIGHUP', () => actions.reload())],
    ['SIGUSR1', guarded('SIGUSR1', () => actions.data())],
    ['SIGUSR2', guarded('SIGUSR2', () => actions.stats(false))],
  ];
  // `on`, not `once`: with no listener left a second TERM/INT (systemd, a double Ctrl-C) would
  // kill the process mid-stop, leaving VIPs and pid files behind. stop() runs only once.
  for (const [sig, h] of named) process.on(sig, h);
  const raw: { close(): void }[] = [];
  const rt: [string, number, () => void][] = [
    ['STATS_CLEAR', SIGNUMS.STATS_CLEAR, guarded('STATS_CLEAR', () => actions.stats(true))],
    ['JSON', SIGNUMS.JSON, guarded('JSON', () => actions.json())],
  ];
  for (const [name, signum, h] of rt) {
    try {
      if (!watchRaw) throw new Error('no realtime signal support');
      raw.push(watchRaw(signum, h));
    } catch (e) {
      log.error({ signal: signum, err: String(e) }, `cannot handle signal ${signum} (${name}): it would stop the daemon; ${(e as Error).message}`);
    }
  }
  return () => {
    for (const [sig, h] of named) process.off(sig, h);
    for (const r of raw) r.close();
  };
}

/** The addon's watcher, or undefined when the addon predates it. */
export async function nativeSignalWatcher(): Promise<RawSignalWatcher | undefined> {
  const { loadNative } = await import('../net/native.js');
  const Ctor = loadNative().SignalWatch;
  if (!Ctor) return undefined;
  return (signum, onSignal) => new Ctor(signum, () => onSignal());
}
