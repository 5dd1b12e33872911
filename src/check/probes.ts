// Health probes behind one interface (DESIGN.md seam 5): the engine starts a probe for a checker
// plan and gets one ProbeResult back; it never sees sockets or processes.
//
//  * TCP_CHECK (keepalived check_tcp.c): a non-blocking connect (node:net) bounded by
//    connect_timeout; bindto / bind_port become the socket's local address and port; fwmark
//    (SO_MARK) and bind_if (SO_BINDTODEVICE) are set by the native addon on a socket Node then
//    connects (net.Socket cannot set them). Success is the connection being established; the
//    socket is closed at once, no data is sent.
//  * MISC_CHECK (check_misc.c): the prepared script (already through the start-up security check
//    in src/notify/script-security.ts, with its uid/gid) run by the ProcessRunner in its own
//    process group, no shell unless keepalived would use one; after misc_timeout the group gets
//    SIGTERM, then SIGKILL 2 s later (keepalived's REQUESTING / FORCING_TERMINATION states).
//  * HTTP_GET / SSL_GET (check_http.c, check_ssl.c): one url per run, http-probe.ts.
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import type { Ms } from '../lib/units.js';
import { openTcpSocketFd } from '../net/native.js';
import type { ProcessResult, ProcessRunner } from '../notify/process-runner.js';
import type { ProbeResult } from './checker-state.js';
import type { CheckerPlan, FileCheckerPlan, MiscCheckerPlan, TcpCheckerPlan } from './plan.js';
import { httpProbe } from './http-probe.js';
import { TrackFileWatcher } from '../lib/track-file-watch.js';
import { dnsProbe, udpProbe } from './udp-probe.js';
import { PingSockets } from './ping-probe.js';
import { smtpProbe } from './smtp-probe.js';
import { NativeTcpProbes } from './tcp-native-probe.js';
import { errorDetail, probeEnd, tcpConnectOptions } from './probe-end.js';

export interface ProbeHandle {
  /**
   * Abandons the probe (stop/reload): closes the socket or kills the script's process group
   * (SIGTERM, SIGKILL after the grace); `done` is not called. Resolves when nothing is left.
   */
  cancel(): Promise<void>;
}

/** Starts one probe; `done` is called once with its result (a callback, so fakes can answer in virtual time). */
export interface Prober {
  /** `url`: HTTP_GET / SSL_GET, the index of the url to check (the checker state's urlIt). */
  start(plan: CheckerPlan, done: (r: ProbeResult) => void, url?: number): ProbeHandle;
  /**
   * FILE_CHECK: reports the tracked file's value now (synchronously, before returning) and
   * again on every change, until cancelled. Probers without it leave FILE_CHECKs up.
   */
  watchFile?(plan: FileCheckerPlan, onValue: (value: number) => void): ProbeHandle;
  /** Releases shared sockets (PING_CHECK) at stop. */
  close?(): void;
}

/** keepalived: SIGTERM at misc_timeout, SIGKILL 2 s later. */
export const MISC_KILL_GRACE_MS = 2000 as Ms;

/** The real probes: node:net sockets and the ProcessRunner. */
export class NodeProber implements Prober {
  private ping: PingSockets | undefined;
  /** The addon's connect prober (undefined: not tried yet; null: unavailable, node:net is used). */
  private tcp: NativeTcpProbes | null | undefined;

  constructor(private readonly runner: ProcessRunner) {}

  start(plan: CheckerPlan, done: (r: ProbeResult) => void, url = 0): ProbeHandle {
    switch (plan.kind) {
      case 'TCP_CHECK':
        if (this.tcp === undefined) this.tcp = NativeTcpProbes.create() ?? null;
        return this.tcp ? this.tcp.start(plan, done) : tcpProbe(plan, done);
      case 'MISC_CHECK':
        return miscProbe(plan, this.runner, done);
      case 'HTTP_GET':
      case 'SSL_GET':
        return httpProbe(plan, url, done);
      case 'UDP_CHECK':
        return udpProbe(plan, done);
      case 'DNS_CHECK':
        return dnsProbe(plan, done);
      case 'SMTP_CHECK':
        return smtpProbe(plan, done);
      case 'PING_CHECK':
        this.ping ??= new PingSockets();
        return this.ping.start(plan, done);
      case 'FILE_CHECK':
        // Watched, not probed (watchFile); a stray start answers with the file's current state.
        return fileWatch(plan, () => undefined, true);
    }
  }

  watchFile(plan: FileCheckerPlan, onValue: (value: number) => void): ProbeHandle {
    return fileWatch(plan, onValue, false);
  }

  close(): void {
    this.ping?.close();
    this.ping = undefined;
    this.tcp?.close();
    this.tcp = undefined;
  }
}

const QUIET = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The tracked file through the one track_file watcher (src/lib/track-file-watch.ts). */
function fileWatch(plan: FileCheckerPlan, onValue: (value: number) => void, once: boolean): ProbeHandle {
  const w = new TrackFileWatcher([{ name: plan.trackFile, path: plan.path }], QUIET, (_n, v) => onValue(v));
  w.start();
  if (once) w.stop();
  return {
    cancel: () => {
      w.stop();
      return Promise.resolve();
    },
  };
}

export function tcpProbe(plan: TcpCheckerPlan, done: (r: ProbeResult) => void): ProbeHandle {
  let sock: Socket;
  if (plan.fwmark !== undefined || plan.bindIf !== undefined) {
    try {
      const fd = openTcpSocketFd(plan.family, { ...(plan.fwmark !== undefined ? { mark: plan.fwmark } : {}), ...(plan.bindIf !== undefined ? { device: plan.bindIf } : {}) });
      sock = new Socket({ fd, readable: false, writable: false });
    } catch (e) {
      // keepalived: the socket cannot be set up, the check fails (check_tcp.c, tcp_connect).
      const end = probeEnd(done);
      end.later({ kind: 'connectFailed', detail: errorDetail(e) });
      return end.handle;
    }
  } else {
    sock = new Socket();
  }
  const end = probeEnd(done, () => sock.destroy());
  sock.once('connect', () => end.finish({ kind: 'connected' }));
  sock.once('error', (e: NodeJS.ErrnoException) => {
    const code = e.code ?? e.message;
    end.finish(e.syscall === 'bind' ? { kind: 'bindFailed', detail: code } : { kind: 'connectFailed', detail: code });
  });
  end.arm(plan.connectTimeoutMs, () => ({ kind: 'timeout' }));
  try {
    sock.connect(tcpConnectOptions(plan));
  } catch (e) {
    // Bad option values throw synchronously (e.g. a port out of range); answered asynchronously
    // like every other result.
    end.later({ kind: 'connectFailed', detail: errorDetail(e) });
  }
  return end.handle;
}

const SIGNALS = osConstants.signals as Readonly<Record<string, number>>;

export function miscProbe(plan: MiscCheckerPlan, runner: ProcessRunner, done: (r: ProbeResult) => void): ProbeHandle {
  const proc = runner.start({
    ...plan.script,
    timeoutMs: plan.timeoutMs,
    killGraceMs: MISC_KILL_GRACE_MS,
    label: `MISC_CHECK ${plan.params.script ?? ''}`,
  });
  let cancelled = false;
  void proc.result.then((r) => {
    if (!cancelled) done(fromProcess(r));
  });
  return {
    cancel: async () => {
      cancelled = true;
      if (proc.running) proc.terminate(MISC_KILL_GRACE_MS);
      await proc.result;
    },
  };
}

function fromProcess(r: ProcessResult): ProbeResult {
  switch (r.kind) {
    case 'exited':
      return { kind: 'exited', code: r.code };
    case 'timeout':
      return { kind: 'timeout' };
    case 'signaled':
      return { kind: 'signaled', signal: SIGNALS[r.signal] ?? 0 };
    case 'spawnError':
      // keepalived's forked child exits non-zero when execve fails; 127 is the shell's
      // "command not found" status.
      return { kind: 'exited', code: 127 };
  }
}
