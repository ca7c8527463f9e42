/**
 * DG-Mix-like (a reconstruction of the G-Mix paper's Decomposed G-Mix; see gmix-family.ts for the shared rule):
 * a_i = (s_i − min s)/(max s − min s), a soft version of BG-Mix's split by sharpness-sensitivity.
 */
import { z } from 'zod';
import type * as tf from '../tf';
import { defineMethod } from './define';
import { GMIX_LIMIT, GMIX_PAPER, GMIX_TEXT_NOTE, SPLIT_NOTE, gmixOptionShape, gmixPart, splitSamGradient, type PlainWeightRule } from './gmix-family';

const decomposedWeights: PlainWeightRule = ({ tf }, s) => {
  const lo = tf.min(s);
  const hi = tf.max(s);
  return tf.div(tf.sub(s, lo), tf.add(tf.sub(hi, lo), 1e-12)) as tf.Tensor1D;
};

export default defineMethod({
  name: 'dgmix',
  summary: 'DG-Mix-like: G-Mix where each example\'s mixed and plain losses are weighted by its normalised sharpness-sensitivity',
  family: 'optimizer/flatness',
  kinds: ['mixing', 'optimizer'],
  actsOn: 'model input and targets (mixup), per-example loss weights and the gradient (SAM)',
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular', 'text'],
  cost: { text: '≈2.8× (pass 2 runs the mixed and the plain rows, 2B)', measured: 2.75 },
  paper: GMIX_PAPER,
  notes: `${SPLIT_NOTE}, a_i = (s_i − min s)/(max s − min s). ${GMIX_TEXT_NOTE}`,
  options: z.strictObject(gmixOptionShape),
  limit: GMIX_LIMIT,
  create: ({ alpha, rho, adaptive }, env) => gmixPart('dgmix', alpha, env, splitSamGradient(env.tk, { rho, adaptive }, decomposedWeights)),
});
