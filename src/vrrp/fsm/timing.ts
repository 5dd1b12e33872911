// VRRP timers exactly as keepalived computes them (include/vrrp.h VRRP_TIMER_SKEW,
// VRRP_MS_DOWN_TIMER), in integer microseconds (keepalived's TIMER_HZ), so a conformance case
// can state the takeover instant to the microsecond.
import type { Centiseconds, Ms, Us } from '../../lib/units.js';
import { us } from '../../lib/units.js';

export const TIMER_HZ = 1_000_000;

export function csToUs(c: Centiseconds): Us {
  return us(c * 10_000);
}

export function msToUs(m: Ms): Us {
  return us(Math.round(m * 1000));
}

/**
 * Skew_Time.
 * v2 (RFC 3768 6.1): (256 - Priority) / 256 seconds, independent of the advert interval.
 * v3 (RFC 5798 6.1): ((256 - Priority) * Master_Adver_Interval) / 256; keepalived evaluates it
 * as (256-p) * interval_cs * 625 / 16 in integer microseconds (625/16 = 10000/256).
 */
export function skewUs(version: 2 | 3, priority: number, masterAdverInt: Centiseconds): Us {
  return skewOf(version, 256 - priority, masterAdverInt);
}

/** keepalived VRRP_TIMER_SKEW_MIN: the skew formula for priority 255 (one step of it). */
export function skewMinUs(version: 2 | 3, masterAdverInt: Centiseconds): Us {
  return skewOf(version, 1, masterAdverInt);
}

function skewOf(version: 2 | 3, p: number, masterAdverInt: Centiseconds): Us {
  if (version === 3) return us(Math.floor((p * masterAdverInt * 625) / 16));
  return us(Math.floor((p * TIMER_HZ) / 256));
}

/** Master_Down_Interval = down_timer_adverts (RFC: 3) x Master_Adver_Interval + Skew_Time. */
export function masterDownUs(version: 2 | 3, priority: number, masterAdverInt: Centiseconds, downTimerAdverts: number): Us {
  return us(downTimerAdverts * csToUs(masterAdverInt) + skewUs(version, priority, masterAdverInt));
}
