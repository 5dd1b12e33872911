// Time as an injected dependency (DESIGN.md seam 3): monotonic time drives behaviour, wall time
// appears only in reports.
import type { Ms } from './units.js';
import { ms } from './units.js';

export interface Clock {
  /** Monotonic milliseconds (fractional), origin unspecified. */
  now(): Ms;
  /** Wall-clock time for logs and reports only. */
  wall(): Date;
}

export const systemClock: Clock = {
  now: () => ms(performance.now()),
  wall: () => new Date(),
};

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start = 0) {
    this.t = start;
  }
  now(): Ms {
    return ms(this.t);
  }
  wall(): Date {
    return new Date(1_700_000_000_000 + this.t);
  }
  advance(by: number): void {
    if (by < 0) throw new RangeError('ManualClock cannot go backwards');
    this.t += by;
  }
  set(to: number): void {
    if (to < this.t) throw new RangeError('ManualClock cannot go backwards');
    this.t = to;
  }
}
