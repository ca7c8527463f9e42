/** Classification metrics from logits on the host, and a run's metrics from its curve. */
import type { EpochRecord, RunMetrics } from '../core/record';

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

/** A finished run's metrics: best and last epoch of the curve, the final model's NLL and ECE, throughput. */
export function summariseCurve(curve: EpochRecord[], trainSeconds: number, samplesPerSec: number, parameterCount: number): RunMetrics {
  let best = curve[0];
  for (const r of curve) if (r.testAccuracy > best.testAccuracy) best = r;
  const last = curve[curve.length - 1];
  return {
    bestAccuracy: best.testAccuracy,
    lastAccuracy: last.testAccuracy,
    bestEpoch: best.epoch,
    testNll: last.testNll,
    ece: last.testEce,
    finalTrainLoss: last.trainLoss,
    trainSeconds,
    samplesPerSec,
    parameterCount,
  };
}
