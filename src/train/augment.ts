/**
 * Group augmentation for ensemble members (one random group element per training sample, drawn from a stream of its
 * own so batch order is unchanged) and the members' test logits under every group element.
 */
import type { RunSpec } from '../config/plan';
import type { Dataset } from '../data/dataset';
import { featureSize } from '../data/dataset';
import { groupMaps, transformImage, type GroupName } from '../data/groups';
import type { ForwardHooks, Model } from '../model/types';
import { deriveSeed } from '../util/hash';
import { Rng } from '../util/rng';
import { predictLogits } from './predict';

function imageGroup(spec: RunSpec, ds: Dataset, which: 'group' | 'measure'): GroupName | undefined {
  const group = spec.member?.[which];
  return group && group !== 'none' && ds.modality === 'image' ? group : undefined;
}

/** Transforms each of the first `n` images of a batch buffer in place by a random group element; undefined if none. */
export function makeAugmenter(spec: RunSpec, ds: Dataset): ((xs: Float32Array, n: number) => void) | undefined {
  const group = imageGroup(spec, ds, 'group');
  if (!group) return undefined;
  const [h, w, c] = ds.shape;
  const maps = groupMaps(group, h, w);
  const rng = new Rng(deriveSeed('augment', spec.initSeed));
  const size = featureSize(ds.shape);
  const scratch = new Float32Array(size);
  return (xs, n) => {
    for (let i = 0; i < n; i++) {
      const g = rng.int(maps.length);
      if (g === 0) continue;
      transformImage(xs, i * size, scratch, 0, maps[g], c);
      xs.set(scratch, i * size);
    }
  };
}

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
