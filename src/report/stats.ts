/** Small numeric helpers over plain arrays. Sample statistics use the n−1 denominator; undefined when n < 2. */

export function mean(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n−1), by Welford's algorithm. */
export function std(xs: number[]): number | undefined {
  if (xs.length < 2) return undefined;
  let m = 0;
  let m2 = 0;
  xs.forEach((x, i) => {
    const d = x - m;
    m += d / (i + 1);
    m2 += d * (x - m);
  });
  return Math.sqrt(m2 / (xs.length - 1));
}
