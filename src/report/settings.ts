/**
 * Report settings from the config: which statistic is "the" accuracy, and the claims to check.
 * These never enter a RunSpec, so changing them never changes run ids: `mixbench report` can be re-run with other
 * settings on the same records.
 */
import { z } from 'zod';

export const ACCURACY_METRICS = ['best', 'last', 'median-last-k'] as const;
export type AccuracyMetric = (typeof ACCURACY_METRICS)[number];

/** Claim metrics: the accuracy statistics (higher is better) and diagnostics where lower is better. */
export const CLAIM_METRICS = ['best', 'last', 'median-last-k', 'gap', 'nll', 'ece', 'oversmoothing'] as const;
export type ClaimMetric = (typeof CLAIM_METRICS)[number];

export const ReportSchema = z.strictObject({
  /** The accuracy statistic used for deltas, paired tests and ranks: best epoch, last epoch, or the median of the last k epochs. */
  metric: z.enum(ACCURACY_METRICS).optional(),
  /** k for median-last-k (default 5). */
  k: z.number().int().positive().optional(),
  /** Significance level for claims (default 0.05). */
  alpha: z.number().gt(0).lt(1).optional(),
  /** Paired test used for claims: paired t-test (default) or exact Wilcoxon signed-rank. */
  test: z.enum(['paired-t', 'wilcoxon']).optional(),
});
export type ReportFile = z.infer<typeof ReportSchema>;

const claimCommon = {
  /** Compared arm (the method's display name in the config). */
  than: z.string().min(1),
  metric: z.enum(CLAIM_METRICS).optional(),
  /** Noise setting: a rate (0 = clean, i.e. `none`) or a noise label as shown in the tables. */
  noise: z.union([z.number().min(0).lt(1), z.string().min(1)]).optional(),
  /** Dataset as named in the tables (e.g. `digits`, or `digits-train0.1` for limited data); default: every dataset. */
  dataset: z.string().min(1).optional(),
  /** For `notWorse`: the tolerated loss (in the metric's units, e.g. 0.01 = one accuracy point). */
  margin: z.number().min(0).optional(),
  /** Free text shown with the verdict (e.g. the paper's wording). */
  note: z.string().optional(),
};

/**
 * `better: A, than: B`: A beats B on the metric, significantly (paired over seeds). `effect`: the improvement the
 * paper reports, in the metric's units (0.02 = two accuracy points): a claim that does not hold is "inconclusive"
 * when the experiment could not have detected an improvement that large.
 */
export const BetterClaimSchema = z.strictObject({ better: z.string().min(1), ...claimCommon, effect: z.number().gt(0).optional() });
/** `notWorse: A, than: B, margin: m`: A is not worse than B by more than m (the 95% CI of the paired difference excludes −m). */
export const NotWorseClaimSchema = z.strictObject({ notWorse: z.string().min(1), ...claimCommon });
/**
 * `ensembleInvariant: A`: the full ensemble of A's members (config `ensemble:`) is more invariant than its members:
 * lower divergence (or higher OSP) than the members' own values, by a one-sample t-test over the members.
 */
export const EnsembleClaimSchema = z.strictObject({
  ensembleInvariant: z.string().min(1),
  metric: z.enum(['divergence', 'osp']).optional(),
  noise: claimCommon.noise,
  dataset: claimCommon.dataset,
  note: claimCommon.note,
});
export const ClaimSchema = z.union([BetterClaimSchema, NotWorseClaimSchema, EnsembleClaimSchema]);
export type ClaimFile = z.infer<typeof ClaimSchema>;

export interface Claim {
  kind: 'better' | 'notWorse' | 'ensemble';
  /** ensemble claims: the equivariance metric compared (ensemble vs its members). */
  ensembleMetric?: 'divergence' | 'osp';
  method: string;
  than: string;
  metric: ClaimMetric;
  noise?: number | string;
  dataset?: string;
  margin: number;
  /** better: the paper's improvement (metric units), for the power check. */
  effect?: number;
  note?: string;
}

export interface ReportSettings {
  metric: AccuracyMetric;
  k: number;
  alpha: number;
  test: 'paired-t' | 'wilcoxon';
  claims: Claim[];
}

export const DEFAULT_REPORT: ReportSettings = { metric: 'best', k: 5, alpha: 0.05, test: 'paired-t', claims: [] };

export function resolveReport(report: ReportFile | undefined, claims: ClaimFile[] | undefined): ReportSettings {
  const r = report ?? {};
  const metric = r.metric ?? 'best';
  return {
    metric,
    k: r.k ?? 5,
    alpha: r.alpha ?? 0.05,
    test: r.test ?? 'paired-t',
    claims: (claims ?? []).map((c): Claim => {
      if ('ensembleInvariant' in c) {
        return {
          kind: 'ensemble', method: c.ensembleInvariant, than: 'its members', metric, ensembleMetric: c.metric ?? 'divergence',
          noise: c.noise, dataset: c.dataset, margin: 0, note: c.note,
        };
      }
      return {
        kind: 'better' in c ? 'better' as const : 'notWorse' as const,
        method: 'better' in c ? c.better : c.notWorse,
        than: c.than,
        metric: c.metric ?? metric,
        noise: c.noise,
        dataset: c.dataset,
        margin: c.margin ?? 0,
        ...('better' in c && c.effect !== undefined ? { effect: c.effect } : {}),
        note: c.note,
      };
    }),
  };
}

/** The statistic's name in column headers: best_acc, last_acc, median_last5_acc. */
export function metricSlug(metric: AccuracyMetric, k: number): string {
  return metric === 'median-last-k' ? `median_last${k}_acc` : `${metric}_acc`;
}

/** The statistic's name in prose: "best-epoch accuracy", "last-epoch accuracy", "median of the last 5 epochs' accuracy". */
export function metricTitle(metric: ClaimMetric, k: number): string {
  switch (metric) {
    case 'best': return 'best-epoch accuracy';
    case 'last': return 'last-epoch accuracy';
    case 'median-last-k': return `median accuracy of the last ${k} epochs`;
    case 'gap': return 'best − last accuracy gap';
    case 'nll': return 'test NLL';
    case 'ece': return 'test ECE';
    case 'oversmoothing': return 'last-layer token cosine similarity';
  }
}
