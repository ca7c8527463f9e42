/**
 * CutMix (Yun et al., ICCV 2019; official code clovaai/CutMix-PyTorch `rand_bbox`): λ ~ Beta(α, α); a box with sides
 * ⌊H·√(1−λ)⌋ × ⌊W·√(1−λ)⌋ centred at a uniform pixel, clipped to the image, is pasted from the permuted partner
 * x[π]; λ is then recomputed as the exact unpasted area fraction, and the targets are mixed with that λ and π.
 * Images only ([B, H, W, C] inputs). Unlike the official CIFAR script (which applies CutMix to a batch with
 * probability 0.5) every step is cut-mixed, as in OpenMixup.
 */
import { z } from 'zod';
import type * as tf from '../tf';
import { defineMethod } from './define';
import { drawCut, type CutBox } from './draws';
import { CUT_OTHER_DATA, mixingAlpha } from './options';
import type { Toolkit } from './types';

/** [1, H, W, 1] mask, 1 inside the box. */
function boxMask(tk: Toolkit, box: CutBox, height: number, width: number): tf.Tensor4D {
  const m = new Float32Array(height * width);
  for (let r = box.y1; r < box.y2; r++) m.fill(1, r * width + box.x1, r * width + box.x2);
  return tk.tf.tensor4d(m, [1, height, width, 1]);
}

export default defineMethod({
  name: 'cutmix',
  summary: 'a box of area fraction ≈1−λ is pasted from the permuted partner image; λ recomputed from the exact pasted area',
  family: 'cutting-based',
  kinds: ['mixing'],
  actsOn: 'model input images [H, W, C]; targets with the same π and the area λ',
  models: ['transformer', 'mlp'],
  modalities: ['image'],
  cost: { text: '≈1× (one mask per step)', measured: 1.03 },
  paper: 'Yun, Han, Oh, Chun, Choe, Yoo, "CutMix: Regularization Strategy to Train Strong Classifiers with Localizable Features", ICCV 2019 (arXiv 1905.04899)',
  otherData: CUT_OTHER_DATA,
  notes: 'Box as the official rand_bbox (sides ⌊H·√(1−λ)⌋ × ⌊W·√(1−λ)⌋ centred at a uniform pixel, clipped); every step is cut-mixed (the official CIFAR script uses probability 0.5).',
  options: z.strictObject({
    alpha: mixingAlpha(1, 'λ ~ Beta(α, α) and one permutation π per step for the box size; 0 gives no box'),
  }),
  limit: { options: { alpha: 0 }, why: 'α = 0 gives λ = 1: an empty box' },
  create: ({ alpha }, { tk, forceLambda }) => ({
    name: 'cutmix',
    beginStep(ctx) {
      if (ctx.modality !== 'image' || ctx.shape.length !== 3) throw new Error(`cutmix needs image data, not ${ctx.modality}`);
      const [H, W] = ctx.shape;
      const { lambda, drawnLambda, perm, box } = drawCut(ctx.rng, alpha, ctx.batchSize, H, W, forceLambda);
      const { tf } = tk;
      return {
        info: { lambda, drawnLambda, perm, box },
        batch: (x, y) => {
          if (lambda === 1) return { x, y };
          const mask = boxMask(tk, box, H, W);
          const xm = tf.add(tf.mul(x, tf.sub(1, mask)), tf.mul(tk.permuteRows(x, perm), mask));
          return { x: xm, y: tk.lerp(y, tk.permuteRows(y, perm), lambda) };
        },
      };
    },
  }),
});
