/** Reading values out of run records, tolerant of records written by older or newer versions. */
import type { RunRecord } from '../run/record';
import { median } from './stats';
import type { AccuracyMetric, ClaimMetric } from './settings';

export interface NoiseInfo {
  /** The label shown in tables (e.g. "none", "symmetric-0.4"). */
  label: string;
  /** Noise type ("none" for clean data). */
  type: string;
  /** Nominal rate in [0, 1) (0 for clean data); undefined when the record does not say. */
  rate: number | undefined;
}

/**
 * The noise of a run. Records carry `spec.noise.label`, and (datasets-and-noise issue) `type` and `rate`, possibly
 * nested under `label` / `input` objects. Absent fields: label "none" means rate 0 and type "none".
 */
export function noiseInfo(r: RunRecord): NoiseInfo {
  const n = (r.spec.noise ?? { label: 'none' }) as unknown as Record<string, unknown>;
  const label = typeof n.label === 'string' ? n.label : 'none';
  const find = (o: Record<string, unknown>, depth: number): { type?: string; rate?: number } => {
    const out: { type?: string; rate?: number } = {};
    if (typeof o.type === 'string') out.type = o.type;
    if (typeof o.rate === 'number') out.rate = o.rate;
    if ((out.type === undefined || out.rate === undefined) && depth < 2) {
      for (const v of Object.values(o)) {
        if (v && typeof v === 'object' && !Array.isArray(v)) {
          const inner = find(v as Record<string, unknown>, depth + 1);
          out.type ??= inner.type;
          out.rate ??= inner.rate;
        }
      }
    }
    return out;
  };
  const f = find(n, 0);
  if (label === 'none' && f.rate === undefined) return { label, type: f.type ?? 'none', rate: 0 };
  return { label, type: f.type ?? (label === 'none' ? 'none' : label), rate: f.rate };
}

/**
 * The dataset as named in tables: the name, plus the limited-data setting when there is one (`digits-train0.1`,
 * `digits-n500`), so full and limited runs of one dataset stay apart.
 */
export function datasetLabel(r: RunRecord): string {
  return datasetLabelOf(r.spec.dataset);
}

export function datasetLabelOf(dataset: { name: string }): string {
  const d = dataset as { name: string; trainFraction?: number; trainSize?: number };
  if (typeof d.trainFraction === 'number' && d.trainFraction < 1) return `${d.name}-train${d.trainFraction}`;
  if (typeof d.trainSize === 'number') return `${d.name}-n${d.trainSize}`;
  return d.name;
}

/** The pairing key of a run: its seed, and its ensemble member index when it is one. */
export function pairKey(r: RunRecord): string {
  const m = (r.spec as { member?: { index: number } }).member;
  return m ? `${r.spec.seed}/${m.index}` : String(r.spec.seed);
}

export function isOk(r: RunRecord): boolean {
  return r.status === 'ok' && !!r.metrics && Array.isArray(r.curve) && r.curve.length > 0;
}

/** "The" accuracy of a run under a statistic: best epoch, last epoch, or the median of the last k epochs. */
export function accuracyOf(r: RunRecord, metric: AccuracyMetric, k: number): number | undefined {
  if (!isOk(r)) return undefined;
  switch (metric) {
    case 'best': return r.metrics!.bestAccuracy;
    case 'last': return r.metrics!.lastAccuracy;
    case 'median-last-k': return median(r.curve.slice(-k).map((e) => e.testAccuracy));
  }
}

/** The last layer's token cosine similarity (over-smoothing), when the record has the diagnostic. */
export function lastLayerCosine(r: RunRecord): number | undefined {
  const layers = r.oversmoothing?.layers;
  if (!layers?.length) return undefined;
  return layers.reduce((a, b) => (b.depth > a.depth ? b : a)).cosine;
}

/** A claim metric's value for one run, and whether higher is better. */
export function claimValue(r: RunRecord, metric: ClaimMetric, k: number): number | undefined {
  if (!isOk(r)) return undefined;
  switch (metric) {
    case 'best':
    case 'last':
    case 'median-last-k':
      return accuracyOf(r, metric, k);
    case 'gap': return r.metrics!.bestAccuracy - r.metrics!.lastAccuracy;
    case 'nll': return r.metrics!.testNll;
    case 'ece': return r.metrics!.ece;
    case 'oversmoothing': return lastLayerCosine(r);
  }
}

export function higherIsBetter(metric: ClaimMetric): boolean {
  return metric === 'best' || metric === 'last' || metric === 'median-last-k';
}

const KNOWN_METRICS = new Set([
  'bestAccuracy', 'lastAccuracy', 'bestEpoch', 'testNll', 'ece', 'finalTrainLoss', 'trainSeconds', 'samplesPerSec', 'parameterCount',
]);

/** Known top-level record sections and the columns their fields become. */
const SECTIONS: Record<string, Record<string, string>> = {
  // Noisy runs: last-epoch training accuracy on the label-corrupted examples, against the noisy and the true labels.
  memorisation: { noisyFit: 'memorisation_noisy_fit', trueFit: 'memorisation_true_fit' },
  // The realised training-set noise.
  noise: { labelFraction: 'realised_label_noise', inputFraction: 'realised_input_noise', tokenFraction: 'realised_token_noise' },
};

function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
}

/**
 * Numeric values a record carries beyond the foundation's metrics: unknown numeric fields of `metrics` (one level of
 * nesting, snake_case) and the known sections above (memorisation on the corrupted subset, realised noise).
 */
export function extraValues(r: RunRecord): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (o: unknown, prefix: string, depth: number) => {
    if (!o || typeof o !== 'object' || Array.isArray(o) || depth > 2) return;
    for (const [key, v] of Object.entries(o as Record<string, unknown>)) {
      const name = prefix ? `${prefix}_${snake(key)}` : snake(key);
      if (typeof v === 'number' && Number.isFinite(v)) out.set(name, v);
      else if (v && typeof v === 'object') walk(v, name, depth + 1);
    }
  };
  if (r.metrics) {
    const unknown = Object.fromEntries(Object.entries(r.metrics).filter(([key]) => !KNOWN_METRICS.has(key)));
    walk(unknown, '', 0);
  }
  const rec = r as unknown as Record<string, unknown>;
  for (const [section, fields] of Object.entries(SECTIONS)) {
    const o = rec[section];
    if (!o || typeof o !== 'object') continue;
    for (const [key, column] of Object.entries(fields)) {
      const v = (o as Record<string, unknown>)[key];
      if (typeof v === 'number' && Number.isFinite(v)) out.set(column, v);
    }
  }
  return out;
}
