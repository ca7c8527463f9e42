/**
 * Token embedding for text: rows of a [V, d] table picked by token id, trainable on every backend.
 *
 * tf.gather's own gradient needs UnsortedSegmentSum, which tfjs-backend-wasm lacks, and a one-hot [B·L, V] × [V, d]
 * product costs B·L·V·d multiply-adds each way (2·10⁹ a step at B 64, L 32, V 6,000, d 64). So on wasm and cpu the
 * gradient is a scatter-add on the host: dy [B·L, d] is read back (B·L·d floats), summed into the rows of the ids,
 * and uploaded as the dense [V, d] gradient. On the tensorflow backends the native gather gradient is used.
 *
 * On webgpu neither works: a host read inside a gradient would have to be synchronous, which tfjs-backend-webgpu
 * cannot do under Node, and its UnsortedSegmentSum adds rows with atomics, in an order that changes from run to run
 * (and slowly, when many rows hit one id). There the gradient is a product: for the U distinct ids of the batch,
 * S [U, n] with S[u, i] = (ids[i] = u-th id), built on the GPU from two small index tensors; S·dy sums each id's rows
 * in a fixed order (U·n·d multiply-adds, in column blocks of n), and a gather places the sums in the [V, d] gradient.
 */
import * as tf from '../tf';
import { customGrad, embeddingGradient } from './ops';

/** Columns of the selection matrix per product: bounds its memory to U × 4,096 floats. */
const SELECTION_BLOCK = 4096;

/** table[ids[i]] for every i: [n, d]. */
export function embedTokens(ids: Int32Array, table: tf.Tensor2D): tf.Tensor2D {
  const how = embeddingGradient();
  if (how === 'native') return tf.gather(table, tf.tensor1d(ids, 'int32')) as tf.Tensor2D;
  if (how === 'selection') return embedTokensBySelection(ids, table);
  const [V, d] = table.shape;
  // Index tensors are made inside the forward function (captured tensors would be disposed before the gradient).
  const op = customGrad((t: tf.Tensor, _save: tf.GradSaveFunc) => ({
    value: tf.gather(t, tf.tensor1d(ids, 'int32')),
    gradFunc: (dy: tf.Tensor) => {
      const g = dy.dataSync() as Float32Array;
      const out = new Float32Array(V * d);
      for (let i = 0; i < ids.length; i++) {
        const r = ids[i] * d;
        const s = i * d;
        for (let k = 0; k < d; k++) out[r + k] += g[s + k];
      }
      return [tf.tensor2d(out, [V, d])];
    },
  }));
  return op(table) as tf.Tensor2D;
}

function embedTokensBySelection(ids: Int32Array, table: tf.Tensor2D): tf.Tensor2D {
  const [V, d] = table.shape;
  const distinct = Int32Array.from(new Set(ids)).sort();
  const U = distinct.length;
  // Row of the sums for each table row: its id's position in `distinct`, or U (a zero row) for ids not in the batch.
  const place = new Int32Array(V).fill(U);
  distinct.forEach((id, u) => { place[id] = u; });
  const op = customGrad((t: tf.Tensor, _save: tf.GradSaveFunc) => ({
    value: tf.gather(t, tf.tensor1d(ids, 'int32')),
    gradFunc: (dy: tf.Tensor) => {
      const column = tf.tensor2d(distinct, [U, 1], 'int32');
      let sums: tf.Tensor2D | null = null;
      for (let start = 0; start < ids.length; start += SELECTION_BLOCK) {
        const n = Math.min(SELECTION_BLOCK, ids.length - start);
        const select = tf.cast(tf.equal(column, tf.tensor2d(ids.subarray(start, start + n), [1, n], 'int32')), 'float32') as tf.Tensor2D;
        const part = tf.matMul(select, dy.slice([start, 0], [n, d])) as tf.Tensor2D;
        sums = sums ? (tf.add(sums, part) as tf.Tensor2D) : part;
      }
      return [tf.gather(tf.concat([sums!, tf.zeros([1, d])], 0), tf.tensor1d(place, 'int32'))];
    },
  }));
  return op(table) as tf.Tensor2D;
}

/** For token ids [B·L]: 1 where a token is real, 0 where it is padding (id 0). */
export function realTokens(ids: Int32Array): Uint8Array {
  const real = new Uint8Array(ids.length);
  for (let i = 0; i < ids.length; i++) real[i] = ids[i] !== 0 ? 1 : 0;
  return real;
}

/**
 * For a real-token mask [B, L] (1 = real token, 0 = padding; `realTokens`, or the mask a method's `realTokens` hook
 * returns): the attention key bias [B, T] (−1e9 on padding keys, 0 elsewhere; `prefix` extra always-visible positions
 * first, e.g. CLS) and mean-pooling weights [B, L] (1/count on real tokens, 0 on padding).
 */
export function paddingMasks(real: Uint8Array, B: number, L: number, prefix: number): { keyBias: Float32Array; poolWeights: Float32Array } {
  const T = L + prefix;
  const keyBias = new Float32Array(B * T);
  const poolWeights = new Float32Array(B * L);
  for (let b = 0; b < B; b++) {
    let count = 0;
    for (let t = 0; t < L; t++) if (real[b * L + t]) count++;
    for (let t = 0; t < L; t++) {
      if (!real[b * L + t]) keyBias[b * T + prefix + t] = -1e9;
      else poolWeights[b * L + t] = 1 / count;
    }
    // A sequence of padding only (never produced by the loaders) attends to everything rather than to nothing.
    if (count === 0) for (let t = 0; t < L; t++) { keyBias[b * T + prefix + t] = 0; poolWeights[b * L + t] = 1 / L; }
  }
  return { keyBias, poolWeights };
}
