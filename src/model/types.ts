/** The model seam that methods plug into. */
import type * as tf from '../tf';

/** Where a hidden-state hook is called, in forward order. */
export type HiddenSite =
  /** The token sequence after patch/token embedding and position embedding (Transformer), or the input row (MLP). */
  | { kind: 'embed' }
  /** The attention sub-block of Transformer block `layer` (0-based); see `AttentionSiteTensor`. */
  | { kind: 'attention'; layer: number }
  /** The output of Transformer block `layer` (or hidden layer `layer` of the MLP). */
  | { kind: 'block'; layer: number }
  /**
   * The input of the Transformer's classifier layer: the pooled vector after the final LayerNorm, [B, d]. The head is
   * affine, so mixing here mixes the logits (senMixup).
   */
  | { kind: 'head' };

export interface AttentionArgs {
  layer: number;
  /** [B·H, T, dh] each. */
  q: tf.Tensor3D;
  k: tf.Tensor3D;
  v: tf.Tensor3D;
  /** Softmax(QKᵀ/√dh) with the padding mask applied: [B·H, T, T]. */
  probs: tf.Tensor3D;
  /** The default result probs·V: [B·H, T, dh]. */
  context: tf.Tensor3D;
}

export interface ForwardHooks {
  /**
   * Hidden-state seam: receives the tensor at `site` as [B, T, d] (MLP: [B, d]) and returns the tensor that
   * the network continues with. Used by manifold mixup and AMPLIFY, and by diagnostics that only observe.
   */
  hidden?(site: HiddenSite, h: tf.Tensor): tf.Tensor;
  /** Attention-variant seam: returns the per-head context [B·H, T, dh] given the default one (NeuTRENO). */
  attention?(args: AttentionArgs): tf.Tensor3D;
  /**
   * Text padding seam: receives the batch's real-token mask [B·L] (1 = real token, 0 = padding, row-major over
   * [B, L]) and returns the mask that attention and mean pooling use. wordMixup returns, for each mixed row, the union
   * of its own and its partner's real tokens. Called once per forward pass, before the embedding.
   */
  realTokens?(real: Uint8Array, batch: number, length: number): Uint8Array;
}

export interface ForwardOptions {
  training: boolean;
  hooks?: ForwardHooks;
  /** Supplies non-zero seeds for dropout masks; required when training with dropout > 0. */
  nextSeed?: () => number;
}

export interface Model {
  readonly kind: 'transformer' | 'mlp';
  readonly variables: tf.Variable[];
  /** Number of trainable scalars. */
  readonly parameterCount: number;
  /** Logits [B, K] for a batch of inputs [B, ...shape]. */
  forward(x: tf.Tensor, options: ForwardOptions): tf.Tensor2D;
  dispose(): void;
}
