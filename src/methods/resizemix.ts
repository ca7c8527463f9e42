/**
 * ResizeMix (Qin et al., arXiv 2012.11101): the whole partner image x[π], shrunk to a box, is pasted into the
 * example; the targets are mixed with λ = 1 − box area/(H·W) (the partner's weight is the pasted area). No official
 * code exists; two reference implementations differ in how the box size is drawn, and both are offered:
 *   - openmixup (Westlake-AI/openmixup augments/resizemix.py, its "original settings in ResizeMix", the paper's
 *     form): side ratio τ ~ U(scaleMin, scaleMax) = U(0.1, 0.8), box sides ⌊H·τ⌋ × ⌊W·τ⌋ halved around a uniform
 *     centre and clipped, nearest-neighbour resize (PyTorch's legacy 'nearest');
 *   - mmpretrain (open-mmlab/mmpretrain batch_augments/resizemix.py): λ = scaleMin + (scaleMax − scaleMin)·Beta(α, α)
 *     is the area the example keeps, the box is CutMix's rand_bbox for λ, bilinear resize (align_corners = False).
 * The resize is a product with host-built interpolation matrices (PyTorch's source-index rules), x̃ = x ⊙ (1 − M) +
 * R_y·x[π]·R_xᵀ, the same on every backend.
 */
import { z } from 'zod';
import type * as tf from '../tf';
import { defineMethod } from './define';
import { drawResizeMix, type Box } from './draws';
import { CUT_OTHER_DATA, type OptionMeta } from './options';
import type { Toolkit } from './types';

export type Interpolation = 'nearest' | 'bilinear';

/**
 * The [size, size] matrix that resizes an axis of length `size` to the box span [lo, hi) and places it there (rows
 * outside the span are 0): row lo + o holds the weights of output position o over the input positions.
 * nearest: PyTorch's legacy rule, source = min(⌊o·s⌋, n−1) with s = n/out in float32 (as its kernel computes it).
 * bilinear (align_corners = False): source = max((o + ½)·s − ½, 0), weights on ⌊source⌋ and the next position.
 */
export function resizeMatrix(size: number, lo: number, hi: number, mode: Interpolation): Float32Array {
  const m = new Float32Array(size * size);
  const out = hi - lo;
  for (let o = 0; o < out; o++) {
    const row = (lo + o) * size;
    if (mode === 'nearest') {
      const s = Math.fround(size / out);
      m[row + Math.min(Math.floor(Math.fround(o * s)), size - 1)] = 1;
      continue;
    }
    const src = Math.max((o + 0.5) * (size / out) - 0.5, 0);
    const i0 = Math.floor(src);
    const i1 = i0 < size - 1 ? i0 + 1 : i0;
    const w1 = src - i0;
    m[row + i0] += 1 - w1;
    m[row + i1] += w1;
  }
  return m;
}

/** x[π] resized into the box (zero outside it): R_y·x[π]·R_xᵀ per example and channel, as two 2-D products. */
function pasted(tk: Toolkit, xp: tf.Tensor, box: Box, mode: Interpolation): tf.Tensor {
  const { tf } = tk;
  const [B, H, W, C] = xp.shape;
  const ry = tf.tensor2d(resizeMatrix(H, box.y1, box.y2, mode), [H, H]);
  const rx = tf.tensor2d(resizeMatrix(W, box.x1, box.x2, mode), [W, W]);
  const rows = tf.matMul(ry, tf.transpose(xp, [1, 0, 2, 3]).reshape([H, B * W * C])); // [H', B·W·C]
  const cols = tf.transpose(rows.reshape([H, B, W, C]), [2, 1, 0, 3]).reshape([W, B * H * C]);
  const out = tf.matMul(rx, cols).reshape([W, B, H, C]); // [W', B, H', C]
  return tf.transpose(out, [1, 2, 0, 3]);
}

function boxMask(tk: Toolkit, box: Box, height: number, width: number): tf.Tensor4D {
  const m = new Float32Array(height * width);
  for (let r = box.y1; r < box.y2; r++) m.fill(1, r * width + box.x1, r * width + box.x2);
  return tk.tf.tensor4d(m, [1, height, width, 1]);
}

export default defineMethod({
  name: 'resizemix',
  summary: 'the whole partner image, shrunk, is pasted at a random place; targets weighted by the pasted area',
  family: 'cutting-based',
  kinds: ['mixing'],
  actsOn: 'model input images [H, W, C] (a resized copy of x[π] pasted into a box); targets with the same π and the area λ',
  models: ['transformer', 'mlp'],
  modalities: ['image'],
  cost: { text: '≈1× (one resize of B images per step)', measured: 1.04 },
  paper: 'Qin, Fang, Zhang, Liu, Wang, Wang, "ResizeMix: Mixing Data with Preserved Object Information and True Labels", arXiv 2012.11101 (2020)',
  notes: 'No official code. variant openmixup (default) is the paper\'s form as OpenMixup implements it (τ ~ U(0.1, 0.8) side ratio, nearest resize); mmpretrain draws the kept area from a Beta mapped to [0.1, 0.8] (bilinear). A box with no pixels (τ·side < 2, e.g. τ < 0.25 on 8×8 images) pastes nothing and leaves λ = 1, where both references would fail on a zero-size resize. OpenMixup swaps the height and width roles in its box; they coincide on square images, and mixbench uses rows for H and columns for W.',
  otherData: CUT_OTHER_DATA,
  options: z.strictObject({
    variant: z.enum(['openmixup', 'mmpretrain']).default('openmixup').describe('openmixup: τ ~ U(scaleMin, scaleMax) is the side ratio (the paper\'s form); mmpretrain: scaleMin + (scaleMax − scaleMin)·Beta(α, α) is the area the example keeps'),
    scaleMin: z.number().min(0).max(1).default(0.1).describe('lower end of τ (openmixup) or of the kept area λ (mmpretrain)'),
    scaleMax: z.number().min(0).max(1).default(0.8).describe('upper end of τ (openmixup) or of the kept area λ (mmpretrain)'),
    alpha: z.number().gt(0).default(1).describe('mmpretrain only: Beta(α, α) before the mapping to [scaleMin, scaleMax]'),
    interpolation: z.enum(['nearest', 'bilinear']).optional()
      .describe('resize of the partner image: nearest (PyTorch legacy nearest) or bilinear (align_corners = False)')
      .meta({ defaultDoc: 'nearest (openmixup), bilinear (mmpretrain)' } satisfies OptionMeta),
  }),
  limit: { options: { scaleMin: 0, scaleMax: 0 }, why: 'τ = 0: the thumbnail has no pixels and nothing is pasted (λ = 1)' },
  checkModel: ({ scaleMin, scaleMax }) => (scaleMin <= scaleMax ? undefined : `scaleMin (${scaleMin}) must not exceed scaleMax (${scaleMax})`),
  create: (o, { tk, forceLambda }) => ({
    name: 'resizemix',
    beginStep(ctx) {
      if (ctx.modality !== 'image' || ctx.shape.length !== 3) throw new Error(`resizemix needs image data, not ${ctx.modality}`);
      const [H, W] = ctx.shape;
      const d = drawResizeMix(ctx.rng, o, ctx.batchSize, H, W, forceLambda);
      const mode: Interpolation = o.interpolation ?? (o.variant === 'openmixup' ? 'nearest' : 'bilinear');
      const { tf } = tk;
      return {
        info: { lambda: d.lambda, perm: d.perm, box: d.box, scale: d.scale, interpolation: mode, raw: d.raw },
        batch: (x, y) => {
          if (d.lambda === 1) return { x, y };
          const mask = boxMask(tk, d.box, H, W);
          const xm = tf.add(tf.mul(x, tf.sub(1, mask)), pasted(tk, tk.permuteRows(x, d.perm), d.box, mode));
          return { x: xm, y: tk.lerp(y, tk.permuteRows(y, d.perm), d.lambda) };
        },
      };
    },
  }),
});
