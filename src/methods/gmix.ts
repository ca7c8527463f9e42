/**
 * G-Mix (Li & Tang, arXiv 2308.03236; IEEE TAI 2025): SAM on the mixup loss, min_w max_{‖ε‖≤ρ} L_mix(w+ε), with the
 * same λ and π in both passes. No official code exists.
 *
 * BG-Mix and DG-Mix are RECONSTRUCTIONS (shared/docs/methods.md §4: the paper's rules are not verified). From SAM's
 * two passes on the mixed batch we take each example's sharpness-sensitivity s_i = ℓ_i^mix(w+ε̂) − ℓ_i^mix(w)
 * (treated as a constant). The first pass is G-Mix's (mixup loss at w → ε̂). The second pass, at w+ε̂, runs the
 * mixed and the plain batch together (one 2B-row forward) and descends
 *   L = (1/B) Σ_i [(1 − a_i)·ℓ_i^mix(w+ε̂) + a_i·ℓ_i^plain(w+ε̂)]
 * with  BG-Mix: a_i = 1 for the ⌊B/2⌋ examples with the largest s_i (above the median), else 0 — the most
 *               sharpness-sensitive examples, the likeliest victims of manifold intrusion, train on their plain loss,
 *               the rest on the mixup loss;
 *       DG-Mix: a_i = (s_i − min s)/(max s − min s), a soft version of the same split.
 * ℓ^plain uses the example's own input and target (after label smoothing if composed).
 */
import * as tf from '../tf';
import { drawMix, mixupStep } from './mixup';
import { samGradient, samPasses, type SamOptions } from './sam';
import { forcedLambda, type GradientPart, type MethodPart, type PartFactory } from './types';

export type SensitivityRule = 'binary' | 'decomposed';

/** The weight a_i of each example's plain loss, from its sensitivity s_i [B]. */
function weightsOf(s: tf.Tensor1D, rule: SensitivityRule): tf.Tensor1D {
  const n = s.shape[0];
  if (rule === 'binary') {
    const k = Math.floor(n / 2);
    if (k === 0) return tf.zerosLike(s);
    const kth = tf.topk(s, k).values.slice([k - 1], [1]);
    return tf.cast(tf.greaterEqual(s, kth), 'float32') as tf.Tensor1D;
  }
  const lo = tf.min(s);
  const hi = tf.max(s);
  return tf.div(tf.sub(s, lo), tf.add(tf.sub(hi, lo), 1e-12)) as tf.Tensor1D;
}

/**
 * a_i as a constant of the loss: computed inside a custom op whose gradient is zero, so autodiff never walks the
 * (non-differentiable) TopK / comparison ops.
 */
export function plainWeights(s: tf.Tensor1D, rule: SensitivityRule): tf.Tensor1D {
  const op = tf.customGrad(((t: tf.Tensor) => ({
    value: weightsOf(t as tf.Tensor1D, rule),
    gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(s) as tf.Tensor1D;
}

function splitGradient(opts: SamOptions, rule: SensitivityRule): GradientPart {
  return {
    gradients(lossFn, variables) {
      const r = samPasses(lossFn, variables, opts, (first) =>
        tf.variableGrads(() => {
          const { mixed, plain } = lossFn.pair();
          const a = plainWeights(tf.sub(mixed, first) as tf.Tensor1D, rule);
          return tf.mean(tf.add(tf.mul(tf.sub(1, a), mixed), tf.mul(a, plain))) as tf.Scalar;
        }, variables).grads,
      );
      return { loss: r.loss, grads: r.second };
    },
  };
}

function samOptions(options: Record<string, unknown>): SamOptions {
  return { rho: options.rho as number, adaptive: options.adaptive as boolean };
}

function mixingPart(name: string, options: Record<string, unknown>, gradient: GradientPart): MethodPart {
  const alpha = options.alpha as number;
  const force = forcedLambda(options);
  return { name, gradient, beginStep: (ctx) => mixupStep(drawMix(ctx.rng, alpha, ctx.batchSize, force)) };
}

export const gmix: PartFactory = (options) => mixingPart('gmix', options, samGradient(samOptions(options)));
export const bgmix: PartFactory = (options) => mixingPart('bgmix', options, splitGradient(samOptions(options), 'binary'));
export const dgmix: PartFactory = (options) => mixingPart('dgmix', options, splitGradient(samOptions(options), 'decomposed'));
