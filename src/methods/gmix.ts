/**
 * G-Mix (Li & Tang, arXiv 2308.03236; IEEE TAI 2025): SAM on the mixup loss, min_w max_{‖ε‖≤ρ} L_mix(w+ε), with the
 * same λ and π in both passes. No official code exists; the objective follows from "mixup + SAM".
 */
import { z } from 'zod';
import { defineMethod } from './define';
import { GMIX_LIMIT, GMIX_PAPER, GMIX_TEXT_NOTE, gmixOptionShape, gmixPart } from './gmix-family';
import { samGradient } from './sam';

export default defineMethod({
  name: 'gmix',
  summary: 'G-Mix: SAM on the mixup loss, the same λ and π in both passes',
  family: 'optimizer/flatness',
  kinds: ['mixing', 'optimizer'],
  actsOn: 'model input and targets (mixup) and the gradient (SAM)',
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular', 'text'],
  cost: { text: '≈2× (two passes)', measured: 1.91 },
  paper: GMIX_PAPER,
  notes: `No official code; the objective min_w max_{‖ε‖≤ρ} L_mix(w+ε) follows from "mixup + SAM". mixup composed with sam is the same algorithm (drawing from another random stream). ${GMIX_TEXT_NOTE}`,
  options: z.strictObject(gmixOptionShape),
  limit: GMIX_LIMIT,
  create: ({ alpha, rho, adaptive }, env) => gmixPart('gmix', alpha, env, samGradient(env.tk, { rho, adaptive })),
});
