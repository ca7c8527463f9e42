/**
 * The step seam between the training loop and the methods. A run's method is a list of parts; each part may
 * contribute, per training step:
 *   - targets:   a transform of the soft targets (label smoothing), applied first;
 *   - batch:     a transform of inputs and targets together (mixup, cutmix; hidden-state mixers mix only targets);
 *   - hooks:     forward hooks inside the network (hidden-state mixing, attention variants);
 *   - gradients: how the step's gradient is computed (SAM's two passes; default: one backward pass).
 * A part may also change the network itself (`network` hooks, NeuTRENO): those apply in training and in evaluation,
 * unlike the per-step hooks, which never reach evaluation.
 * Per-step randomness (λ, π, layer, box) is drawn on the host in `beginStep`, once per step (src/methods/draws.ts),
 * so every pass of a two-pass optimizer sees the same λ and π. The training loop never changes for a new method.
 *
 * Types only: this file loads nothing at run time.
 */
import type * as tf from '../tf';
import type { Modality, ResolvedModel } from '../core/experiment';
import type { Rng } from '../util/rng';
import type { ForwardHooks } from '../model/types';
import type * as ToolkitModule from './toolkit';

/** The tfjs side handed to a method's `create` (src/methods/toolkit.ts): `tf` itself and the shared tensor ops. */
export type Toolkit = typeof ToolkitModule;

export interface StepContext {
  rng: Rng;
  numClasses: number;
  batchSize: number;
  epoch: number;
  step: number;
  modality: Modality;
  /** Shape of one example. */
  shape: number[];
  /**
   * The step's batch inputs on the host ([B, ...shape], row-major), for methods whose draws depend on the images
   * (SaliencyMix's saliency peak). Read-only: the loop reuses the buffer for the next step.
   */
  inputs?: Float32Array;
}

/** What one part does in one step (closures over the step's random draws). */
export interface PartStep {
  targets?(y: tf.Tensor2D): tf.Tensor2D;
  /**
   * May return more rows than it got (RegMixup: the clean and the mixed batch, 2B rows) with `weights` [rows], the
   * weight of each row's loss in the step loss (Σ weights·ℓ replaces the mean).
   */
  batch?(x: tf.Tensor, y: tf.Tensor2D): { x: tf.Tensor; y: tf.Tensor2D; weights?: tf.Tensor1D };
  hooks?: ForwardHooks;
  /**
   * Targets that depend on the forward pass, applied to the (mixed) targets after the network ran and before the
   * loss (TransMix: label weights from the attention this part's hooks observed in that same pass). Must not carry a
   * gradient (the targets are constants of the loss).
   */
  targetsAfterForward?(y: tf.Tensor2D): tf.Tensor2D;
  /**
   * The hooks of the paired 2B-row pass of `StepLoss.pair()` (mixed rows 0..B−1, plain rows B..2B−1), for a part
   * whose mixing is a hook (text wordMixup): they mix rows 0..B−1 only.
   */
  pairHooks?: ForwardHooks;
  /** Facts about the step for tests and logs (λ, π, layer, box). */
  info?: Record<string, unknown>;
}

export interface StepLossValue {
  loss: tf.Scalar;
  /** Per-example losses of the (mixed) batch: [B], or one per row when a batch transform adds rows (RegMixup). */
  perExample: tf.Tensor1D;
}

/** Per-example losses of the mixed and of the plain (unmixed) batch, from one forward pass over both. */
export interface PairedLosses {
  /** [B] loss of example i with every part applied (mixed input, mixed target). */
  mixed: tf.Tensor1D;
  /** [B] loss of example i with only target transforms applied (its own input, its own target). */
  plain: tf.Tensor1D;
}

/**
 * Computes the loss of the step at the current weights: one forward pass with all parts applied. Callable more than
 * once (every call sees the step's λ and π). `pair()` runs the mixed and the plain batch as one 2B forward pass
 * (BG-/DG-Mix); it needs input-level mixing, or pair hooks for mixing that acts inside the network.
 */
export interface StepLoss {
  (): StepLossValue;
  pair(): PairedLosses;
}

export interface GradientResult {
  /** The loss to log (for two-pass methods, the first pass's loss at w). */
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
  /** A change of the network itself (not of the data): applied in training and in evaluation. */
  network?: ForwardHooks;
}

/** What a part may know and use when it is built for a run. */
export interface PartEnv {
  model: ResolvedModel;
  /** The only way method code reaches tfjs; loading it is the registry's job, never the method file's. */
  tk: Toolkit;
  /**
   * Test-only: a number in [0, 1] that replaces the drawn λ of a mixing part (the random stream is consumed as
   * usual). No option schema has it, so no config can set it.
   */
  forceLambda?: number;
}
