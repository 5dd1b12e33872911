// "did you mean" hints for unknown keywords: the closest keyword valid at that place by
// Damerau-Levenshtein distance (optimal string alignment), so `rize` suggests `rise` and
// `lb_algorithm` suggests `lb_algo`.

/** Edit distance counting insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => {
    const row = new Array<number>(n + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
    }
  }
  return d[m][n];
}

/**
 * The best candidate for `word`, or undefined when nothing is close. Comparison ignores case
 * (keepalived keywords are case-sensitive, so `tcp_check` should suggest `TCP_CHECK`). A
 * candidate is close when its distance is at most a third of the longer word (minimum 1), or
 * when one word is a prefix of the other and the shorter has at least 4 characters.
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const cand of candidates) {
    const c = cand.toLowerCase();
    const dist = editDistance(w, c);
    const limit = Math.max(1, Math.floor(Math.max(w.length, c.length) / 3));
    let score = dist <= limit ? dist : Infinity;
    const shorter = Math.min(w.length, c.length);
    if (score === Infinity && shorter >= 4 && (c.startsWith(w) || w.startsWith(c))) score = limit + 1;
    if (score < bestScore || (score === bestScore && best !== undefined && cand < best)) {
      best = cand;
      bestScore = score;
    }
  }
  return bestScore === Infinity ? undefined : best;
}

/** The hint text used in diagnostics. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const s = suggest(word, candidates);
  return s === undefined ? undefined : `did you mean '${s}'?`;
}
