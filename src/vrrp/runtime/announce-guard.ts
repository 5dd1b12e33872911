// Split-brain heal by announcement. After a split brain the loser may hear the winner first and
// step down while its own VRRP packets still do not reach the winner (one-way loss, a firewall
// rule removed in two steps, the winner stopped and resumed): the winner never learns of the
// conflict through VRRP, and the hosts of the segment keep the loser's MAC for the VIP from
// its gratuitous ARPs / unsolicited NAs until their neighbour entries expire. Those
// announcements did reach the winner's link, though. A master that hears another MAC announce
// one of its VIPs re-announces the VIP itself, once that other host has been quiet for a
// moment (so its burst does not land after ours) and no more often than a minimum gap.
//
// This class holds the timing of one instance; the runtime feeds it what it heard and gives it
// the function that sends the announcements.
import type { Timers, TimerHandle } from '../../lib/timers.js';

export interface AnnounceGuardTiming {
  /** How long the other host must have been silent before we announce, ms. */
  readonly quietMs: number;
  /** Minimum time between two of our re-announcements, ms. */
  readonly minGapMs: number;
}

/** 1 s of silence covers a burst of garp_master_repeat with keepalived's default garp_interval (0). */
export const DEFAULT_ANNOUNCE_GUARD: AnnounceGuardTiming = { quietMs: 1000, minGapMs: 5000 };

export class AnnounceGuard {
  private lastForeign = Number.NEGATIVE_INFINITY;
  private lastAnnounce = Number.NEGATIVE_INFINITY;
  private timer: TimerHandle | undefined;
  /** Foreign announcements heard, and our re-announcements, since start (status). */
  heardCount = 0;
  announcedCount = 0;

  constructor(
    private readonly timers: Timers,
    private readonly announce: () => void,
    private readonly timing: AnnounceGuardTiming = DEFAULT_ANNOUNCE_GUARD,
  ) {}

  /** Another MAC announced one of our VIPs while we are master. */
  heard(): void {
    this.heardCount++;
    this.lastForeign = this.timers.clock.now();
    this.schedule();
  }

  /** We left MASTER (or stop): nothing is owed any more. */
  cancel(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  private schedule(): void {
    const now = this.timers.clock.now();
    const at = Math.max(this.lastForeign + this.timing.quietMs, this.lastAnnounce + this.timing.minGapMs);
    this.cancel();
    this.timer = this.timers.setTimeout(() => this.fire(), Math.max(0, at - now));
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.timers.clock.now();
    // Heard again meanwhile (heard() rescheduled), or the gap is not over: wait on.
    if (now < this.lastForeign + this.timing.quietMs || now < this.lastAnnounce + this.timing.minGapMs) {
      this.schedule();
      return;
    }
    this.lastAnnounce = now;
    this.announcedCount++;
    this.announce();
  }
}
