/** Names of the report's statistics in column headers and prose. The settings themselves: src/core/experiment.ts. */
import type { AccuracyMetric, ClaimMetric } from '../core/experiment';

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
