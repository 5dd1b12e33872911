// Timers as an injected dependency for the notify layer (the script scheduler and the FIFO
// retry), so tests drive time by hand instead of sleeping.
import type { Clock } from '../lib/clock.js';
import { ManualClock } from '../lib/clock.js';

export interface TimerHandle {
  readonly id: number;
}

export interface Timers {
  readonly clock: Clock;
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  clearTimeout(h: TimerHandle): void;
}

/** Real timers; every timer is unref'd so a pending check never keeps a test process alive. */
export class RealTimers implements Timers {
  private readonly live = new Map<number, NodeJS.Timeout>();
  private next = 1;
  constructor(readonly clock: Clock) {}
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = this.next++;
    const t = setTimeout(() => {
      this.live.delete(id);
      fn();
    }, Math.max(0, delayMs));
    t.unref();
    this.live.set(id, t);
    return { id };
  }
  clearTimeout(h: TimerHandle): void {
    const t = this.live.get(h.id);
    if (t) clearTimeout(t);
    this.live.delete(h.id);
  }
}

/** Fake timers over a ManualClock: `advance()` fires due timers in deadline order. */
export class FakeTimers implements Timers {
  readonly clock: ManualClock;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  constructor(clock?: ManualClock) {
    this.clock = clock ?? new ManualClock();
  }
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = this.next++;
    this.pending.set(id, { at: this.clock.now() + Math.max(0, delayMs), fn });
    return { id };
  }
  clearTimeout(h: TimerHandle): void {
    this.pending.delete(h.id);
  }
  get size(): number {
    return this.pending.size;
  }
  /** Moves time forward by `ms`, firing every timer that falls due (ties in creation order). */
  advance(ms: number): void {
    const end = this.clock.now() + ms;
    for (;;) {
      let best: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (e[1].at <= end && (!best || e[1].at < best[1].at)) best = e;
      if (!best) break;
      this.pending.delete(best[0]);
      if (best[1].at > this.clock.now()) this.clock.set(best[1].at);
      best[1].fn();
    }
    this.clock.set(end);
  }
}
