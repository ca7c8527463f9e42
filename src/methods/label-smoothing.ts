/**
 * Label smoothing (Szegedy et al., CVPR 2016): q = (1−ε)·onehot + ε/K (PyTorch's `label_smoothing` definition).
 * A target transform, applied before any mixing part mixes the targets (smooth, then mix).
 */
import { z } from 'zod';
import type * as tf from '../tf';
import { defineMethod } from './define';

export default defineMethod({
  name: 'label-smoothing',
  summary: 'soft targets q = (1−ε)·onehot + ε/K',
  family: 'label-side',
  kinds: ['target'],
  actsOn: 'targets (before any mixing: smooth, then mix)',
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular', 'text'],
  cost: { text: '1×', measured: 1 },
  paper: 'Szegedy, Vanhoucke, Ioffe, Shlens, Wojna, "Rethinking the Inception Architecture for Computer Vision", CVPR 2016 (arXiv 1512.00567)',
  options: z.strictObject({
    epsilon: z.number().min(0).max(1, 'epsilon must be in [0, 1]').default(0.1).describe('probability mass spread uniformly over the K classes'),
  }),
  limit: { options: { epsilon: 0 }, why: 'ε = 0 leaves the one-hot targets' },
  create: ({ epsilon }, { tk: { tf } }) => ({
    name: 'label-smoothing',
    beginStep: (ctx) => ({
      targets: (y) => (epsilon === 0 ? y : (tf.add(tf.mul(y, 1 - epsilon), epsilon / ctx.numClasses) as tf.Tensor2D)),
    }),
  }),
});
