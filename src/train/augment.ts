/**
 * Group augmentation for ensemble members (one random group element per training sample, drawn from a stream of its
 * own so batch order is unchanged) and the members' test logits under every group element.
 */
import * as tf from '../tf';
import type { RunSpec } from '../config/plan';
import type { Dataset } from '../data/dataset';
import { featureSize } from '../data/dataset';
import { groupMaps, transformImage, type GroupName } from '../data/groups';
import type { ForwardHooks, Model } from '../model/types';
import { deriveSeed } from '../util/hash';
import { Rng } from '../util/rng';

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
export function orbitLogits(model: Model, ds: Dataset, spec: RunSpec, batchSize: number, network?: ForwardHooks): Float32Array[] {
  const group = imageGroup(spec, ds, 'measure');
  const size = featureSize(ds.shape);
  const maps = group ? groupMaps(group, ds.shape[0], ds.shape[1]) : [null];
  const split = ds.test;
  return maps.map((map) => {
    const logits = new Float32Array(split.n * ds.numClasses);
    const buf = new Float32Array(batchSize * size);
    for (let start = 0; start < split.n; start += batchSize) {
      const n = Math.min(batchSize, split.n - start);
      for (let i = 0; i < n; i++) {
        if (map) transformImage(split.x, (start + i) * size, buf, i * size, map, ds.shape[2]);
        else buf.set(split.x.subarray((start + i) * size, (start + i + 1) * size), i * size);
      }
      const out = tf.tidy(() => model.forward(tf.tensor(buf.subarray(0, n * size), [n, ...ds.shape]), { training: false, hooks: network }));
      logits.set(out.dataSync() as Float32Array, start * ds.numClasses);
      out.dispose();
    }
    return logits;
  });
}
