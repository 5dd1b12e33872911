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
  /** notify_fifo and vrrp_notify_fifo. */
  readonly vrrp: readonly FifoWriter[];
  /** notify_fifo and lvs_notify_fifo. */
  readonly lvs: readonly FifoWriter[];
  private readonly all: FifoWriter[];
  private readonly byPath = new Map<string, FifoWriter>();

  constructor(
    model: KeepalivedConfig,
    private readonly log: Logger,
    private readonly runner: ProcessRunner,
    private readonly timers: Timers,
    /** The sides that run (-P: VRRP only, -C: LVS only): the other side's FIFO is not opened. */
    sides: { readonly vrrp: boolean; readonly lvs: boolean },
  ) {
    const g = model.globalDefs;
    const common = sides.vrrp || sides.lvs ? this.writer(g.notifyFifo?.path) : undefined;
    this.vrrp = sides.vrrp ? present([common, this.writer(g.vrrpNotifyFifo?.path)]) : [];
    this.lvs = sides.lvs ? present([common, this.writer(g.lvsNotifyFifo?.path)]) : [];
    this.all = [...this.byPath.values()];
  }

  private writer(path: string | undefined): FifoWriter | undefined {
    if (path === undefined) return undefined;
    let w = this.byPath.get(path);
    if (!w) this.byPath.set(path, (w = new FifoWriter({ path, log: this.log }, this.runner, this.timers)));
    return w;
  }

  /**
   * The writers of a side a reload starts (it did not run at start): notify_fifo and that side's
   * own FIFO (lvs_notify_fifo or vrrp_notify_fifo) of `model`, the running writer reused when the
   * path is the same (one writer per path), new ones opened now and closed with the others.
   */
  async addSide(model: KeepalivedConfig, side: 'vrrp' | 'lvs'): Promise<readonly FifoWriter[]> {
    const g = model.globalDefs;
    const own = side === 'vrrp' ? g.vrrpNotifyFifo : g.lvsNotifyFifo;
    const ws = present([this.writer(g.notifyFifo?.path), this.writer(own?.path)]);
    for (const w of ws) {
      if (this.all.includes(w)) continue;
      this.all.push(w);
      await w.start().catch((e: unknown) => this.log.error({ fifo: w.path, err: String(e) }, 'cannot open notify FIFO'));
    }
    return ws;
  }

  /** Creates and opens each FIFO; a failure is logged (the writer keeps retrying on its own). */
  async open(): Promise<void> {
    for (const w of this.all) await w.start().catch((e: unknown) => this.log.error({ fifo: w.path, err: String(e) }, 'cannot open notify FIFO'));
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.close()));
  }
}

function present(ws: (FifoWriter | undefined)[]): FifoWriter[] {
  return [...new Set(ws.filter((w): w is FifoWriter => w !== undefined))];
}
