/**
 * SAM (Foret et al., ICLR 2021; reference davda54/sam) and ASAM (Kwon et al., ICML 2021), p = 2:
 *   1. g = ∇L(w); ε̂ = ρ·g/(‖g‖₂ + 1e-12), the norm over all parameters jointly
 *      (adaptive: ε̂ = ρ·T²g/(‖Tg‖₂ + 1e-12), T = |w| elementwise);
 *   2. the gradient at w + ε̂; w restored exactly (the saved tensors, not w + ε̂ − ε̂);
 *   3. the base optimizer (the run's adamw/adam/sgd) steps with that gradient.
 * The logged loss is the first pass's loss at w. Both passes see the same batch, λ and π (drawn once per step).
 * The two passes are shared with the G-Mix family (gmix.ts, split-sam.ts).
 */
import { z } from 'zod';
import type * as tf from '../tf';
import { defineMethod } from './define';
import { samOptionShape } from './options';
import type { GradientPart, StepLoss, Toolkit } from './types';

export interface SamOptions {
  rho: number;
  adaptive: boolean;
}

/** ε̂ per variable name (only for variables that have a gradient). */
function samPerturbation({ tf }: Toolkit, grads: tf.NamedTensorMap, variables: tf.Variable[], opts: SamOptions): tf.NamedTensorMap {
  const present = variables.filter((v) => grads[v.name]);
  const scaled = present.map((v) => (opts.adaptive ? tf.mul(tf.abs(v), grads[v.name]) : grads[v.name]));
  const norm = tf.sqrt(tf.addN(scaled.map((t) => tf.sum(tf.mul(t, t)))));
  const scale = tf.div(opts.rho, tf.add(norm, 1e-12));
  const eps: tf.NamedTensorMap = {};
  for (const v of present) {
    const g = grads[v.name];
    eps[v.name] = tf.mul(opts.adaptive ? tf.mul(tf.mul(v, v), g) : g, scale);
  }
  return eps;
}

/**
 * Runs `second` with the variables moved to w + ε̂ and restores them afterwards (also on error). Returns what
 * `second` returns.
 */
function atPerturbed<R>({ tf }: Toolkit, variables: tf.Variable[], eps: tf.NamedTensorMap, second: () => R): R {
  const saved = new Map<tf.Variable, tf.Tensor>();
  try {
    for (const v of variables) {
      const e = eps[v.name];
      if (!e) continue;
      saved.set(v, tf.clone(v));
      v.assign(tf.add(v, e));
    }
    return second();
  } finally {
    for (const [v, w] of saved) {
      v.assign(w);
      w.dispose();
    }
  }
}

export interface SamPasses<R> {
  /** The first pass: loss at w and the per-example losses at w (kept; the caller owns nothing, they are tidied). */
  loss: tf.Scalar;
  perExample: tf.Tensor1D;
  second: R;
}

/**
 * The two SAM passes. `second` computes whatever the method needs at w + ε̂ (gradients of the same loss for SAM
 * and G-Mix, of the partitioned loss for BG-/DG-Mix), given the first pass's per-example losses.
 */
export function samPasses<R>(
  tk: Toolkit,
  lossFn: StepLoss,
  variables: tf.Variable[],
  opts: SamOptions,
  second: (firstPerExample: tf.Tensor1D) => R,
): SamPasses<R> {
  const { tf } = tk;
  let perExample: tf.Tensor1D | null = null;
  const first = tf.variableGrads(() => {
    const r = lossFn();
    perExample = tf.keep(tf.clone(r.perExample));
    return r.loss;
  }, variables);
  const kept = perExample as unknown as tf.Tensor1D;
  try {
    const eps = samPerturbation(tk, first.grads, variables, opts);
    const out = atPerturbed(tk, variables, eps, () => second(kept));
    // Hand the kept tensor back to the enclosing scope (tidy) by copying it.
    return { loss: first.value, perExample: tf.clone(kept), second: out };
  } finally {
    kept.dispose();
  }
}

/** SAM's gradient rule: the gradient of the same loss at w + ε̂. */
export function samGradient(tk: Toolkit, opts: SamOptions): GradientPart {
  return {
    gradients(lossFn, variables) {
      const r = samPasses(tk, lossFn, variables, opts, () => tk.tf.variableGrads(() => lossFn().loss, variables).grads);
      return { loss: r.loss, grads: r.second };
    },
  };
}

export default defineMethod({
  name: 'sam',
  summary: 'sharpness-aware minimisation: gradient at w + ρ·g/‖g‖, then the base optimizer steps from w',
  family: 'optimizer/flatness',
  kinds: ['optimizer'],
  actsOn: 'the gradient of each step (two forward/backward passes); the base optimizer is train.optimizer',
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular', 'text'],
  cost: { text: '≈2× (two passes)', measured: 1.94 },
  paper: 'Foret, Kleiner, Mobahi, Neyshabur, "Sharpness-Aware Minimization for Efficiently Improving Generalization", ICLR 2021 (arXiv 2010.01412); ASAM: Kwon et al., ICML 2021 (arXiv 2102.11600)',
  notes: 'The norm runs over all parameters jointly; the logged loss is the first pass\'s; weights are restored exactly before the step.',
  options: z.strictObject(samOptionShape),
  limit: { options: { rho: 0 }, why: 'ρ = 0 gives ε̂ = 0: the second gradient is the first' },
  create: (opts, { tk }) => ({ name: 'sam', gradient: samGradient(tk, opts) }),
});
