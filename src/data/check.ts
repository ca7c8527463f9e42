/**
 * Pre-flight data check: load every dataset of a plan and check what depends on the data (image size vs patch, a
 * noise class map vs the classes) before any training, so bad input exits 2 with the file and place named.
 */
import type { RunSpec } from '../core/run';
import { ConfigError, type Issue } from '../errors';
import { canonicalJson } from '../util/hash';
import type { Dataset } from './dataset';
import { loadDataset } from './load';
import { checkNoise } from './noise';

export function checkRunData(runs: RunSpec[], load: (spec: RunSpec) => Dataset = (s) => loadDataset(s.dataset, s.splitSeed)): void {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  const add = (i: Issue) => {
    const key = JSON.stringify(i);
    if (!seen.has(key)) { seen.add(key); issues.push(i); }
  };
  const loaded = new Map<string, Dataset | null>();
  for (const spec of runs) {
    const key = canonicalJson([spec.dataset, spec.splitSeed]);
    if (!loaded.has(key)) {
      try {
        loaded.set(key, load(spec));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        for (const i of err.issues) add({ ...i, message: `dataset ${spec.dataset.name}: ${i.message}` });
        loaded.set(key, null);
      }
    }
    const ds = loaded.get(key);
    if (!ds) continue;
    const problem = checkNoise(spec.noise, ds);
    if (problem) add({ file: spec.dataset.name, message: `noise ${problem}` });
    if (spec.model.type === 'transformer' && ds.modality === 'image') {
      const [h, w] = ds.shape;
      const p = spec.model.patch;
      if (h % p !== 0 || w % p !== 0) add({ file: spec.dataset.name, message: `model.patch ${p} does not divide the ${h}×${w} images of ${spec.dataset.name}` });
    }
  }
  if (issues.length) throw new ConfigError(issues);
}
