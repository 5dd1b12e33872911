// systemd's notify protocol (sd_notify(3), systemd.service(5) Type=notify): newline-separated
// KEY=VALUE assignments in one datagram to the unix socket named by $NOTIFY_SOCKET (a path, or
// '@name' for an abstract socket). Node has no unix datagram socket: UnixDgramClient (the addon).
//
//   start-up complete ─▶ READY=1 + STATUS=...     (systemctl start returns; After= units start)
//   reload begins     ─▶ RELOADING=1 + MONOTONIC_USEC=...; done ─▶ READY=1 + STATUS=...
//   stop begins       ─▶ STOPPING=1
//   every WATCHDOG_USEC/2 from the event loop ─▶ WATCHDOG=1 (a stalled loop misses it and
//                        systemd restarts the unit, when the unit sets WatchdogSec=)
//
// The variables are removed from our environment once read, so notify and check scripts do not
// inherit them (sd_notify's unset_environment; with NotifyAccess=main systemd would ignore their
// messages anyway). No NOTIFY_SOCKET: every call does nothing.
import type { Logger } from '../lib/log.js';
import { UnixDgramClient, UnixDgramError } from '../net/unix-dgram.js';

export interface SdNotifyEnv {
  NOTIFY_SOCKET?: string | undefined;
  WATCHDOG_USEC?: string | undefined;
  WATCHDOG_PID?: string | undefined;
}

/** The watchdog period systemd asks for, in ms; undefined when none applies to this process. */
export function watchdogIntervalMs(env: SdNotifyEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return undefined;
  // sd_watchdog_enabled(3): ping at half the period.
  return Math.max(1, Math.floor(usec / 2000));
}

/** CLOCK_MONOTONIC in microseconds, as RELOADING=1 wants it (process.hrtime is CLOCK_MONOTONIC on Linux). */
function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

export class SdNotifier {
  private watchdog: NodeJS.Timeout | undefined;
  private failures = 0;

  private constructor(
    private client: UnixDgramClient | undefined,
    private readonly log: Logger,
    private readonly watchdogMs: number | undefined,
  ) {}

  /**
   * Reads (and removes) NOTIFY_SOCKET / WATCHDOG_USEC / WATCHDOG_PID. `socket` overrides the
   * environment's socket (tests). Returns a notifier that does nothing when there is no socket.
   */
  static fromEnv(log: Logger, env: NodeJS.ProcessEnv = process.env, socket?: string): SdNotifier {
    const path = socket ?? env.NOTIFY_SOCKET;
    const wd = watchdogIntervalMs(env, process.pid);
    delete env.NOTIFY_SOCKET;
    delete env.WATCHDOG_USEC;
    delete env.WATCHDOG_PID;
    if (path === undefined || path === '') return new SdNotifier(undefined, log, undefined);
    try {
      return new SdNotifier(UnixDgramClient.connect(path), log, wd);
    } catch (e) {
      log.warn(`systemd notify socket ${path}: ${e instanceof UnixDgramError ? e.code : String(e)} - readiness is not reported`);
      return new SdNotifier(undefined, log, undefined);
    }
  }

  get active(): boolean {
    return this.client !== undefined;
  }

  /** Sends one message; a failure is logged (the first few times) and otherwise ignored. */
  send(assignments: readonly string[]): void {
    if (!this.client) return;
    const err = this.client.send(assignments.join('\n'));
    if (err !== undefined && this.failures++ < 3) this.log.warn(`systemd notify socket ${this.client.path}: ${err} sending ${assignments[0] ?? ''}`);
  }

  /** Start-up (or a reload) is complete; starts the watchdog pings. */
  ready(status: string): void {
    this.send(['READY=1', `STATUS=${status}`]);
    if (this.client && this.watchdogMs !== undefined && !this.watchdog) {
      this.send(['WATCHDOG=1']);
      this.watchdog = setInterval(() => this.send(['WATCHDOG=1']), this.watchdogMs);
      this.watchdog.unref();
    }
  }

  reloading(): void {
    this.send(['RELOADING=1', `MONOTONIC_USEC=${monotonicUsec()}`, 'STATUS=Reloading the configuration']);
  }

  status(text: string): void {
    this.send([`STATUS=${text}`]);
  }

  stopping(): void {
    this.send(['STOPPING=1', 'STATUS=Stopping']);
    this.stopWatchdog();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  close(): void {
    this.stopWatchdog();
    this.client?.close();
    this.client = undefined;
  }
}
