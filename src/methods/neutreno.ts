/**
 * NeuTRENO (Nguyen, Nguyen & Baraniuk, NeurIPS 2023; official code DeiT/neutreno.py): in every attention layer
 * l ≥ 1, per head, U = softmax(QKᵀ/√d)·Vˡ + λ·(V⁰ − Vˡ), before the output projection. V⁰ is the value tensor of
 * the first layer (from that block's normalised input) and is not detached, so every later layer's term sends
 * gradient into block 0's value projection. Layer 0 is unchanged. λ is a constant (0.6 for DeiT).
 *
 * NeuTRENO changes the network, not the data: it is a `network` hook and so also applies at evaluation.
 */
import { z } from 'zod';
import type * as tf from '../tf';
import type { ForwardHooks } from '../model/types';
import { defineMethod } from './define';
import type { Toolkit } from './types';

export function neutrenoHooks(tk: Toolkit, lambda: number): ForwardHooks {
  const { tf } = tk;
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

export default defineMethod({
  name: 'neutreno',
  summary: 'attention with a return-to-origin term: per head U = softmax(QKᵀ/√d)Vˡ + λ(V⁰ − Vˡ) in layers ≥ 1',
  family: 'attention regularisation',
  kinds: ['attention'],
  actsOn: 'the per-head attention output before the output projection, in every layer after the first (training and evaluation: it is part of the network)',
  models: ['transformer'],
  modalities: ['image', 'tabular', 'text'],
  cost: { text: '≈1× (one elementwise op per layer)', measured: 1.04 },
  paper: 'Nguyen, Nguyen, Baraniuk, "Mitigating Over-smoothing in Transformers via Regularized Nonlocal Functionals", NeurIPS 2023 (arXiv 2312.00751)',
  notes: 'V⁰ is block 0\'s value tensor and is not detached (later layers train block 0\'s W_V). Unlike the mixing methods it also applies at evaluation.',
  options: z.strictObject({
    lambda: z.number().min(0, 'lambda must be >= 0').default(0.6)
      .describe('weight of the fidelity term (0.6 DeiT/Segmenter, 0.4 WikiText-103 in the official code); 0 is softmax attention'),
  }),
  limit: { options: { lambda: 0 }, why: 'λ = 0 adds a zero term: softmax attention' },
  create: ({ lambda }, { tk }) => ({ name: 'neutreno', network: neutrenoHooks(tk, lambda) }),
});
