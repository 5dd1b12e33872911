// Cancellable one-off callbacks as an injected dependency (the notify layer's script scheduler
// and FIFO retry). Two implementations: RealTimers here and VirtualTime (src/lib/virtual-time.ts),
// so tests drive time by hand instead of sleeping.
import type { Clock } from './clock.js';

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
