/**
 * Mixup (Zhang et al., ICLR 2018): x̃ = λx + (1−λ)x[π], ỹ = λy + (1−λ)y[π], one λ ~ Beta(α, α) and one π per batch,
 * loss = soft-target cross-entropy. α = 0 gives λ = 1 (no mixing), as in the official code.
 */
import { lerp, permuteRows } from '../model/ops';
import type { Rng } from '../util/rng';
import type { MethodPart, PartFactory } from './types';

export interface MixDraw {
  lambda: number;
  perm: Int32Array;
}

/** λ ~ Beta(α, α) (λ = 1 when α = 0) and a uniformly random permutation of the batch. */
export function drawMix(rng: Rng, alpha: number, batchSize: number): MixDraw {
  const lambda = alpha > 0 ? rng.beta(alpha, alpha) : 1;
  return { lambda, perm: rng.permutation(batchSize) };
}

export const mixup: PartFactory = (options): MethodPart => {
  const alpha = options.alpha as number;
  return {
    name: 'mixup',
    beginStep(ctx) {
      const { lambda, perm } = drawMix(ctx.rng, alpha, ctx.batchSize);
      return {
        info: { lambda, perm },
        batch: (x, y) => ({ x: lerp(x, permuteRows(x, perm), lambda), y: lerp(y, permuteRows(y, perm), lambda) }),
      };
    },
  };
};
