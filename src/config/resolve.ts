/**
 * Defaults live here and nowhere else: every value a config may leave out (model, training, seeds, split seed,
 * backend, output directory, ensemble groups, report settings) is filled in by these functions, and everything
 * downstream works on the resolved experiment (src/core/experiment.ts).
 */
import type { Issue } from '../errors';
import { UsageError } from '../errors';
import {
  ACCURACY_METRICS, INPUT_NOISE_TYPES, LABEL_NOISE_TYPES, TEXT_NOISE_TYPES, type Claim, type GridPoint, type NoiseType, type ReportSettings,
  type ResolvedDataset, type ResolvedEnsemble, type ResolvedExperiment, type ResolvedMethod, type ResolvedModel, type ResolvedNoise,
  type ResolvedTrain, type SweepAxis,
} from '../core/experiment';
import { issueAt, type SourceMap } from './locate';
import type { z } from 'zod';
import type { ClaimFile, DatasetEntry, ExperimentFile, ModelSchema, ReportFile, TrainSchema } from './schema';

export const DEFAULT_SPLIT_SEED = 20240601;
export const DEFAULT_SEEDS = [1, 2, 3];
export const DEFAULT_BACKEND = 'auto';

/**
 * The resolved experiment from a schema-checked file and its separately resolved methods (arms), noise axis and
 * model × training grid (src/config/grid.ts, each point resolved by resolveModel and resolveTrain).
 */
export function resolveExperiment(
  file: ExperimentFile,
  methods: ResolvedMethod[],
  noise: ResolvedNoise[],
  grid: GridPoint[],
  axes: SweepAxis[],
): ResolvedExperiment {
  return {
    name: file.name,
    seeds: resolveSeeds(file.seeds),
    datasets: file.datasets.map(resolveDatasetEntry),
    methods,
    noise,
    grid,
    axes,
    backend: file.backend ?? DEFAULT_BACKEND,
    splitSeed: file.splitSeed ?? DEFAULT_SPLIT_SEED,
    output: file.output ?? `results/${file.name}`,
    ensemble: resolveEnsemble(file.ensemble),
    report: resolveReport(file.report, file.claims, axes),
  };
}

export function resolveDatasetEntry(entry: DatasetEntry): ResolvedDataset {
  return typeof entry === 'string' ? { name: entry } : { ...entry };
}

/** Ensemble members; the measurement group defaults to the augmentation group, which defaults to none. */
export function resolveEnsemble(ensemble: ExperimentFile['ensemble']): ResolvedEnsemble | null {
  if (!ensemble) return null;
  const group = ensemble.augment?.group ?? 'none';
  return { members: ensemble.members, group, measure: ensemble.measure?.group ?? group };
}

export function resolveSeeds(seeds: ExperimentFile['seeds']): number[] {
  if (seeds === undefined) return [...DEFAULT_SEEDS];
  if (typeof seeds === 'number') return Array.from({ length: seeds }, (_, i) => i + 1);
  return [...new Set(seeds)];
}

export function resolveModel(model: z.output<typeof ModelSchema> | undefined): ResolvedModel {
  const m = model ?? { type: 'transformer' as const };
  if (m.type === 'mlp') {
    return { type: 'mlp', hidden: m.hidden ?? [256, 256], dropout: m.dropout ?? 0.1 };
  }
  return {
    type: 'transformer',
    dim: m.dim ?? 64,
    depth: m.depth ?? 2,
    heads: m.heads ?? 4,
    mlpDim: m.mlpDim ?? 2 * (m.dim ?? 64),
    patch: m.patch ?? 2,
    pool: m.pool ?? 'mean',
    // No dropout by default: on the small bundled sets it cost 0.5-5 points of test accuracy in 15 epochs.
    dropout: m.dropout ?? 0,
  };
}

export function resolveTrain(train: z.output<typeof TrainSchema> | undefined): ResolvedTrain {
  const t = train ?? {};
  const optimizer = t.optimizer ?? 'adamw';
  return {
    epochs: t.epochs ?? 15,
    batchSize: t.batchSize ?? 64,
    optimizer,
    lr: t.lr ?? (optimizer === 'sgd' ? 0.05 : 0.001),
    weightDecay: t.weightDecay ?? (optimizer === 'adamw' ? 0.05 : 0),
    momentum: t.momentum ?? 0.9,
    nesterov: t.nesterov ?? false,
    beta1: t.beta1 ?? 0.9,
    beta2: t.beta2 ?? 0.999,
    eps: t.eps ?? 1e-8,
    schedule: t.schedule ?? 'cosine',
    warmupEpochs: t.warmupEpochs ?? 1,
    gradClip: t.gradClip ?? null,
    evalBatchSize: t.evalBatchSize ?? 512,
  };
}

/**
 * The noise axis. Entries: `none`, or one of `{label: {type, rate, map?}}`, `{input: {type, rate | std}}`,
 * `{text: {type, rate}}`, where a rate may be a list (one setting per value). See ResolvedNoise.
 */
export function resolveNoise(src: SourceMap, noise: unknown[] | undefined, issues: Issue[]): ResolvedNoise[] {
  const NONE: ResolvedNoise = { label: 'none', kind: 'none', type: 'none', rate: 0 };
  if (noise === undefined) return [NONE];
  const out: ResolvedNoise[] = [];
  const add = (n: ResolvedNoise) => {
    if (!out.some((o) => o.label === n.label)) out.push(n);
  };
  const kinds = { label: LABEL_NOISE_TYPES, input: INPUT_NOISE_TYPES, text: TEXT_NOISE_TYPES } as const;
  noise.forEach((entry, i) => {
    const at = (path: (string | number)[], msg: string) => issues.push(issueAt(src, ['noise', i, ...path], msg));
    if (entry === 'none' || entry === null) return add(NONE);
    if (typeof entry !== 'object' || Array.isArray(entry)) {
      return at([], 'a noise entry is `none` or a map with one of label, input, text, e.g. {label: {type: symmetric, rate: [0.2, 0.4]}}');
    }
    const keys = Object.keys(entry as object);
    if (keys.length !== 1 || !(keys[0] in kinds)) {
      return at([], `a noise entry has exactly one key, label, input or text (found ${keys.join(', ') || 'none'}); list combinations as separate entries`);
    }
    const kind = keys[0] as keyof typeof kinds;
    const body = (entry as Record<string, unknown>)[kind];
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return at([kind], `expected {type: ${kinds[kind].join(' | ')}, rate: ...}`);
    const b = body as Record<string, unknown>;
    const allowed = ['type', 'rate', ...(kind === 'input' ? ['std'] : []), ...(kind === 'label' ? ['map'] : [])];
    for (const k of Object.keys(b)) if (!allowed.includes(k)) at([kind, k], `unknown key "${k}"; ${kind} noise takes ${allowed.join(', ')}`);
    const type = b.type;
    if (typeof type !== 'string' || !(kinds[kind] as readonly string[]).includes(type)) {
      return at([kind, 'type'], `${kind} noise type must be one of ${kinds[kind].join(', ')}${type === undefined ? '' : `, not "${String(type)}"`}`);
    }
    const gaussian = type === 'gaussian';
    const rateKey = gaussian && b.std !== undefined ? 'std' : 'rate';
    const raw = b[rateKey];
    if (raw === undefined) return at([kind], `missing ${gaussian ? '"std" (relative to each feature\'s std)' : '"rate"'}`);
    const rates = Array.isArray(raw) ? raw : [raw];
    let map: number[] | undefined;
    if (b.map !== undefined) {
      if (type !== 'asymmetric') return at([kind, 'map'], '`map` applies to asymmetric label noise only');
      const m = b.map;
      if (Array.isArray(m) && m.every((v) => Number.isInteger(v) && v >= 0)) map = m as number[];
      else if (m && typeof m === 'object' && !Array.isArray(m) && Object.entries(m).every(([k, v]) => /^\d+$/.test(k) && Number.isInteger(v) && (v as number) >= 0)) {
        const e = Object.entries(m as Record<string, number>).map(([k, v]) => [Number(k), v] as const);
        map = Array.from({ length: Math.max(...e.map(([k]) => k)) + 1 }, (_, k) => k);
        for (const [k, v] of e) map[k] = v;
      } else return at([kind, 'map'], 'map is a list (class k → map[k]) or a map {from: to} of class indices ≥ 0');
    }
    rates.forEach((r, j) => {
      const path = Array.isArray(raw) ? [kind, rateKey, j] : [kind, rateKey];
      if (typeof r !== 'number' || !Number.isFinite(r)) return at(path, `${rateKey} must be a number`);
      if (gaussian ? r < 0 : r < 0 || r >= 1) return at(path, gaussian ? `std must be ≥ 0, got ${r}` : `noise rate must be in [0, 1), got ${r}`);
      add({ label: `${type}${map ? '-map' : ''}-${r}`, kind, type: type as NoiseType, rate: r, ...(map ? { map } : {}) });
    });
  });
  return out;
}

/**
 * Report settings: "the" accuracy statistic, k, alpha, the paired test, the claims with their defaults, and the sweep's
 * axes and axis plots (only when the config has axes or plots, so that settings saved without them stay as they were).
 */
export function resolveReport(report?: ReportFile, claims?: ClaimFile[], axes: SweepAxis[] = []): ReportSettings {
  const r = report ?? {};
  const metric = r.metric ?? 'best';
  return {
    metric,
    k: r.k ?? 5,
    alpha: r.alpha ?? 0.05,
    test: r.test ?? 'paired-t',
    claims: (claims ?? []).map((c): Claim => {
      const where = c.where === undefined ? {} : { where: c.where };
      if ('ensembleInvariant' in c) {
        return {
          kind: 'ensemble', method: c.ensembleInvariant, than: 'its members', metric, ensembleMetric: c.metric ?? 'divergence',
          noise: c.noise, dataset: c.dataset, ...where, margin: 0, note: c.note,
        };
      }
      return {
        kind: 'better' in c ? 'better' as const : 'notWorse' as const,
        method: 'better' in c ? c.better : c.notWorse,
        than: c.than,
        metric: c.metric ?? metric,
        noise: c.noise,
        dataset: c.dataset,
        ...where,
        margin: c.margin ?? 0,
        ...('better' in c && c.effect !== undefined ? { effect: c.effect } : {}),
        note: c.note,
      };
    }),
    ...(axes.length ? { axes: axes.map(({ key, values, method }) => ({ key, values, ...(method ? { method } : {}) })) } : {}),
    ...(r.plots?.length ? { plots: r.plots } : {}),
  };
}

/** `mixbench report --metric M -k K` over the settings from a config, report.json or the defaults. */
export function overrideReport(settings: ReportSettings, flags: { metric?: string; k?: string }): ReportSettings {
  const s = { ...settings };
  if (flags.metric !== undefined) {
    if (!(ACCURACY_METRICS as readonly string[]).includes(flags.metric)) throw new UsageError(`--metric must be one of ${ACCURACY_METRICS.join(', ')}, got "${flags.metric}"`);
    s.metric = flags.metric as ReportSettings['metric'];
  }
  if (flags.k !== undefined) {
    const k = Number(flags.k);
    if (!Number.isInteger(k) || k < 1) throw new UsageError(`-k must be a positive integer, got "${flags.k}"`);
    s.k = k;
  }
  return s;
}
