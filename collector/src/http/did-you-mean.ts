/**
 * "Did you mean …" for site IDs (issue 13): a tag with a mistyped `data-site` sends beacons nobody
 * sees, and an owner who types an ID on the verify page should be shown the one they meant.
 */

/**
 * Edits between two IDs, case-insensitive: insertions, deletions, substitutions and swaps of two
 * neighbours each count one (optimal string alignment distance), so `shop-stie` is one from
 * `shop-site` and `Shop_Site` none.
 */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase().replace(/_/g, '-');
  b = b.toLowerCase().replace(/_/g, '-');
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/**
 * The candidates close enough to `wanted` to be what was meant, closest first: at most two edits,
 * and fewer than a third of the longer ID (so `a` is not "close" to `b`). `wanted` itself is never one.
 */
export function didYouMean(wanted: string, candidates: Iterable<string>): string[] {
  const close: [string, number][] = [];
  for (const c of candidates) {
    if (c === wanted) continue;
    const n = editDistance(wanted, c);
    if (n <= 2 && n * 3 < Math.max(wanted.length, c.length)) close.push([c, n]);
  }
  return close.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0])).map((x) => x[0]);
}
