/**
 * Ensembles and equivariance (Nordenfors & Flinth, arXiv 2410.01452; methods.md §7), from members' test logits under
 * every group element. Definitions follow the official code: the ensemble is the mean of member logits; OSP (orbit
 * same predictions) counts, per test input x, the g ∈ G (identity included) with argmax f(gx) = argmax f(x), in
 * [1, |G|]; the divergence is KL(p(x)‖p(gx)) + KL(p(gx)‖p(x)) on softmax outputs averaged over x and over g ∈ G.
 * Pure functions.
 */
import { argmaxAt } from '../util/argmax';
import { Rng } from '../util/rng';

/** Logits of one model on the test set under each group element: [|G|][n·K]. */
export type OrbitLogits = Float32Array[];

export interface EquivarianceMetrics {
  accuracy: number;
  osp: number;
  divergence: number;
}

function softmaxRow(logits: Float32Array, offset: number, k: number, out: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, logits[offset + j]);
  let sum = 0;
  for (let j = 0; j < k; j++) {
    out[j] = Math.exp(logits[offset + j] - max);
    sum += out[j];
  }
  for (let j = 0; j < k; j++) out[j] /= sum;
}

/** Accuracy on the untransformed inputs (element 0), OSP and symmetric-KL divergence of one model. */
export function equivarianceMetrics(orbit: OrbitLogits, labels: Int32Array, k: number): EquivarianceMetrics {
  const n = labels.length;
  const G = orbit.length;
  const p0 = new Float64Array(k);
  const pg = new Float64Array(k);
  let correct = 0;
  let osp = 0;
  let div = 0;
  for (let i = 0; i < n; i++) {
    const off = i * k;
    const pred = argmaxAt(orbit[0], off, k);
    if (pred === labels[i]) correct += 1;
    softmaxRow(orbit[0], off, k, p0);
    for (let g = 0; g < G; g++) {
      if (argmaxAt(orbit[g], off, k) === pred) osp += 1;
      softmaxRow(orbit[g], off, k, pg);
      let skl = 0;
      for (let j = 0; j < k; j++) {
        const a = Math.max(p0[j], 1e-30);
        const b = Math.max(pg[j], 1e-30);
        skl += (a - b) * (Math.log(a) - Math.log(b));
      }
      div += skl;
    }
  }
  return { accuracy: correct / n, osp: osp / n, divergence: div / (n * G) };
}

/** The ensemble's orbit logits: the mean of the members' logits, element by element. */
export function ensembleLogits(members: OrbitLogits[]): OrbitLogits {
  const G = members[0].length;
  return Array.from({ length: G }, (_, g) => {
    const out = new Float32Array(members[0][g].length);
    for (const m of members) for (let i = 0; i < out.length; i++) out[i] += m[g][i];
    for (let i = 0; i < out.length; i++) out[i] /= members.length;
    return out;
  });
}

export interface SizeRow {
  size: number;
  bootstraps: number;
  ensemble: EquivarianceMetrics;
  /** Mean over the drawn members of their own metrics. */
  member: EquivarianceMetrics;
}

function meanMetrics(ms: EquivarianceMetrics[]): EquivarianceMetrics {
  const n = ms.length;
  return {
    accuracy: ms.reduce((s, m) => s + m.accuracy, 0) / n,
    osp: ms.reduce((s, m) => s + m.osp, 0) / n,
    divergence: ms.reduce((s, m) => s + m.divergence, 0) / n,
  };
}

/** Ensemble sizes to report for K members: 1, 2, 5, 10, 25, 50, 100, … up to K, and K itself. */
export function ensembleSizes(k: number): number[] {
  const out = [1, 2, 5, 10, 25, 50, 75, 100, 250, 500, 1000].filter((s) => s <= k);
  if (!out.includes(k)) out.push(k);
  return out;
}

/**
 * Metrics versus ensemble size: for each size, `bootstraps` ensembles drawn from the members with replacement (as the
 * official code does), averaged. Deterministic for a given seed.
 */
export function ensembleVersusSize(
  members: OrbitLogits[],
  labels: Int32Array,
  k: number,
  bootstraps = 30,
  seed = 1,
  own: EquivarianceMetrics[] = members.map((m) => equivarianceMetrics(m, labels, k)),
): SizeRow[] {
  const rng = new Rng(seed);
  return ensembleSizes(members.length).map((size) => {
    const ens: EquivarianceMetrics[] = [];
    const mem: EquivarianceMetrics[] = [];
    for (let b = 0; b < bootstraps; b++) {
      const pick = Array.from({ length: size }, () => rng.int(members.length));
      ens.push(equivarianceMetrics(ensembleLogits(pick.map((i) => members[i])), labels, k));
      mem.push(meanMetrics(pick.map((i) => own[i])));
    }
    return { size, bootstraps, ensemble: meanMetrics(ens), member: meanMetrics(mem) };
  });
}
