/** One training step assembled from method parts. Pure tfjs; no host syncs. */
import * as tf from '../tf';
import type { ForwardHooks, HiddenSite, Model } from '../model/types';
import { softCrossEntropy } from '../model/ops';
import type { GradientResult, MethodPart, PairedLosses, PartStep, StepContext, StepLoss, StepLossValue } from '../methods/types';

/** Chain several parts' hooks: each sees the previous one's output. */
export function composeHooks(steps: { hooks?: ForwardHooks }[]): ForwardHooks | undefined {
  const hidden = steps.map((s) => s.hooks?.hidden).filter((h): h is NonNullable<ForwardHooks['hidden']> => !!h);
  const attention = steps.map((s) => s.hooks?.attention).filter((h): h is NonNullable<ForwardHooks['attention']> => !!h);
  const real = steps.map((s) => s.hooks?.realTokens).filter((h): h is NonNullable<ForwardHooks['realTokens']> => !!h);
  if (!hidden.length && !attention.length && !real.length) return undefined;
  return {
    hidden: hidden.length ? (site: HiddenSite, h: tf.Tensor) => hidden.reduce((acc, f) => f(site, acc), h) : undefined,
    attention: attention.length ? (args) => attention.reduce((ctx, f) => f({ ...args, context: ctx }), args.context) : undefined,
    realTokens: real.length ? (mask, B, L) => real.reduce((acc, f) => f(acc, B, L), mask) : undefined,
  };
}

/**
 * The hooks that are part of the network (NeuTRENO's attention): the evaluated model is the network with these and
 * nothing else (no mixing, no perturbation). Undefined when the method does not change the network.
 */
export function networkHooks(parts: MethodPart[]): ForwardHooks | undefined {
  return composeHooks(parts.filter((p) => p.network).map((p) => ({ hooks: p.network })));
}

export interface StepInputs {
  x: tf.Tensor;
  /** One-hot targets [B, K]. */
  y: tf.Tensor2D;
}

/** The loss of one step at the current weights, with every part applied (callable more than once). */
export function makeStepLoss(model: Model, parts: PartStep[], batch: StepInputs, nextSeed: () => number): StepLoss {
  const hooks = composeHooks(parts);
  // Targets from the forward pass (TransMix): only parts that have them; none for every other method.
  const late = parts.filter((p) => p.targetsAfterForward);
  const afterForward = late.length ? (y: tf.Tensor2D) => late.reduce((acc, p) => p.targetsAfterForward!(acc), y) : undefined;
  const plainTargets = (): tf.Tensor2D => {
    let y = batch.y;
    for (const p of parts) if (p.targets) y = p.targets(y);
    return y;
  };
  const mixedBatch = (y0: tf.Tensor2D): { x: tf.Tensor; y: tf.Tensor2D; weights?: tf.Tensor1D } => {
    let x = batch.x;
    let y = y0;
    let weights: tf.Tensor1D | undefined;
    for (const p of parts) if (p.batch) ({ x, y, weights } = p.batch(x, y));
    return { x, y, weights };
  };
  const lossFn = (): StepLossValue => {
    const { x, y, weights } = mixedBatch(plainTargets());
    const logits = model.forward(x, { training: true, hooks, nextSeed });
    const perExample = softCrossEntropy(logits, afterForward ? afterForward(y) : y);
    // Row weights (RegMixup's clean and mixed halves) replace the plain mean.
    const loss = weights ? tf.sum(tf.mul(perExample, weights)) : tf.mean(perExample);
    return { loss: loss as tf.Scalar, perExample };
  };
  const pair = (): PairedLosses => {
    if (afterForward) throw new Error('paired mixed/plain losses cannot take targets that depend on the forward pass');
    // The 2B pass runs each part's pair hooks (its mixing confined to rows 0..B−1) where it has them.
    if (parts.some((p) => p.hooks?.hidden && !p.pairHooks)) {
      throw new Error('paired mixed/plain losses need input-level mixing or pair hooks; a hidden-state hook cannot act on half a batch');
    }
    const pairHooks = composeHooks(parts.map((p) => ({ hooks: p.pairHooks ?? p.hooks })));
    const y0 = plainTargets();
    const { x, y, weights } = mixedBatch(y0);
    const B = batch.x.shape[0];
    if (weights || x.shape[0] !== B) throw new Error('paired mixed/plain losses need a batch transform that keeps the B rows');
    const logits = model.forward(tf.concat([x, batch.x], 0), { training: true, hooks: pairHooks, nextSeed });
    const perExample = softCrossEntropy(logits, tf.concat([y, y0], 0) as tf.Tensor2D);
    return { mixed: perExample.slice([0], [B]), plain: perExample.slice([B], [B]) };
  };
  return Object.assign(lossFn, { pair });
}

/** Plain gradient: one forward and one backward pass. */
export function plainGradients(lossFn: StepLoss, variables: tf.Variable[]): GradientResult {
  const { value, grads } = tf.variableGrads(() => lossFn().loss, variables);
  return { loss: value, grads };
}

/**
 * Begin a step for every part (host-side draws in part order, from the method's own random stream). Parts that
 * change the network contribute their network hooks to training through here.
 */
export function beginStep(parts: MethodPart[], ctx: StepContext): PartStep[] {
  return parts.map((p) => {
    const s = p.beginStep?.(ctx) ?? {};
    if (!p.network) return s;
    const hooks = composeHooks([{ hooks: p.network }, { hooks: s.hooks }]);
    return s.pairHooks ? { ...s, hooks, pairHooks: composeHooks([{ hooks: p.network }, { hooks: s.pairHooks }]) } : { ...s, hooks };
  });
}
