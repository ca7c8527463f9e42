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
import type { Rng } from '../util/rng';
import { mixRows } from './mixup';
import { forcedLambda, type MethodPart, type PartFactory } from './types';

export const MAX_BETA_DRAWS = 5;

export function amplifyLambda(rng: Rng, rule: 'max-beta' | 'beta', alpha: number): number {
  if (rule === 'beta') return rng.beta(alpha, alpha);
  let best = 0;
  for (let i = 0; i < MAX_BETA_DRAWS; i++) best = Math.max(best, rng.beta(alpha, alpha));
  return best;
}

export const amplify: PartFactory = (options): MethodPart => {
  const rule = options.lambda as 'max-beta' | 'beta';
  const alpha = options.alpha as number;
  const force = forcedLambda(options);
  return {
    name: 'amplify',
    beginStep(ctx) {
      const drawn = amplifyLambda(ctx.rng, rule, alpha);
      const d = { lambda: force ?? drawn, perm: ctx.rng.permutation(ctx.batchSize) };
      return {
        info: { lambda: d.lambda, perm: d.perm },
        batch: (x, y) => ({ x, y: mixRows(y, d) }),
        hooks: { hidden: (site, h) => (site.kind === 'attention' ? mixRows(h, d) : h) },
      };
    },
  };
};
