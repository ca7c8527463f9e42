/** The evaluation forward: logits of the plain network (plus the method's network hooks) on many examples, in batches. */
import * as tf from '../tf';
import type { Dataset } from '../data/dataset';
import { featureSize } from '../data/dataset';
import type { ForwardHooks, Model } from '../model/types';

/**
 * Row-major logits [n, K] for the first n examples of `x` (n × feature size values). Reads back asynchronously: the
 * webgpu backend cannot read GPU data synchronously under Node.
 */
export async function predictLogits(
  model: Model,
  ds: Pick<Dataset, 'shape' | 'numClasses'>,
  x: Float32Array,
  n: number,
  batchSize: number,
  network?: ForwardHooks,
): Promise<Float32Array> {
  const size = featureSize(ds.shape);
  const logits = new Float32Array(n * ds.numClasses);
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const out = tf.tidy(() => model.forward(tf.tensor(x.subarray(start * size, (start + b) * size), [b, ...ds.shape]), { training: false, hooks: network }));
    logits.set((await out.data()) as Float32Array, start * ds.numClasses);
    out.dispose();
  }
  return logits;
}
