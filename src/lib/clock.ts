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

// The virtual clock tests and simulations move by hand is VirtualTime (./virtual-time.ts).
