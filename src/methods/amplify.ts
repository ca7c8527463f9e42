/**
 * AMPLIFY (Yang & Xiang, arXiv 2309.12689; official code kiwi-lilo/AMPLIFY): in every attention sub-block the
 * sub-block's output is mixed with the same tensor of the permuted batch, A ← λA + (1−λ)A[π], one π and one λ for
 * all layers of a step; targets mixed with the same π and λ (the official AMPLIFY script does reuse π; its baselines
 * do not).
 *
 * Site: the official code mixes HF BertAttention's output LayerNorm(h + MHA(h)) of a post-norm BERT, i.e. the residual
 * stream after the attention sub-block, which is exactly what the feed-forward sub-block receives. In our pre-norm
 * block the tensor with that role is h + MHA(LN(h)) (the hidden site {kind: 'attention'}): the residual stream after
 * the attention sub-block, before the MLP sub-block's LayerNorm. Mixing only MHA's output (before the residual add)
 * would leave the residual stream unmixed and is not what the official code does.
 *
 * λ rule: 'max-beta' (default) = the maximum of 5 draws from Beta(α, α), α = 0.1, as the official code does
 * (median λ ≈ 0.999999, P(λ < 0.9) ≈ 0.07); 'beta' = one draw from Beta(α, α).
 */
import { z } from 'zod';
import type { Rng } from '../util/rng';
import { defineMethod } from './define';
import { betaLambda, checkedForce, partnerPermutation } from './draws';

export const MAX_BETA_DRAWS = 5;

export function amplifyLambda(rng: Rng, rule: 'max-beta' | 'beta', alpha: number): number {
  if (rule === 'beta') return betaLambda(rng, alpha);
  let best = 0;
  for (let i = 0; i < MAX_BETA_DRAWS; i++) best = Math.max(best, betaLambda(rng, alpha));
  return best;
}

export default defineMethod({
  name: 'amplify',
  summary: 'in every attention sub-block the residual stream is mixed with the permuted batch, A ← λA + (1−λ)A[π], one λ and π for all layers',
  family: 'static linear',
  kinds: ['mixing'],
  actsOn: 'the residual stream after each attention sub-block (hidden site "attention": h + MHA(LN(h))); targets with the same π and λ',
  models: ['transformer'],
  modalities: ['image', 'tabular', 'text'],
  cost: { text: '≈1× (one interpolation per layer)', measured: 1.06 },
  paper: 'Yang & Xiang, "AMPLIFY: Attention-based Mixup for Performance Improvement and Label Smoothing in Transformer", arXiv 2309.12689; PeerJ Comput. Sci. 2024',
  notes: 'The official code mixes LayerNorm(h + MHA(h)) of a post-norm BERT, the residual stream handed to the feed-forward sub-block; in our pre-norm block that tensor is h + MHA(LN(h)). Despite its name it is a linear mix of hidden states (no attention map decides anything), hence the static linear family.',
  options: z.strictObject({
    lambda: z.enum(['max-beta', 'beta']).default('max-beta')
      .describe('max-beta: λ = max of 5 draws from Beta(α, α) (official code; λ ≈ 1 mostly); beta: one draw from Beta(α, α)'),
    alpha: z.number().positive('alpha must be > 0').default(0.1).describe('Beta(α, α) concentration for either rule'),
  }),
  limit: { options: {}, forceLambda: 1, why: 'λ = 1, which no option value reaches (α > 0), so the tests force it' },
  create: ({ lambda: rule, alpha }, { tk, forceLambda }) => {
    const force = checkedForce(forceLambda);
    return {
      name: 'amplify',
      beginStep(ctx) {
        const drawn = amplifyLambda(ctx.rng, rule, alpha);
        const d = { lambda: force ?? drawn, perm: partnerPermutation(ctx.rng, ctx.batchSize) };
        return {
          info: { lambda: d.lambda, perm: d.perm },
          batch: (x, y) => ({ x, y: tk.mixRows(y, d) }),
          hooks: { hidden: (site, h) => (site.kind === 'attention' ? tk.mixRows(h, d) : h) },
        };
      },
    };
  },
});
