// The notify FIFOs, shared by the daemon's subsystems: notify_fifo takes both the VRRP lines and
// the LVS lines (`VS ...`, `RS ...`), vrrp_notify_fifo the VRRP ones, lvs_notify_fifo the LVS
// ones. A path named twice gets one writer, so lines from both sides keep one order on it.
// Built with the subsystems (nothing touched on the host yet); the daemon opens them before the
// first subsystem starts and closes them after the last one stopped.
import type { Logger } from '../lib/log.js';
import type { Timers } from '../lib/timers.js';
import type { KeepalivedConfig } from '../config/model.js';
import { FifoWriter } from '../notify/fifo.js';
import type { ProcessRunner } from '../notify/process-runner.js';

export class SharedFifos {
  // The arrays the subsystems hold: a reload changes their content in place (reload, addSide).
  private readonly vrrpWs: FifoWriter[];
  private readonly lvsWs: FifoWriter[];
  private all: FifoWriter[];
  private readonly byPath = new Map<string, FifoWriter>();
  private readonly sides: { vrrp: boolean; lvs: boolean };

  constructor(
    model: KeepalivedConfig,
    private readonly log: Logger,
    private readonly runner: ProcessRunner,
    private readonly timers: Timers,
    /** The sides that run (-P: VRRP only, -C: LVS only): the other side's FIFO is not opened. */
    sides: { readonly vrrp: boolean; readonly lvs: boolean },
  ) {
    this.sides = { ...sides };
    this.vrrpWs = this.sideWriters(model, 'vrrp');
    this.lvsWs = this.sideWriters(model, 'lvs');
    this.all = [...this.byPath.values()];
  }

  /** notify_fifo and vrrp_notify_fifo. */
  get vrrp(): readonly FifoWriter[] {
    return this.vrrpWs;
  }

  /** notify_fifo and lvs_notify_fifo. */
  get lvs(): readonly FifoWriter[] {
    return this.lvsWs;
  }

  private sideWriters(model: KeepalivedConfig, side: 'vrrp' | 'lvs'): FifoWriter[] {
    if (!this.sides[side]) return [];
    const g = model.globalDefs;
    return present([this.writer(g.notifyFifo?.path), this.writer((side === 'vrrp' ? g.vrrpNotifyFifo : g.lvsNotifyFifo)?.path)]);
  }

  private writer(path: string | undefined): FifoWriter | undefined {
    if (path === undefined) return undefined;
    let w = this.byPath.get(path);
    if (!w) this.byPath.set(path, (w = new FifoWriter({ path, log: this.log }, this.runner, this.timers)));
    return w;
  }

  private async opened(w: FifoWriter): Promise<void> {
    await w.start().catch((e: unknown) => this.log.error({ fifo: w.path, err: String(e) }, 'cannot open notify FIFO'));
  }

  /**
   * The writers of a side a reload starts (it did not run at start): notify_fifo and that side's
   * own FIFO (lvs_notify_fifo or vrrp_notify_fifo) of `model`, the running writer reused when the
   * path is the same (one writer per path), new ones opened now and closed with the others.
   */
  async addSide(model: KeepalivedConfig, side: 'vrrp' | 'lvs'): Promise<readonly FifoWriter[]> {
    this.sides[side] = true;
    const ws = side === 'vrrp' ? this.vrrpWs : this.lvsWs;
    ws.splice(0, ws.length, ...this.sideWriters(model, side));
    for (const w of ws) {
      if (this.all.includes(w)) continue;
      this.all.push(w);
      await this.opened(w);
    }
    return ws;
  }

  /**
   * A reload's FIFOs: keepalived 2.2.7's children close their notify FIFOs when a reload begins
   * and open those of the new config (check_daemon.c / vrrp_daemon.c notify_fifo_close, then
   * notify_fifo_open). Ours keeps the writer of a path the new config names too (a reader sees no
   * gap), closes the writers of paths it no longer names and opens the new ones; the subsystems'
   * lines go to the new set from then on. Returns what changed, one line per FIFO.
   */
  async reload(model: KeepalivedConfig): Promise<string[]> {
    this.vrrpWs.splice(0, this.vrrpWs.length, ...this.sideWriters(model, 'vrrp'));
    this.lvsWs.splice(0, this.lvsWs.length, ...this.sideWriters(model, 'lvs'));
    const used = new Set([...this.vrrpWs, ...this.lvsWs]);
    const details: string[] = [];
    for (const w of this.all) {
      if (used.has(w)) continue;
      this.byPath.delete(w.path);
      await w.close();
      details.push(`notify FIFO ${w.path} closed`);
    }
    // Writers sideWriters() created for a side that does not run stay unopened: forget them.
    for (const [path, w] of this.byPath) if (!used.has(w)) this.byPath.delete(path);
    const before = new Set(this.all);
    this.all = [...used];
    for (const w of this.all) {
      if (before.has(w)) continue;
      await this.opened(w);
      details.push(`notify FIFO ${w.path} opened`);
    }
    return details;
  }

  /** Creates and opens each FIFO; a failure is logged (the writer keeps retrying on its own). */
  async open(): Promise<void> {
    for (const w of this.all) await this.opened(w);
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.close()));
  }
}

function present(ws: (FifoWriter | undefined)[]): FifoWriter[] {
  return [...new Set(ws.filter((w): w is FifoWriter => w !== undefined))];
}
