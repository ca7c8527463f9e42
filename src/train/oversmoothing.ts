/**
 * The over-smoothing diagnostic (NeuTRENO's question): for a trained Transformer, the mean pairwise cosine similarity
 * of token representations at the output of each layer,
 *
 *   S_ℓ = 2/(N(N−1)) Σ_{i<j} ⟨h_i, h_j⟩ / (‖h_i‖‖h_j‖),
 *
 * over the N tokens of one example, averaged over (the first `maxExamples` of) the test examples. Layers: the embedding
 * ({kind: 'embed'}, depth 0) and each block's output ({kind: 'block', layer: l}, depth l + 1). The CLS token (pool:
 * cls) is excluded; padding tokens of text (token id 0) are excluded. Computed with the unit vectors u_i = h_i/‖h_i‖:
 * ‖Σ u_i‖² = N + 2 Σ_{i<j} cos(h_i, h_j), so S = (‖Σ u_i‖² − N) / (N(N−1)) with no T×T matrix.
 *
 * It observes through the model's `hooks.hidden` seam, returning every tensor unchanged, on the evaluated network: the
 * plain forward plus the method's network hooks (NeuTRENO's attention term), as in evaluation. Its result is the
 * record's `oversmoothing` section.
 */
import * as tf from '../tf';
import type { RunSpec } from '../core/run';
import type { Dataset } from '../data/dataset';
import { featureSize } from '../data/dataset';
import type { ForwardHooks, Model } from '../model/types';
import type { Oversmoothing } from '../core/record';

export async function measureOversmoothing(
  model: Model,
  ds: Dataset,
  spec: RunSpec,
  network?: ForwardHooks,
  maxExamples = 512,
  batchSize = 128,
): Promise<Oversmoothing | null> {
  if (model.kind !== 'transformer' || spec.model.type !== 'transformer') return null;
  const hasCls = spec.model.pool === 'cls';
  const isText = ds.modality === 'text';
  const n = Math.min(maxExamples, ds.test.n);
  const size = featureSize(ds.shape);
  const sums = new Map<number, number>();
  const counts = new Map<number, number>();
  const sites = new Map<number, { site: 'embed' | 'block'; layer: number | null }>();

  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const xs = ds.test.x.subarray(start * size, (start + b) * size);
    let maskData: Float32Array | undefined;
    let tokens = 0;
    // ‖Σ u_i‖² per example at each site, kept out of the forward's tidy and read back after it (asynchronously: the
    // webgpu backend cannot read GPU data synchronously under Node).
    const observed: { key: number; sq: tf.Tensor; mask: Float32Array; B: number; T: number }[] = [];
    const observe = (key: number, site: 'embed' | 'block', layer: number | null, h: tf.Tensor): void => {
      const [B, T] = h.shape as [number, number, number];
      if (!maskData || tokens !== T) {
        // 1 for a token that takes part in the pairs, 0 for CLS (position 0 when pool: cls) and text padding.
        tokens = T;
        maskData = new Float32Array(B * T);
        const offset = hasCls ? 1 : 0;
        for (let i = 0; i < B; i++) {
          for (let t = offset; t < T; t++) {
            const tokenIndex = t - offset;
            const pad = isText && tokenIndex < size && xs[i * size + tokenIndex] === 0;
            maskData[i * T + t] = pad ? 0 : 1;
          }
        }
      }
      const sq = tf.tidy(() => {
        const norm = tf.add(tf.sqrt(tf.sum(tf.square(h), -1, true)), 1e-12);
        const mask = tf.tensor(maskData!, [B, T, 1]);
        const s = tf.sum(tf.mul(tf.div(h, norm), mask), 1);
        return tf.sum(tf.square(s), -1);
      });
      observed.push({ key, sq: tf.keep(sq), mask: maskData, B, T });
      sites.set(key, { site, layer });
    };
    tf.tidy(() => {
      const x = tf.tensor(xs, [b, ...ds.shape]);
      model.forward(x, {
        training: false,
        // The evaluated network: the method's network hooks (NeuTRENO's attention term) plus the observer.
        hooks: {
          ...network,
          hidden: (site, h) => {
            const out = network?.hidden ? network.hidden(site, h) : h;
            if (site.kind === 'embed') observe(0, 'embed', null, out);
            else if (site.kind === 'block') observe(site.layer + 1, 'block', site.layer, out);
            return out;
          },
        },
      });
    });
    for (const { key, sq, mask, B, T } of observed) {
      const v = await sq.data();
      sq.dispose();
      for (let i = 0; i < B; i++) {
        let N = 0;
        for (let t = 0; t < T; t++) N += mask[i * T + t];
        if (N < 2) continue;
        sums.set(key, (sums.get(key) ?? 0) + (v[i] - N) / (N * (N - 1)));
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  }
  const layers = [...sites.keys()].sort((a, b) => a - b).map((depth) => ({
    ...sites.get(depth)!,
    depth,
    cosine: (sums.get(depth) ?? 0) / Math.max(1, counts.get(depth) ?? 0),
  }));
  return { examples: n, cls: hasCls ? 'excluded' : 'absent', padding: isText ? 'excluded' : 'absent', layers };
}
