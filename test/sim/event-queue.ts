// A deterministic virtual-time event queue for LAN simulations. Time is integer microseconds
// (the FSM's unit), so deadlines computed by src/vrrp/fsm/timing.ts are hit exactly, with no
// float drift from millisecond conversions. It also implements MemoryLan's LanScheduler (which
// speaks milliseconds), so packet deliveries and FSM deadlines share one ordered queue:
// tasks run by time, then in the order they were scheduled.
import type { LanScheduler } from '../../src/net/memory-lan.js';

interface Task {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

export class SimQueue implements LanScheduler {
  private readonly heap: Task[] = [];
  private seq = 0;
  private t = 0;
  /** Tasks run so far (a runaway-feedback guard reads it). */
  executed = 0;

  /** Current virtual time in microseconds. */
  get nowUs(): number {
    return this.t;
  }

  /** LanScheduler: milliseconds (fractional). */
  now(): number {
    return this.t / 1000;
  }

  /** LanScheduler: runs `fn` `delayMs` from now (rounded to the microsecond). */
  schedule(delayMs: number, fn: () => void): void {
    if (!(delayMs >= 0)) throw new RangeError(`delay must be >= 0, got ${delayMs}`);
    this.atUs(this.t + Math.round(delayMs * 1000), fn);
  }

  /** Runs `fn` at absolute time `at` (microseconds); a past time means "now". */
  atUs(at: number, fn: () => void): void {
    this.push({ at: Math.max(at, this.t), seq: this.seq++, fn });
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs every task due up to and including `until` (microseconds), then sets time to it. */
  runUntil(until: number): void {
    if (until < this.t) throw new RangeError('time cannot go backwards');
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.at > until) break;
      this.pop();
      this.t = top.at;
      this.executed++;
      top.fn();
    }
    this.t = until;
  }

  // --- binary min-heap on (at, seq) -----------------------------------------------------------
  private less(a: Task, b: Task): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(task: Task): void {
    const h = this.heap;
    h.push(task);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
