// The daemon's operator interfaces, opened once the subsystems exist: the control socket
// (control-server.ts; where: --control-socket, else beside the pid file) and, with --metrics, the
// Prometheus endpoint (metrics-server.ts). Both read the same status document. Reloads asked for
// on the socket go to the `onReload` callback the daemon passes in, counted by outcome.
import type { Logger } from '../lib/log.js';
import { COMPAT_VERSION, packageVersion } from '../lib/version.js';
import { defaultControlSocket, type ReloadResult } from './control-protocol.js';
import { ControlServer, ControlSocketError } from './control-server.js';
import { statusDocument, type StatusDocument } from './control-status.js';
import { MetricsServer, parseListenAddress } from './metrics-server.js';
import type { LvsStatus } from './lvs-subsystem.js';
import type { VrrpStatus } from './vrrp-subsystem.js';
import { EXIT, StartError } from './start-error.js';

export interface ControlPlaneOptions {
  readonly configFile: string;
  readonly configId: string;
  readonly pidFile?: string;
  /** --control-socket: a path, or false for none; default beside the pid file (none without one). */
  readonly controlSocket?: string | false;
  /** --metrics ADDR:PORT; default off. */
  readonly metrics?: string;
}

export interface ControlPlaneDeps {
  readonly options: ControlPlaneOptions;
  readonly log: Logger;
  /** The subsystems' status by name (SubsystemSet.status()). */
  readonly status: () => Record<string, unknown>;
  readonly onReload: () => Promise<ReloadResult>;
}

/** The reload placeholder until the daemon has one: never silent, always rejected. */
export const reloadNotImplemented = (): Promise<ReloadResult> => Promise.resolve({ outcome: 'rejected', diagnostics: ['reload not implemented'], changes: [] });

/** Where the control socket of a daemon started with these options is (undefined: none). */
export function controlSocketPath(o: Pick<ControlPlaneOptions, 'controlSocket' | 'pidFile'>): string | undefined {
  if (o.controlSocket === false) return undefined;
  if (o.controlSocket !== undefined) return o.controlSocket;
  return o.pidFile !== undefined ? defaultControlSocket(o.pidFile) : undefined;
}

export class ControlPlane {
  private readonly reloads: Record<string, number> = {};

  private constructor(
    private readonly deps: ControlPlaneDeps,
    private readonly startedAt: number,
  ) {}

  private control: ControlServer | undefined;
  private metrics: MetricsServer | undefined;

  /** Opens the socket and the metrics endpoint. Throws StartError (exit 1) when either cannot be opened. */
  static async open(deps: ControlPlaneDeps): Promise<ControlPlane> {
    const o = deps.options;
    const cp = new ControlPlane(deps, Date.now());
    const path = controlSocketPath(o);
    let addr: ReturnType<typeof parseListenAddress>;
    if (o.metrics !== undefined) {
      addr = parseListenAddress(o.metrics);
      if (!addr) throw new StartError(`keepalived-ts: --metrics ${o.metrics}: expected ADDR:PORT (127.0.0.1:9650, [::1]:9650, :9650)`, EXIT.FATAL);
    }
    try {
      if (path !== undefined) {
        cp.control = await ControlServer.open({ path, log: deps.log, handlers: { status: () => cp.document(), reload: () => cp.reload() } });
        deps.log.info({ controlSocket: path }, `control socket on ${path}`);
      }
      if (addr) cp.metrics = await MetricsServer.open(addr, () => ({ status: cp.document(), reloads: cp.reloads }), deps.log);
    } catch (e) {
      await cp.close();
      if (e instanceof ControlSocketError) throw new StartError(`keepalived-ts: ${e.message}`, EXIT.FATAL);
      const code = (e as NodeJS.ErrnoException).code;
      throw new StartError(`keepalived-ts: --metrics ${o.metrics}: cannot listen: ${code ?? (e as Error).message}`, EXIT.FATAL);
    }
    return cp;
  }

  /** The status document (schema in docs/control-socket.md). */
  document(): StatusDocument {
    const st = this.deps.status();
    const o = this.deps.options;
    return statusDocument(
      { pid: process.pid, version: packageVersion(), compatVersion: COMPAT_VERSION, configFile: o.configFile, configId: o.configId, startedAt: this.startedAt, now: Date.now() },
      { ...(st.vrrp ? { vrrp: st.vrrp as VrrpStatus } : {}), ...(st.ipvs ? { ipvs: st.ipvs as LvsStatus } : {}) },
    );
  }

  /** A reload (from the socket, or a signal once it goes through here), counted by outcome. */
  async reload(): Promise<ReloadResult> {
    let r: ReloadResult;
    try {
      r = await this.deps.onReload();
    } catch (e) {
      r = { outcome: 'rejected', diagnostics: [`reload failed: ${(e as Error).message}`], changes: [] };
    }
    this.reloads[r.outcome] = (this.reloads[r.outcome] ?? 0) + 1;
    const log = r.outcome === 'rejected' ? this.deps.log.warn.bind(this.deps.log) : this.deps.log.info.bind(this.deps.log);
    log({ outcome: r.outcome, diagnostics: r.diagnostics, changes: r.changes }, `reload ${r.outcome}${r.diagnostics.length > 0 ? `: ${r.diagnostics.join('; ')}` : ''}`);
    return r;
  }

  get socketPath(): string | undefined {
    return this.control?.path;
  }

  async close(): Promise<void> {
    const c = this.control;
    const m = this.metrics;
    this.control = undefined;
    this.metrics = undefined;
    await c?.close();
    await m?.close();
  }
}
