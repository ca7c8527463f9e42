/**
 * NeuTRENO (Nguyen, Nguyen & Baraniuk, NeurIPS 2023; official code DeiT/neutreno.py): in every attention layer
 * l ≥ 1, per head, U = softmax(QKᵀ/√d)·Vˡ + λ·(V⁰ − Vˡ), before the output projection. V⁰ is the value tensor of
 * the first layer (from that block's normalised input) and is not detached, so every later layer's term sends
 * gradient into block 0's value projection. Layer 0 is unchanged. λ is a constant (0.6 for DeiT).
 *
 * NeuTRENO changes the network, not the data: it is a `network` hook and so also applies at evaluation.
 */
import * as tf from '../tf';
import type { ForwardHooks } from '../model/types';
import type { MethodPart, PartFactory } from './types';

export function neutrenoHooks(lambda: number): ForwardHooks {
  let v0: tf.Tensor3D | null = null;
  return {
    attention(args) {
      if (args.layer === 0) {
        v0 = args.v;
        return args.context;
      }
      if (!v0 || v0.isDisposed) throw new Error('neutreno: layer 0 did not run before a later layer in this forward pass');
      return tf.add(args.context, tf.mul(tf.sub(v0, args.v), lambda)) as tf.Tensor3D;
    },
  };
}

export const neutreno: PartFactory = (options): MethodPart => ({
  name: 'neutreno',
  network: neutrenoHooks(options.lambda as number),
});
