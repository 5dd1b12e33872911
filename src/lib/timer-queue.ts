// A keyed timer queue: a DeadlineHeap driven by a single one-shot timer armed for the earliest
// deadline. The one-shot comes from a factory: the native timerfd in the daemon
// (src/net/native-timer.ts), setTimeout, or VirtualTime's in tests and simulations
// (src/lib/virtual-time.ts). Measures how late each firing is (event-loop lag) so the daemon
// can log it. The VRRP runtime keeps one of these for all its instances.
import { DeadlineHeap } from './deadline-heap.js';
import type { Clock } from './clock.js';

export interface LagStats {
  /** Firings measured. */
  count: number;
  /** Worst lateness seen, ms. */
  maxMs: number;
  /** Sum of lateness, ms (mean = sum / count). */
  sumMs: number;
}

/** A re-armable one-shot timer: what the queue needs from the platform. */
export interface OneShot {
  /** Calls the fire function once, delayMs (fractional) from now; replaces an earlier arm. */
  arm(delayMs: number): void;
  disarm(): void;
  /** Releases what it holds; never armed again afterwards. */
  close?(): void;
}

/** Makes a one-shot timer that calls `fire`. */
export type OneShotFactory = (fire: () => void) => OneShot;

/**
 * setTimeout as a OneShot. libuv runs timers on a millisecond loop clock: they fire up to ~2 ms
 * late (the daemon uses the native timerfd instead, src/net/native-timer.ts); virtual time has
 * its own (VirtualTime.oneShot).
 */
export const setTimeoutOneShot: OneShotFactory = (fire) => {
  let t: NodeJS.Timeout | undefined;
  return {
    arm(delayMs) {
      if (t) clearTimeout(t);
      t = setTimeout(() => {
        t = undefined;
        fire();
      }, delayMs);
    },
    disarm() {
      if (t) clearTimeout(t);
      t = undefined;
    },
  };
};

export class TimerQueue<K> {
  private readonly heap = new DeadlineHeap<K>();
  private readonly timer: OneShot;
  /** The deadline the timer is armed for; Infinity while it is not armed. */
  private armedFor = Infinity;
  private stopped = false;
  readonly lag: LagStats = { count: 0, maxMs: 0, sumMs: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: K, at: number, now: number) => void,
    /** Called when one firing is later than `lagWarnMs`. */
    private readonly onLag?: (lateMs: number) => void,
    private readonly lagWarnMs = 20,
    oneShot: OneShotFactory = setTimeoutOneShot,
  ) {
    this.timer = oneShot(() => this.fire());
  }

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
    this.timer.disarm();
    this.timer.close?.();
    this.armedFor = Infinity;
  }

  private rearm(): void {
    if (this.stopped) return;
    const next = this.heap.peek();
    if (!next) {
      if (this.armedFor !== Infinity) this.timer.disarm();
      this.armedFor = Infinity;
      return;
    }
    if (next.at === this.armedFor) return;
    this.armedFor = next.at;
    this.timer.arm(Math.max(0, next.at - this.clock.now()));
  }

  private fire(): void {
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
