/**
 * SaliencyMix (Uddin, Monira, Shin, Chung & Bae, ICLR 2021; official code afm-shahab-uddin/SaliencyMix,
 * SaliencyMix_CIFAR/saliencymix.py): CutMix whose box is centred at the peak of the partner image's saliency map.
 * Per step, as the official training loop: with probability `prob` (and β > 0), λ ~ Beta(β, β), a permutation π,
 * one saliency map — of x[π[0]], the source image of the first pair — computed with OpenCV's static fine-grained
 * detector (src/methods/saliency.ts), its first maximum (row, column) the centre of one box of sides
 * ⌊H·√(1−λ)⌋ × ⌊W·√(1−λ)⌋ (clipped) for the whole batch; x[:, box] ← x[π][:, box]; λ = 1 − box area/(H·W);
 * targets mixed with that λ and π.
 */
import { z } from 'zod';
import type * as tf from '../tf';
import { defineMethod } from './define';
import { betaLambda, boxAround, checkedForce, partnerPermutation, type CutBox } from './draws';
import { mixingAlpha } from './options';
import { saliencyPeak } from './saliency';
import type { Toolkit } from './types';

/** [1, H, W, 1] mask, 1 inside the box. */
function boxMask(tk: Toolkit, box: CutBox, height: number, width: number): tf.Tensor4D {
  const m = new Float32Array(height * width);
  for (let r = box.y1; r < box.y2; r++) m.fill(1, r * width + box.x1, r * width + box.x2);
  return tk.tf.tensor4d(m, [1, height, width, 1]);
}

export default defineMethod({
  name: 'saliencymix',
  summary: 'CutMix with the box centred at the saliency peak of the source image (OpenCV fine-grained saliency); λ from the exact pasted area',
  family: 'saliency-based',
  kinds: ['mixing'],
  actsOn: 'model input images [H, W, C]; targets with the same π and the area λ; the saliency map is computed on the host from the step\'s batch',
  models: ['transformer', 'mlp'],
  modalities: ['image'],
  cost: { text: '≈1× (one saliency map of one image per step, on the host)', measured: 1.0 },
  paper: 'Uddin, Monira, Shin, Chung, Bae, "SaliencyMix: A Saliency Guided Data Augmentation Strategy for Better Regularization", ICLR 2021 (arXiv 2006.01791)',
  notes: 'As the official code: one saliency map per batch (of x[π[0]]) and one box for the whole batch; the paper describes the source patch of each pair. ' +
    'Saliency: OpenCV\'s StaticSaliencyFineGrained reimplemented on the host, fed the image scaled to 8 bits (the official code passes the normalised float tensor, which that detector reads as bytes). ' +
    'prob defaults to the official CIFAR value 0.5 (ImageNet README: 1.0).',
  options: z.strictObject({
    beta: mixingAlpha(1, 'λ ~ Beta(β, β) for the box size (official --beta); 0 gives no mixing'),
    prob: z.number().min(0, 'prob must be in [0, 1]').max(1, 'prob must be in [0, 1]').default(0.5)
      .describe('probability that a step is saliency-mixed (official --salmix_prob: 0.5 CIFAR, 1.0 ImageNet); 0 gives plain training'),
  }),
  limit: { options: { prob: 0 }, why: 'prob = 0 never mixes (as β = 0)' },
  create: ({ beta, prob }, { tk, forceLambda }) => ({
    name: 'saliencymix',
    beginStep(ctx) {
      if (ctx.modality !== 'image' || ctx.shape.length !== 3) throw new Error(`saliencymix needs image data, not ${ctx.modality}`);
      // The official order: r = rand(); if β > 0 and r < prob: λ ~ Beta(β, β), then π.
      const roll = ctx.rng.uniform();
      if (!(beta > 0 && roll < prob)) return { info: { mixed: false } };
      if (!ctx.inputs) throw new Error('saliencymix needs the step\'s host inputs (StepContext.inputs) for the saliency map');
      const drawn = betaLambda(ctx.rng, beta);
      const lambda0 = checkedForce(forceLambda) ?? drawn;
      const perm = partnerPermutation(ctx.rng, ctx.batchSize);
      const [H, W] = ctx.shape;
      const peak = saliencyPeak(ctx.inputs, perm[0], ctx.shape);
      const box = boxAround(H, W, lambda0, peak.row, peak.col);
      const { lambda } = box;
      const { tf } = tk;
      return {
        info: { mixed: true, lambda, drawnLambda: lambda0, perm, box, peak: { row: peak.row, col: peak.col } },
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
