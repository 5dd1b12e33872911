// Virtual time: the one implementation of time that tests and simulations move by hand. One
// ordered queue serves every time consumer at once, so their events interleave exactly:
//  * Clock (now / wall) for the VRRP runtime, the notify layer and anything else that reads time;
//  * OneShotFactory (`oneShot`) for a TimerQueue, so the real VrrpRuntime runs in virtual time;
//  * Timers (setTimeout / clearTimeout) for the notify layer's scheduler and FIFO retry, the VRRP
//    runtime's one-off waits and MemoryLan's deliveries (net/memory-lan.ts).
// Time is integer microseconds (the FSM's unit, src/lib/units.ts), so deadlines the FSM computes
// are hit exactly; delays given in (fractional) milliseconds are rounded to the microsecond.
// Tasks run by time, then in the order they were scheduled.
import type { Clock } from './clock.js';
import { DeadlineHeap } from './deadline-heap.js';
import type { OneShotFactory } from './timer-queue.js';
import type { TimerHandle, Timers } from './timers.js';
import { ms, type Ms } from './units.js';

/** Wall-clock origin of virtual time (reports only). */
const WALL_ORIGIN = 1_700_000_000_000;

export class VirtualTime implements Clock, Timers {
  private t: number;
  private readonly queue = new DeadlineHeap<number>();
  private readonly tasks = new Map<number, () => void>();
  private nextId = 1;
  /** Tasks run so far (a runaway-feedback guard reads it). */
  executed = 0;

  /** @param startMs initial time in milliseconds (default 0). */
  constructor(startMs = 0) {
    this.t = Math.round(startMs * 1000);
  }

  /** Timers: this object is its own clock. */
  get clock(): Clock {
    return this;
  }

  /** Current time in milliseconds (fractional). */
  now(): Ms {
    return ms(this.t / 1000);
  }

  /** Current time in integer microseconds. */
  get nowUs(): number {
    return this.t;
  }

  wall(): Date {
    return new Date(WALL_ORIGIN + this.t / 1000);
  }

  /** Tasks waiting to run. */
  get pending(): number {
    return this.tasks.size;
  }

  /** Runs `fn` once, `delayMs` (>= 0) from now; returns an id for `cancel`. */
  schedule(delayMs: number, fn: () => void): number {
    if (!(delayMs >= 0)) throw new RangeError(`delay must be >= 0, got ${delayMs}`);
    return this.atUs(this.t + Math.round(delayMs * 1000), fn);
  }

  /** Runs `fn` at absolute time `at` (microseconds); a past time means "now". */
  atUs(at: number, fn: () => void): number {
    const id = this.nextId++;
    this.tasks.set(id, fn);
    this.queue.set(id, Math.max(at, this.t));
    return id;
  }

  /** Time (microseconds) of the next task, undefined when none is queued. */
  nextAtUs(): number | undefined {
    return this.queue.peek()?.at;
  }

  /** Drops a scheduled task; false when it already ran or was cancelled. */
  cancel(id: number): boolean {
    this.tasks.delete(id);
    return this.queue.delete(id);
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return { id: this.schedule(Math.max(0, delayMs), fn) };
  }

  clearTimeout(h: TimerHandle): void {
    this.cancel(h.id);
  }

  /** A re-armable one-shot on this queue (for TimerQueue, e.g. the VRRP runtime's). */
  readonly oneShot: OneShotFactory = (fire) => {
    let id: number | undefined;
    return {
      arm: (delayMs) => {
        if (id !== undefined) this.cancel(id);
        id = this.schedule(Math.max(0, delayMs), () => {
          id = undefined;
          fire();
        });
      },
      disarm: () => {
        if (id !== undefined) this.cancel(id);
        id = undefined;
      },
    };
  };

  /** Moves time forward by `deltaMs`, running every task due on the way (and tasks they add). */
  advance(deltaMs: number): void {
    if (deltaMs < 0) throw new RangeError('virtual time cannot go backwards');
    this.runUntilUs(this.t + Math.round(deltaMs * 1000));
  }

  /** Runs every task due up to and including `until` (microseconds), then sets time to it. */
  runUntilUs(until: number): void {
    if (until < this.t) throw new RangeError('virtual time cannot go backwards');
    for (;;) {
      const top = this.queue.peek();
      if (top === undefined || top.at > until) break;
      this.runOne(top.key, top.at);
    }
    this.t = until;
  }

  /** Runs tasks until none is left (bounded, to catch feedback loops). */
  runAll(maxTasks = 100_000): void {
    for (let i = 0; ; i++) {
      const top = this.queue.peek();
      if (top === undefined) return;
      if (i >= maxTasks) throw new Error(`VirtualTime: more than ${maxTasks} tasks`);
      this.runOne(top.key, top.at);
    }
  }

  private runOne(id: number, at: number): void {
    this.queue.delete(id);
    const fn = this.tasks.get(id)!;
    this.tasks.delete(id);
    if (at > this.t) this.t = at;
    this.executed++;
    fn();
  }
}
