// Table checks: one function applied to many inputs, each result compared exactly.
import { expect } from 'vitest';

/** `fn(input)` is `want` (toBe) for every [input, want] row; a failure names the input. */
export function expectEach<I, O>(fn: (input: I) => O, rows: readonly (readonly [I, O])[]): void {
  for (const [input, want] of rows) expect(fn(input), JSON.stringify(input)).toBe(want);
}
