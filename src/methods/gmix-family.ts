/**
 * What gmix, bgmix and dgmix share: the paper, the options (mixup's α and SAM's ρ, adaptive), the mixup step drawn
 * once per step (both SAM passes see the same λ and π), and the split-SAM gradient of the BG-/DG-Mix
 * reconstructions.
 *
 * BG-Mix and DG-Mix are RECONSTRUCTIONS: the paper's rules could not be verified and no official code exists. From
 * SAM's two passes on the mixed batch we take each example's sharpness-sensitivity s_i = ℓ_i^mix(w+ε̂) − ℓ_i^mix(w)
 * (treated as a constant). The first pass is G-Mix's (mixup loss at w → ε̂). The second pass, at w+ε̂, runs the
 * mixed and the plain batch together (one 2B-row forward) and descends
 *   L = (1/B) Σ_i [(1 − a_i)·ℓ_i^mix(w+ε̂) + a_i·ℓ_i^plain(w+ε̂)]
 * with a_i from the method's rule (bgmix.ts, dgmix.ts). ℓ^plain uses the example's own input and target (after
 * label smoothing if composed).
 */
import type * as tf from '../tf';
import { drawMix } from './draws';
import { mixupStep } from './mixup';
import { mixingAlpha, samOptionShape } from './options';
import { samPasses, type SamOptions } from './sam';
import type { GradientPart, MethodPart, PartEnv, Toolkit } from './types';

export const GMIX_PAPER = 'Li & Tang, "G-Mix: A Generalized Mixup Learning Framework Towards Flat Minima", arXiv 2308.03236; IEEE Trans. AI 6(7), 2025';

export const gmixOptionShape = {
  alpha: mixingAlpha(1, 'mixup\'s λ ~ Beta(α, α) and one permutation π per step'),
  ...samOptionShape,
};

/** The limit case shared by the family: no mixing and no perturbation. */
export const GMIX_LIMIT = { options: { alpha: 0, rho: 0 }, why: 'α = 0 (λ = 1, no mixing) and ρ = 0 (ε̂ = 0)' };

/** What the family does on text. */
export const GMIX_TEXT_NOTE = 'On text the mixup part is wordMixup (see mixup); for senMixup under SAM compose mixup {text: sentence} with sam.';

export const SPLIT_NOTE =
  'RECONSTRUCTION: no official code exists and the paper\'s rule could not be verified. Pass 1: mixup loss at w → ε̂ (as G-Mix). ' +
  'Sensitivity s_i = ℓ_i^mix(w+ε̂) − ℓ_i^mix(w) (a constant). Pass 2 runs the mixed and the plain batch together (2B rows) at w+ε̂ and descends ' +
  '(1/B)·Σ_i [(1−a_i)·ℓ_i^mix + a_i·ℓ_i^plain]';

/** The weight a_i of each example's plain loss, from its sensitivities s [B]. */
export type PlainWeightRule = (tk: Toolkit, s: tf.Tensor1D) => tf.Tensor1D;

/** The split-SAM gradient: SAM's passes, the second on the sensitivity-weighted mix of mixed and plain losses. */
export function splitSamGradient(tk: Toolkit, opts: SamOptions, rule: PlainWeightRule): GradientPart {
  const { tf } = tk;
  return {
    gradients(lossFn, variables) {
      const r = samPasses(tk, lossFn, variables, opts, (first) =>
        tf.variableGrads(() => {
          const { mixed, plain } = lossFn.pair();
          // a_i is a constant of the loss: autodiff never walks the (non-differentiable) TopK / comparison ops.
          const a = tk.constantOf(tf.sub(mixed, first) as tf.Tensor1D, (s) => rule(tk, s));
          return tf.mean(tf.add(tf.mul(tf.sub(1, a), mixed), tf.mul(a, plain))) as tf.Scalar;
        }, variables).grads,
      );
      return { loss: r.loss, grads: r.second };
    },
  };
}

/**
 * A G-Mix-family part: mixup drawn once per step (input mixup; wordMixup on text, whose hooks also mix the mixed half
 * of BG-/DG-Mix's paired pass), and the family member's gradient rule.
 */
export function gmixPart(name: string, alpha: number, env: PartEnv, gradient: GradientPart): MethodPart {
  return { name, gradient, beginStep: (ctx) => mixupStep(env.tk, drawMix(ctx.rng, alpha, ctx.batchSize, env.forceLambda), ctx.modality, 'word') };
}
