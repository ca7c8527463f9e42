/**
 * Group augmentation for ensemble members: one random group element per training sample, drawn from a stream of its
 * own so batch order is unchanged.
 */
import type { RunSpec } from '../core/run';
import type { Dataset } from '../data/dataset';
import { featureSize } from '../data/dataset';
import { groupMaps, transformImage, type GroupName } from '../data/groups';
import { deriveSeed } from '../util/hash';
import { Rng } from '../util/rng';

/** The image group of a member's augmentation or measurement; undefined when there is none or the data are not images. */
export function imageGroup(spec: RunSpec, ds: Dataset, which: 'group' | 'measure'): GroupName | undefined {
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
