/**
 * BG-Mix-like (a reconstruction of the G-Mix paper's Binary G-Mix; see gmix-family.ts for the shared rule):
 * a_i = 1 for the ⌊B/2⌋ examples with the largest sharpness-sensitivity s_i (at or above the median), else 0 — the
 * most sharpness-sensitive examples, the likeliest victims of mixup's manifold intrusion, train on their plain loss,
 * the rest on the mixup loss.
 */
import { z } from 'zod';
import type * as tf from '../tf';
import { defineMethod } from './define';
import { GMIX_LIMIT, GMIX_PAPER, GMIX_TEXT_NOTE, SPLIT_NOTE, gmixOptionShape, gmixPart, splitSamGradient, type PlainWeightRule } from './gmix-family';

const binaryWeights: PlainWeightRule = ({ tf }, s) => {
  const k = Math.floor(s.shape[0] / 2);
  if (k === 0) return tf.zerosLike(s);
  const kth = tf.topk(s, k).values.slice([k - 1], [1]);
  return tf.cast(tf.greaterEqual(s, kth), 'float32') as tf.Tensor1D;
};

export default defineMethod({
  name: 'bgmix',
  summary: 'BG-Mix-like: G-Mix whose most sharpness-sensitive half of the batch trains on the plain loss, the rest on the mixup loss',
  family: 'optimizer/flatness',
  kinds: ['mixing', 'optimizer'],
  actsOn: 'model input and targets (mixup), per-example loss weights and the gradient (SAM)',
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular', 'text'],
  cost: { text: '≈2.8× (pass 2 runs the mixed and the plain rows, 2B)', measured: 2.77 },
  paper: GMIX_PAPER,
  notes: `${SPLIT_NOTE}, a_i = 1 for the ⌊B/2⌋ examples with the largest s_i (above the median), else 0. ${GMIX_TEXT_NOTE}`,
  options: z.strictObject(gmixOptionShape),
  limit: GMIX_LIMIT,
  create: ({ alpha, rho, adaptive }, env) => gmixPart('bgmix', alpha, env, splitSamGradient(env.tk, { rho, adaptive }, binaryWeights)),
});
