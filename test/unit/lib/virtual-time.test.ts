// Virtual time: ordering and units are what every simulation's exact instants rest on, and its
// one-shot drives a TimerQueue (the VRRP runtime's) at exact deadlines.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimerQueue } from '../../../src/lib/timer-queue.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';

describe('VirtualTime', () => {
  it('runs tasks by time, FIFO at equal times, including tasks added while running', () => {
    const q = new VirtualTime();
    const seen: string[] = [];
    q.atUs(300, () => seen.push(`c@${q.nowUs}`));
    q.atUs(100, () => {
      seen.push(`a@${q.nowUs}`);
      q.atUs(100, () => seen.push(`a2@${q.nowUs}`)); // same instant: after everything already queued for it
      q.schedule(0.05, () => seen.push(`a3@${q.nowUs}`)); // 50 us later
    });
    q.atUs(100, () => seen.push(`b@${q.nowUs}`));
    q.runUntilUs(250);
    expect(seen).toEqual(['a@100', 'b@100', 'a2@100', 'a3@150']);
    expect(q.nowUs).toBe(250);
    expect(q.now()).toBe(0.25);
    q.runUntilUs(300);
    expect(seen.at(-1)).toBe('c@300');
    expect(q.pending).toBe(0);
  });

  it('never goes backwards: a past time runs now, runUntilUs into the past throws', () => {
    const q = new VirtualTime();
    q.runUntilUs(1000);
    let at = -1;
    q.atUs(10, () => (at = q.nowUs));
    q.runUntilUs(1000);
    expect(at).toBe(1000);
    expect(() => q.runUntilUs(999)).toThrow(RangeError);
    expect(() => q.schedule(-1, () => {})).toThrow(RangeError);
  });

  it('matches a sorted reference for random schedules', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }), (times) => {
        const q = new VirtualTime();
        const out: number[] = [];
        times.forEach((t, i) => q.atUs(t, () => out.push(i)));
        q.runUntilUs(1000);
        const ref = times.map((t, i) => ({ t, i })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.i);
        expect(out).toEqual(ref);
      }),
    );
  });

  it('drives a TimerQueue: each key fires once at its exact deadline, re-armed and deleted keys move', () => {
    const t = new VirtualTime(5);
    const fired: [string, number, number][] = [];
    const q = new TimerQueue<string>(t, (key, at, now) => fired.push([key, at, now]), undefined, 20, t.oneShot);
    q.set('a', 10);
    q.set('b', 7.5);
    q.set('c', 8);
    q.delete('c');
    q.set('b', 12); // moved later
    t.advance(4); // to 9 ms: nothing due
    expect(fired).toEqual([]);
    t.advance(10);
    expect(fired).toEqual([
      ['a', 10, 10],
      ['b', 12, 12],
    ]);
    expect(q.lag).toEqual({ count: 2, maxMs: 0, sumMs: 0 });
    q.set('d', 30);
    q.stop();
    t.advance(100);
    expect(fired).toHaveLength(2);
    expect(t.pending).toBe(0);
  });
});
