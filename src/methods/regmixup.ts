/**
 * RegMixup (Pinto, Yang, Lim, Torr, Dokania, NeurIPS 2022, arXiv 2206.14502; official code FrancescoPinto/RegMixup
 * models/regmixup.py): mixup as a regulariser next to the clean loss. One λ ~ Beta(α, α) with large α (20 in the
 * official code: λ ≈ 0.5) and one π per batch; the clean and the mixed batch go through the network together,
 * [x; x̃] (2B rows), and the loss is
 *     L = (CE(clean) + η·CE(mixed)) / (1 + η),
 * the mean over each half. At η = 1 (the default) this is the official code's loss, the mean cross-entropy over the
 * 2B rows, λ·CE(·, [y; y]) + (1−λ)·CE(·, [y; y[π]]) = ½(CE(clean) + CE(mixed)); the paper writes CE + η·CE(mixed),
 * (1 + η) times this (the same step for Adam/AdamW up to their ε, a learning-rate factor for SGD). η = 0 is plain
 * training (the mixed half is not computed). On text the mixed half is wordMixup or senMixup of the second copy.
 */
import { z } from 'zod';
import type { Tensor1D } from '../tf';
import { defineMethod } from './define';
import { drawMix } from './draws';
import { GUO_PAPER, textLevelOption, textMixHooks } from './mixup';
import { mixingAlpha } from './options';

export default defineMethod({
  name: 'regmixup',
  summary: 'cross-entropy on the clean batch plus η·(mixup cross-entropy) on a mixed copy with large α, both in one 2B-row pass',
  family: 'static linear',
  kinds: ['mixing'],
  actsOn: 'the batch is doubled: the clean rows and their mixup (text: wordMixup or senMixup of a second copy); each half\'s mean loss weighted 1 : η',
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular', 'text'],
  cost: { text: '≈2× (the forward and backward passes run 2B rows)', measured: 1.75 },
  paper: `Pinto, Yang, Lim, Torr, Dokania, "Using Mixup as a Regularizer Can Surprisingly Improve Accuracy & Out-of-Distribution Robustness" (RegMixup), NeurIPS 2022 (arXiv 2206.14502); text mixing: ${GUO_PAPER}`,
  notes: 'L = (CE_clean + η·CE_mixup)/(1 + η): at η = 1 exactly the official code\'s mean over the doubled batch; the paper\'s CE + η·CE_mixup is (1 + η) times it. α = 20 as the official code\'s default and CIFAR-10 command (10 for CIFAR-100).',
  options: z.strictObject({
    alpha: mixingAlpha(20, 'λ ~ Beta(α, α) for the mixed copy (α = 20: λ ≈ 0.5 ± 0.08); 0 gives λ = 1, a duplicated clean batch as in the official code'),
    eta: z.number().min(0).default(1).describe('weight η of the mixup loss against the clean loss; 0 is plain training'),
    text: textLevelOption,
  }),
  limit: { options: { eta: 0 }, why: 'η = 0 drops the mixup term: the clean cross-entropy alone, without the mixed rows' },
  create: ({ alpha, eta, text }, { tk, forceLambda }) => ({
    name: 'regmixup',
    beginStep(ctx) {
      const d = drawMix(ctx.rng, alpha, ctx.batchSize, forceLambda);
      const info = { lambda: d.lambda, perm: d.perm, eta, ...(ctx.modality === 'text' ? { text: text ?? 'word' } : {}) };
      if (eta === 0) return { info };
      const { tf } = tk;
      const B = ctx.batchSize;
      const weights = () => tf.concat([tf.fill([B], 1 / ((1 + eta) * B)), tf.fill([B], eta / ((1 + eta) * B))]) as Tensor1D;
      if (ctx.modality !== 'text') {
        return {
          info,
          batch: (x, y) => ({ x: tf.concat([x, tk.mixRows(x, d)]), y: tf.concat([y, tk.mixRows(y, d)]), weights: weights() }),
        };
      }
      // Text: two copies of the ids; the hooks mix the second copy (rows B..2B−1) inside the network.
      const hooks = textMixHooks(tk, d, text ?? 'word', B);
      return {
        info,
        batch: (x, y) => ({ x: tf.concat([x, x]), y: tf.concat([y, tk.mixRows(y, d)]), weights: weights() }),
        ...(hooks ? { hooks } : {}),
      };
    },
  }),
});
