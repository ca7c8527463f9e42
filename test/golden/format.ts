/**
 * The golden step fixture format (test/golden/steps/<case>.json), shared by the exporter (test/golden/export.ts),
 * the checks (test/golden-util.ts) and, in Python, the twin (reference/fixture.py). Arrays are little-endian float32
 * in base64 with their shape.
 */
import { join } from 'node:path';
import type { ResolvedModel } from '../../src/core/experiment';
import type { GoldenModality } from './cases';

export const GOLDEN_FORMAT = 'mixbench-golden-step/1';

/** test/golden/steps in the source tree (this file runs from dist/test/golden). */
export const GOLDEN_STEPS_DIR = join(__dirname, '..', '..', '..', 'test', 'golden', 'steps');
export const REPO_ROOT = join(__dirname, '..', '..', '..');

export interface OptimizerSettings {
  lr: number;
  weightDecay: number;
  gradClip: number | null;
}

export interface GoldenFixture {
  format: typeof GOLDEN_FORMAT;
  case: string;
  /** The resolved parts (catalogue defaults filled in), main method first. */
  method: { method: string; options: Record<string, unknown> }[];
  model: ResolvedModel;
  data: { modality: GoldenModality; shape: number[]; numClasses: number; vocabSize: number | null };
  seeds: { init: number; batch: number; method: number };
  train: {
    adamw: OptimizerSettings & { beta1: number; beta2: number; eps: number };
    sgd: OptimizerSettings & { momentum: number; nesterov: boolean };
  };
  /** mixbench's variables in order, names without the per-instance prefix (`block0/q/w`), mixbench's shapes. */
  params: { name: string; shape: number[]; data: string }[];
  batch: { shape: number[]; x: string; labels: number[] };
  /** Per part, what it drew in the step (PartStep.info: λ, perm, layer, box, ...), typed arrays as arrays. */
  draws: Record<string, unknown>[];
  /** Written by the twin. */
  expected?: GoldenExpected;
}

export interface GoldenExpected {
  producer: string;
  loss: number;
  perExample: string;
  logits: string;
  gradNorm: number;
  /** The gradient the optimizer receives (SAM family: at w + ε̂), per parameter. */
  grads: Record<string, string>;
  /** SAM family: ε̂ per parameter. */
  eps?: Record<string, string>;
  /** BG-/DG-Mix: the weight of each example's plain loss. */
  plainWeights?: number[];
  /** CutMix: the box the twin computed (rows [y1, y2), columns [x1, x2)) and its area λ. */
  box?: { y1: number; y2: number; x1: number; x2: number; lambda: number };
  /** Weights after one AdamW / one SGD step from the initial weights with `grads`. */
  adamw: Record<string, string>;
  sgd: Record<string, string>;
  /** Over-smoothing: per layer (embedding, then each block), the mean pairwise token cosine; null for the MLP. */
  oversmoothing: number[] | null;
}

export function encodeF32(a: ArrayLike<number>): string {
  const f = Float32Array.from(a);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
}

export function decodeF32(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

/** A variable's name without the per-instance prefix tfjs needs (`vit12/block0/q/w` → `block0/q/w`). */
export function paramName(variableName: string): string {
  return variableName.slice(variableName.indexOf('/') + 1);
}
