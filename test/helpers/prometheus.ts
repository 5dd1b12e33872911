// Reading a Prometheus text exposition (what /metrics serves) in tests: the samples by series,
// and a check of several series' values at once.
import { expect } from 'vitest';

/** Series (name with its labels, as written) -> value, for every sample line of `text`. */
export function promSamples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

/** Each series in `want` has exactly its value in `samples` (a failure names the series). */
export function expectSamples(samples: ReadonlyMap<string, number>, want: Readonly<Record<string, number>>): void {
  for (const [series, value] of Object.entries(want)) expect(samples.get(series), series).toBe(value);
}
