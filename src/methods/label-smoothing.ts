/**
 * Label smoothing (Szegedy et al., CVPR 2016): q = (1−ε)·onehot + ε/K (PyTorch's `label_smoothing` definition).
 * A target transform, applied before any mixing part mixes the targets (smooth, then mix).
 */
import * as tf from '../tf';
import type { MethodPart, PartFactory } from './types';

export const labelSmoothing: PartFactory = (options): MethodPart => {
  const eps = options.epsilon as number;
  return {
    name: 'label-smoothing',
    beginStep: (ctx) => ({
      targets: (y) => (eps === 0 ? y : (tf.add(tf.mul(y, 1 - eps), eps / ctx.numClasses) as tf.Tensor2D)),
    }),
  };
};
