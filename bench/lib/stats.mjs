// Small statistics helpers for the benchmarks: medians of repeated runs on a noisy machine.

/** NaN for none (also for undefined: a figure a run did not report). @param {number[] | undefined} xs */
export function median(xs) {
  if (!xs || xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** @param {number[]} xs */
export function minMax(xs) {
  return { min: Math.min(...xs), max: Math.max(...xs) };
}

/** Milliseconds with one decimal. @param {number} ms */
export const fmtMs = (ms) => `${ms.toFixed(1)} ms`;
