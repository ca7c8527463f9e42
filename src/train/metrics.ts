/** Classification metrics from logits on the host. */

export interface EvalMetrics {
  accuracy: number;
  /** Mean negative log-likelihood of the true class. */
  nll: number;
  /** Expected calibration error with 15 equal-width confidence bins (Guo et al. 2017). */
  ece: number;
}

/** Metrics from row-major logits [n, k] and labels [n]. */
export function classificationMetrics(logits: Float32Array, labels: Int32Array, k: number, bins = 15): EvalMetrics {
  const n = labels.length;
  let correct = 0;
  let nll = 0;
  const binCount = new Float64Array(bins);
  const binConf = new Float64Array(bins);
  const binAcc = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * k, (i + 1) * k);
    let max = -Infinity;
    let arg = 0;
    for (let j = 0; j < k; j++) if (row[j] > max) { max = row[j]; arg = j; }
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(row[j] - max);
    const logZ = max + Math.log(sum);
    nll += logZ - row[labels[i]];
    const conf = Math.exp(max - logZ);
    const hit = arg === labels[i] ? 1 : 0;
    correct += hit;
    const b = Math.min(bins - 1, Math.floor(conf * bins));
    binCount[b] += 1;
    binConf[b] += conf;
    binAcc[b] += hit;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (binCount[b] > 0) ece += Math.abs(binAcc[b] - binConf[b]) / n;
  return { accuracy: correct / n, nll: nll / n, ece };
}

/** Index of the largest of the k logits starting at `offset` (the first on ties, as tf.argMax). */
export function argmaxAt(logits: Float32Array, offset: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (logits[offset + j] > logits[offset + best]) best = j;
  return best;
}
