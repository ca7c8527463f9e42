/**
 * The method seam. A method is a list of parts; each part may contribute, per training step:
 *   - targets: a transform of the soft targets (label smoothing), applied first;
 *   - batch:   a transform of inputs and targets together (mixup, cutmix; hidden-state mixers mix only targets);
 *   - hooks:   forward hooks inside the network (hidden-state mixing, attention variants);
 *   - loss:    how per-example losses become the scalar to minimise (default: mean);
 *   - gradients: how the step's gradient is computed (SAM's two passes; default: one backward pass).
 * Per-step randomness (λ, π, layer) is drawn on the host in `beginStep`, once per step, so every pass of a
 * two-pass optimizer sees the same λ and π. The training loop never changes for a new method.
 */
import type * as tf from '../tf';
import type { Rng } from '../util/rng';
import type { ForwardHooks } from '../model/types';

export interface StepContext {
  rng: Rng;
  numClasses: number;
  batchSize: number;
  epoch: number;
  step: number;
  modality: 'image' | 'tabular' | 'text';
  /** Shape of one example. */
  shape: number[];
}

export interface LossParts {
  /** [B] per-example soft-target cross-entropy. */
  perExample: tf.Tensor1D;
  logits: tf.Tensor2D;
}

/** What one part does in one step (closures over the step's random draws). */
export interface PartStep {
  targets?(y: tf.Tensor2D): tf.Tensor2D;
  batch?(x: tf.Tensor, y: tf.Tensor2D): { x: tf.Tensor; y: tf.Tensor2D };
  hooks?: ForwardHooks;
  /** Reduce per-example losses to the training loss. */
  loss?(parts: LossParts): tf.Scalar;
  /** Facts about the step for tests and logs (λ, π, layer). */
  info?: Record<string, unknown>;
}

/** Computes the loss of the step at the current weights: one forward pass with all parts applied. */
export type StepLoss = () => { loss: tf.Scalar; perExample: tf.Tensor1D };

export interface GradientResult {
  loss: tf.Scalar;
  grads: tf.NamedTensorMap;
}

/** An optimizer-level part: owns how the gradient of a step is computed. */
export interface GradientPart {
  gradients(lossFn: StepLoss, variables: tf.Variable[]): GradientResult;
}

export interface MethodPart {
  name: string;
  beginStep?(ctx: StepContext): PartStep;
  gradient?: GradientPart;
}

export type PartFactory = (options: Record<string, unknown>) => MethodPart;
