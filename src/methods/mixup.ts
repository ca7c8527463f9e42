/**
 * Mixup (Zhang et al., ICLR 2018; official code facebookresearch/mixup-cifar10): x̃ = λx + (1−λ)x[π],
 * ỹ = λy + (1−λ)y[π], one λ ~ Beta(α, α) and one π per batch, loss = soft-target cross-entropy (equal to the
 * official λ-weighted pair of losses because cross-entropy is linear in the target). α = 0 gives λ = 1 (no
 * mixing), as in the official code.
 */
import { z } from 'zod';
import { defineMethod } from './define';
import { drawMix, type MixDraw } from './draws';
import { mixingAlpha } from './options';
import type { PartStep, Toolkit } from './types';

/** The input-mixup step of one draw (shared by mixup and the G-Mix family). */
export function mixupStep(tk: Toolkit, d: MixDraw): PartStep {
  return {
    info: { lambda: d.lambda, perm: d.perm },
    batch: (x, y) => ({ x: tk.mixRows(x, d), y: tk.mixRows(y, d) }),
  };
}

export default defineMethod({
  name: 'mixup',
  summary: 'convex combinations of input pairs and of their one-hot targets, one λ ~ Beta(α, α) and one permutation per batch',
  family: 'static linear',
  kinds: ['mixing'],
  actsOn: 'model input (after normalisation); targets with the same permutation and λ',
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular'],
  cost: { text: '≈1× (one interpolation per batch)', measured: 1.01 },
  paper: 'Zhang, Cisse, Dauphin, Lopez-Paz, "mixup: Beyond Empirical Risk Minimization", ICLR 2018 (arXiv 1710.09412)',
  options: z.strictObject({
    alpha: mixingAlpha(1, 'Beta(α, α) concentration; α = 0 gives λ = 1 (plain training), as in the official code'),
  }),
  limit: { options: { alpha: 0 }, why: 'α = 0 gives λ = 1: the batch is not mixed' },
  create: ({ alpha }, { tk, forceLambda }) => ({
    name: 'mixup',
    beginStep: (ctx) => mixupStep(tk, drawMix(ctx.rng, alpha, ctx.batchSize, forceLambda)),
  }),
});
