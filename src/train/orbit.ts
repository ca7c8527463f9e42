/**
 * The orbit-logits diagnostic of ensemble members: the trained network's test logits under every element of the
 * measurement group (identity first), for the ensemble report's accuracy, OSP and divergence versus ensemble size.
 * Its record section is the OrbitInfo of the file the logits are stored in (src/store/orbit.ts).
 */
import type { RunSpec } from '../core/run';
import type { Dataset } from '../data/dataset';
import { featureSize } from '../data/dataset';
import { groupMaps, transformImage } from '../data/groups';
import type { ForwardHooks, Model } from '../model/types';
import { imageGroup } from './augment';
import { predictLogits } from './predict';

/** Test logits [|G|][n·K] of the plain network under every element of the measurement group (identity only if none). */
export async function orbitLogits(model: Model, ds: Dataset, spec: RunSpec, batchSize: number, network?: ForwardHooks): Promise<Float32Array[]> {
  const group = imageGroup(spec, ds, 'measure');
  const split = ds.test;
  if (!group) return [await predictLogits(model, ds, split.x, split.n, batchSize, network)];
  const size = featureSize(ds.shape);
  const moved = new Float32Array(split.n * size);
  const out: Float32Array[] = [];
  for (const map of groupMaps(group, ds.shape[0], ds.shape[1])) {
    for (let i = 0; i < split.n; i++) transformImage(split.x, i * size, moved, i * size, map, ds.shape[2]);
    out.push(await predictLogits(model, ds, moved, split.n, batchSize, network));
  }
  return out;
}
