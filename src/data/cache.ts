/** Datasets loaded once per process, keyed by their resolved entry and split seed. No tfjs import. */
import type { RunSpec } from '../core/run';
import { canonicalJson } from '../util/hash';
import type { Dataset } from './dataset';
import { loadDataset } from './load';

const datasetCache = new Map<string, Dataset>();

export function datasetFor(spec: Pick<RunSpec, 'dataset' | 'splitSeed'>): Dataset {
  const key = canonicalJson([spec.dataset, spec.splitSeed]);
  let ds = datasetCache.get(key);
  if (!ds) {
    ds = loadDataset(spec.dataset, spec.splitSeed);
    datasetCache.set(key, ds);
  }
  return ds;
}
