// The one timer of the VRRP runtime: a DeadlineHeap driven by a single setTimeout armed for the
// earliest deadline. Measures how late each firing is (event-loop lag) so the daemon can log it.
import { DeadlineHeap } from '../../lib/deadline-heap.js';
import type { Clock } from '../../lib/clock.js';

export interface LagStats {
  /** Firings measured. */
  count: number;
  /** Worst lateness seen, ms. */
  maxMs: number;
  /** Sum of lateness, ms (mean = sum / count). */
  sumMs: number;
}

export class TimerQueue<K> {
  private readonly heap = new DeadlineHeap<K>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private stopped = false;
  readonly lag: LagStats = { count: 0, maxMs: 0, sumMs: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: K, at: number, now: number) => void,
    /** Called when one firing is later than `lagWarnMs`. */
    private readonly onLag?: (lateMs: number) => void,
    private readonly lagWarnMs = 20,
  ) {}

  set(key: K, at: number): void {
    this.heap.set(key, at);
    this.rearm();
  }

  delete(key: K): void {
    this.heap.delete(key);
    this.rearm();
  }

  get(key: K): number | undefined {
    return this.heap.get(key);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private rearm(): void {
    if (this.stopped) return;
    const next = this.heap.peek();
    if (!next) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.armedFor = Infinity;
      return;
    }
    if (this.timer && next.at === this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = next.at;
    const delay = Math.max(0, next.at - this.clock.now());
    this.timer = setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.clock.now();
    for (const { key, at } of this.heap.popDue(now)) {
      const late = now - at;
      this.lag.count++;
      this.lag.sumMs += late;
      if (late > this.lag.maxMs) this.lag.maxMs = late;
      if (late > this.lagWarnMs) this.onLag?.(late);
      this.onDue(key, at, now);
      if (this.stopped) return;
    }
    this.rearm();
  }
}
