/** One training step assembled from method parts. Pure tfjs; no host syncs. */
import * as tf from '../tf';
import type { ForwardHooks, HiddenSite, Model } from '../model/types';
import { softCrossEntropy } from '../model/ops';
import type { GradientResult, MethodPart, PartStep, StepContext, StepLoss } from '../methods/types';

/** Chain several parts' hooks: each sees the previous one's output. */
export function composeHooks(steps: PartStep[]): ForwardHooks | undefined {
  const hidden = steps.map((s) => s.hooks?.hidden).filter((h): h is NonNullable<ForwardHooks['hidden']> => !!h);
  const attention = steps.map((s) => s.hooks?.attention).filter((h): h is NonNullable<ForwardHooks['attention']> => !!h);
  if (!hidden.length && !attention.length) return undefined;
  return {
    hidden: hidden.length ? (site: HiddenSite, h: tf.Tensor) => hidden.reduce((acc, f) => f(site, acc), h) : undefined,
    attention: attention.length ? (args) => attention.reduce((ctx, f) => f({ ...args, context: ctx }), args.context) : undefined,
  };
}

export interface StepInputs {
  x: tf.Tensor;
  /** One-hot targets [B, K]. */
  y: tf.Tensor2D;
}

/** The loss of one step at the current weights, with every part applied (callable more than once). */
export function makeStepLoss(model: Model, parts: PartStep[], batch: StepInputs, nextSeed: () => number): StepLoss {
  return () => {
    let y = batch.y;
    let x = batch.x;
    for (const p of parts) if (p.targets) y = p.targets(y);
    for (const p of parts) if (p.batch) ({ x, y } = p.batch(x, y));
    const logits = model.forward(x, { training: true, hooks: composeHooks(parts), nextSeed });
    const perExample = softCrossEntropy(logits, y);
    const reducer = parts.find((p) => p.loss);
    const loss = reducer?.loss ? reducer.loss({ perExample, logits }) : (tf.mean(perExample) as tf.Scalar);
    return { loss, perExample };
  };
}

/** Plain gradient: one forward and one backward pass. */
export function plainGradients(lossFn: StepLoss, variables: tf.Variable[]): GradientResult {
  const { value, grads } = tf.variableGrads(() => lossFn().loss, variables);
  return { loss: value, grads };
}

/** Begin a step for every part (host-side draws in part order, from the method's own random stream). */
export function beginStep(parts: MethodPart[], ctx: StepContext): PartStep[] {
  return parts.map((p) => p.beginStep?.(ctx) ?? {});
}
