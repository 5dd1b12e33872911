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
import { SIGNUMS } from '../lib/signums.js';

export interface SignalActions {
  stop(): void;
  reload(): void;
  data(): void;
  stats(clear: boolean): void;
  json(): void;
}

/** What watches the signals Node cannot name (the addon's SignalWatch in production). */
export type RawSignalWatcher = (signum: number, onSignal: () => void) => { close(): void };

/** The signal names the handlers know, in keepalived's --signum terms where Node has no name. */
export type DaemonSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'SIGUSR1' | 'SIGUSR2' | 'STATS_CLEAR' | 'JSON';
const NAMED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];
const REALTIME: readonly ['STATS_CLEAR' | 'JSON', number][] = [
  ['STATS_CLEAR', SIGNUMS.STATS_CLEAR],
  ['JSON', SIGNUMS.JSON],
];

/** Runs the action for one signal. */
export function dispatchSignal(actions: SignalActions, sig: DaemonSignal): void {
  switch (sig) {
    case 'SIGTERM':
    case 'SIGINT':
      return actions.stop();
    case 'SIGHUP':
      return actions.reload();
    case 'SIGUSR1':
      return actions.data();
    case 'SIGUSR2':
      return actions.stats(false);
    case 'STATS_CLEAR':
      return actions.stats(true);
    case 'JSON':
      return actions.json();
  }
}

/**
 * Handlers for the start-up (module loading, config parsing, wiring take a few hundred ms): a
 * signal then is remembered instead of taking its default action, and handed to the daemon once
 * its own handlers are in place (a TERM during start-up stops the daemon as soon as it runs).
 */
export class EarlySignals {
  private readonly pending: DaemonSignal[] = [];
  private readonly named = new Map<NodeJS.Signals, () => void>();
  private readonly raw: { close(): void }[] = [];

  constructor(watchRaw?: RawSignalWatcher) {
    for (const sig of NAMED) {
      const h = () => void this.pending.push(sig as DaemonSignal);
      process.on(sig, h);
      this.named.set(sig, h);
    }
    for (const [name, signum] of REALTIME) {
      try {
        if (watchRaw) this.raw.push(watchRaw(signum, () => void this.pending.push(name)));
      } catch {
        /* the daemon's own handlers report it */
      }
    }
  }

  /** Removes these handlers (call after the daemon's are installed) and returns what arrived. */
  handOver(): DaemonSignal[] {
    for (const [sig, h] of this.named) process.off(sig, h);
    this.named.clear();
    for (const r of this.raw.splice(0)) r.close();
    return this.pending.splice(0);
  }
}

/** Installs every handler; returns a function that removes them again. */
export function installSignalHandlers(actions: SignalActions, log: Logger, watchRaw?: RawSignalWatcher): () => void {
  const guarded = (name: string, f: () => void) => () => {
    try {
      f();
    } catch (e) {
      log.error({ signal: name, err: String(e) }, `${name}: handler failed: ${(e as Error).message ?? String(e)}`);
    }
  };
  const named: [NodeJS.Signals, () => void][] = NAMED.map((sig) => [sig, guarded(sig, () => dispatchSignal(actions, sig as DaemonSignal))]);
  // `on`, not `once`: with no listener left a second TERM/INT (systemd, a double Ctrl-C) would
  // kill the process mid-stop, leaving VIPs and pid files behind. stop() runs only once.
  for (const [sig, h] of named) process.on(sig, h);
  const raw: { close(): void }[] = [];
  for (const [name, signum] of REALTIME) {
    const h = guarded(name, () => dispatchSignal(actions, name));
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
