/**
 * timm's Mixup/CutMix recipe (huggingface/pytorch-image-models timm/data/mixup.py, class `Mixup`), the way most ViTs
 * (DeiT and after) are trained: per batch, with probability `prob`, either mixup or CutMix (CutMix with probability
 * `switchProb` when both alphas are > 0), the partner of row i is row B−1−i (the batch flipped, not permuted; an even
 * batch is required), CutMix's λ corrected to the exact unpasted area (`correctLam`), and label smoothing inside the
 * targets: t_i = λ_i·s(y_i) + (1−λ_i)·s(y_{B−1−i}) with s(y) = (1−ε)·onehot + ε/K — smoothing, then mixing, and the
 * targets are smoothed even when the batch is not mixed. Modes 'batch' (the default), 'pair' and 'elem' as timm.
 *
 * Every mode is one formula: x̃_i = W_i ⊙ x_i + (1 − W_i) ⊙ x_{B−1−i}, with W_i = λ_i everywhere for a mixup row and
 * W_i = 1 outside / 0 inside the box for a CutMix row (timm's in-place paste and lerp compute the same values).
 */
import { z } from 'zod';
import type * as tf from '../tf';
import { defineMethod } from './define';
import { drawTimmMixup, flipPermutation, type TimmDraw } from './draws';
import { CUT_OTHER_DATA } from './options';
import type { Toolkit } from './types';

/** W and 1 − W ([B, H, W, 1]) of a draw: λ_i everywhere for a mixup row, 0 inside the box of a CutMix row. */
function pixelWeights(tk: Toolkit, d: TimmDraw, height: number, width: number): { keep: tf.Tensor4D; take: tf.Tensor4D } {
  const B = d.lambda.length;
  const n = height * width;
  const keep = new Float32Array(B * n);
  const take = new Float32Array(B * n);
  for (let i = 0; i < B; i++) {
    const b = d.box[i];
    if (!b) {
      keep.fill(d.lambda[i], i * n, (i + 1) * n);
      take.fill(1 - d.lambda[i], i * n, (i + 1) * n);
      continue;
    }
    keep.fill(1, i * n, (i + 1) * n);
    for (let r = b.y1; r < b.y2; r++) {
      keep.fill(0, i * n + r * width + b.x1, i * n + r * width + b.x2);
      take.fill(1, i * n + r * width + b.x1, i * n + r * width + b.x2);
    }
  }
  return { keep: tk.tf.tensor4d(keep, [B, height, width, 1]), take: tk.tf.tensor4d(take, [B, height, width, 1]) };
}

const Minmax = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);

export default defineMethod({
  name: 'timm-mixup',
  summary: 'timm\'s Mixup/CutMix recipe: per batch with probability prob, mixup or CutMix (switchProb), partner B−1−i, label smoothing inside the targets',
  family: 'cutting-based',
  kinds: ['mixing', 'target'],
  actsOn: 'model input images (pixel interpolation or a pasted box, partner B−1−i); targets smoothed, then mixed with the same λ',
  models: ['transformer', 'mlp'],
  modalities: ['image'],
  cost: { text: '≈1× (one elementwise op per batch)', measured: 0.95 },
  paper: 'recipe of timm (Wightman, huggingface/pytorch-image-models, timm/data/mixup.py); mixup: Zhang et al., ICLR 2018 (arXiv 1710.09412); CutMix: Yun et al., ICCV 2019 (arXiv 1905.04899); DeiT: Touvron et al., ICML 2021 (arXiv 2012.12877)',
  notes: 'timm\'s Mixup in all three modes with its defaults (the Mixup class\'s, not train.py\'s, which switches mixing off; DeiT uses mixupAlpha 0.8, cutmixAlpha 1). The targets carry the label smoothing, so it is both a mixing and a target method and does not combine with label-smoothing. Needs an even batch (timm asserts it). Not implemented: FastCollateMixup\'s uint8 rounding and train.py\'s mixup_off_epoch.',
  otherData: CUT_OTHER_DATA,
  options: z.strictObject({
    mixupAlpha: z.number().min(0).default(1).describe('mixup\'s Beta(α, α); mixup is active when > 0'),
    cutmixAlpha: z.number().min(0).default(0).describe('CutMix\'s Beta(α, α) for the box size; CutMix is active when > 0'),
    cutmixMinmax: Minmax.optional()
      .describe('[min, max]: CutMix box sides uniform in [⌊H·min⌋, ⌊H·max⌋) and never clipped, instead of the α rule; forces cutmixAlpha = 1 (active) as timm does')
      .meta({ defaultDoc: 'none' }),
    prob: z.number().min(0).max(1).default(1).describe('probability of mixing a batch (mode elem/pair: a row or pair); not mixed, the targets are still smoothed'),
    switchProb: z.number().min(0).max(1).default(0.5).describe('probability of CutMix instead of mixup when both are active'),
    mode: z.enum(['batch', 'pair', 'elem']).default('batch').describe('batch: one draw per batch; elem: per row; pair: per pair (i, B−1−i), mixed both ways'),
    correctLam: z.boolean().default(true).describe('CutMix: λ = 1 − pasted area/(H·W) after clipping the box (always with cutmixMinmax)'),
    labelSmoothing: z.number().min(0).max(1).default(0.1).describe('ε of the smoothed one-hot targets (1−ε)·onehot + ε/K, mixed afterwards'),
  }),
  limit: { options: { prob: 0 }, equals: 'label-smoothing', why: 'prob = 0 mixes nothing; the targets are smoothed with ε = 0.1, the label-smoothing default' },
  checkModel({ mixupAlpha, cutmixAlpha, cutmixMinmax, prob, mode }) {
    if (cutmixMinmax && !(cutmixMinmax[0] < cutmixMinmax[1])) return `cutmixMinmax [${cutmixMinmax.join(', ')}] needs min < max`;
    // Modes elem and pair draw λ for every row before the prob roll (timm asserts there even with prob 0); batch rolls first.
    if ((prob > 0 || mode !== 'batch') && !(mixupAlpha > 0) && !(cutmixAlpha > 0) && !cutmixMinmax) {
      return `one of mixupAlpha > 0, cutmixAlpha > 0 or cutmixMinmax must be set (timm asserts it)${mode === 'batch' ? ', or prob: 0' : ''}`;
    }
    return undefined;
  },
  create: (o, { tk, forceLambda }) => ({
    name: 'timm-mixup',
    beginStep(ctx) {
      if (ctx.modality !== 'image' || ctx.shape.length !== 3) throw new Error(`timm-mixup needs image data, not ${ctx.modality}`);
      const B = ctx.batchSize;
      if (B % 2 !== 0) throw new Error(`timm-mixup needs an even batch (the partner of row i is row B−1−i; timm asserts it); this batch has ${B} rows: use an even train.batchSize`);
      const [H, W] = ctx.shape;
      const d = drawTimmMixup(ctx.rng, o, B, H, W, forceLambda);
      const flip = flipPermutation(B);
      const { tf } = tk;
      const eps = o.labelSmoothing;
      return {
        info: { mode: o.mode, lambda: d.lambda, box: d.box, raw: d.raw },
        // Smoothing is part of the targets: applied to every batch, mixed or not (as label-smoothing computes it).
        targets: (y) => (eps === 0 ? y : (tf.add(tf.mul(y, 1 - eps), eps / ctx.numClasses) as tf.Tensor2D)),
        batch: (x, y) => {
          if (!d.mixed) return { x, y };
          const { keep, take } = pixelWeights(tk, d, H, W);
          const xm = tf.add(tf.mul(x, keep), tf.mul(tk.permuteRows(x, flip), take));
          const lam = tf.tensor2d(Float32Array.from(d.lambda), [B, 1]);
          const ym = tf.add(tf.mul(y, lam), tf.mul(tk.permuteRows(y, flip), tf.sub(1, lam))) as tf.Tensor2D;
          return { x: xm, y: ym };
        },
      };
    },
  }),
});
