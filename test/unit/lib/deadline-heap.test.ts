import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DeadlineHeap } from '../../../src/lib/deadline-heap.js';

describe('DeadlineHeap', () => {
  it('pops due entries earliest first and keeps one deadline per key', () => {
    const h = new DeadlineHeap<string>();
    h.set('a', 30);
    h.set('b', 10);
    h.set('c', 20);
    h.set('a', 5); // moves a earlier
    expect(h.size).toBe(3);
    expect(h.popDue(20).map((e) => e.key)).toEqual(['a', 'b', 'c']);
    expect(h.size).toBe(0);
  });

  it('delete removes a pending deadline', () => {
    const h = new DeadlineHeap<number>();
    h.set(1, 10);
    h.set(2, 5);
    expect(h.delete(2)).toBe(true);
    expect(h.delete(2)).toBe(false);
    expect(h.peek()).toEqual({ key: 1, at: 10 });
  });

  it('matches a naive model under random operations', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('set' as const), key: fc.integer({ min: 0, max: 9 }), at: fc.integer({ min: 0, max: 100 }) }),
            fc.record({ op: fc.constant('del' as const), key: fc.integer({ min: 0, max: 9 }) }),
            fc.record({ op: fc.constant('pop' as const), now: fc.integer({ min: 0, max: 100 }) }),
          ),
          { maxLength: 200 },
        ),
        (ops) => {
          const h = new DeadlineHeap<number>();
          const model = new Map<number, { at: number; seq: number }>();
          let seq = 0;
          for (const o of ops) {
            if (o.op === 'set') {
              h.set(o.key, o.at);
              model.set(o.key, { at: o.at, seq: seq++ });
            } else if (o.op === 'del') {
              expect(h.delete(o.key)).toBe(model.delete(o.key));
            } else {
              const expected = [...model]
                .filter(([, v]) => v.at <= o.now)
                .sort((a, b) => a[1].at - b[1].at || a[1].seq - b[1].seq)
                .map(([k]) => k);
              for (const k of expected) model.delete(k);
              expect(h.popDue(o.now).map((e) => e.key)).toEqual(expected);
            }
            expect(h.size).toBe(model.size);
          }
        },
      ),
    );
  });
});
