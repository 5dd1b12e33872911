// The simulation's virtual-time queue: ordering and units are what every scenario's exact
// instants rest on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimQueue } from './event-queue.js';

describe('SimQueue', () => {
  it('runs tasks by time, FIFO at equal times, including tasks added while running', () => {
    const q = new SimQueue();
    const seen: string[] = [];
    q.atUs(300, () => seen.push(`c@${q.nowUs}`));
    q.atUs(100, () => {
      seen.push(`a@${q.nowUs}`);
      q.atUs(100, () => seen.push(`a2@${q.nowUs}`)); // same instant: after everything already queued for it
      q.schedule(0.05, () => seen.push(`a3@${q.nowUs}`)); // 50 us later
    });
    q.atUs(100, () => seen.push(`b@${q.nowUs}`));
    q.runUntil(250);
    expect(seen).toEqual(['a@100', 'b@100', 'a2@100', 'a3@150']);
    expect(q.nowUs).toBe(250);
    expect(q.now()).toBe(0.25);
    q.runUntil(300);
    expect(seen.at(-1)).toBe('c@300');
    expect(q.pending).toBe(0);
  });

  it('never goes backwards: a past time runs now, runUntil into the past throws', () => {
    const q = new SimQueue();
    q.runUntil(1000);
    let at = -1;
    q.atUs(10, () => (at = q.nowUs));
    q.runUntil(1000);
    expect(at).toBe(1000);
    expect(() => q.runUntil(999)).toThrow(RangeError);
    expect(() => q.schedule(-1, () => {})).toThrow(RangeError);
  });

  it('matches a sorted reference for random schedules', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }), (times) => {
        const q = new SimQueue();
        const out: number[] = [];
        times.forEach((t, i) => q.atUs(t, () => out.push(i)));
        q.runUntil(1000);
        const ref = times.map((t, i) => ({ t, i })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.i);
        expect(out).toEqual(ref);
      }),
    );
  });
});
