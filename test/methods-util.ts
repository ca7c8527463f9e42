/** Shared helpers of the methods tests: a tiny model, one step assembled from parts, finite differences. */
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import type { ResolvedModel, ResolvedTransformer } from '../src/core/experiment';
import { buildModel } from '../src/model/build';
import { oneHot } from '../src/model/ops';
import type { Model } from '../src/model/types';
import { methodInfo } from '../src/methods/index';
import { instantiateMethod } from '../src/methods/registry';
import type { MethodPart, PartStep, StepLoss } from '../src/methods/types';
import { resolveTrain } from '../src/config/resolve';
import { createOptimizer } from '../src/train/optimizers';
import { beginStep, makeStepLoss, plainGradients } from '../src/train/step';
import { Rng } from '../src/util/rng';

export const K = 3;
export const B = 6;
export const SHAPE = [4, 4, 1];

export function tinyConfig(over: Partial<ResolvedTransformer> = {}): ResolvedTransformer {
  return { type: 'transformer', dim: 8, depth: 2, heads: 2, mlpDim: 16, patch: 2, pool: 'mean', dropout: 0, ...over };
}

export function tinyModel(cfg: ResolvedModel = tinyConfig(), seed = 7): Model {
  return buildModel(cfg, { modality: 'image', shape: SHAPE, numClasses: K }, seed);
}

/** A fixed batch: random images, labels 0,1,2,0,1,2. */
export function tinyBatch(seed = 3, n = B): { x: tf.Tensor; labels: Int32Array } {
  const rng = new Rng(seed);
  const data = new Float32Array(n * 16).map(() => rng.normal());
  const labels = Int32Array.from({ length: n }, (_, i) => i % K);
  return { x: tf.tensor(data, [n, ...SHAPE]), labels };
}

/**
 * Test-only key of a part's options in `parts()`: a forced λ, handed to the part as `env.forceLambda` (it is not an
 * option; no schema has it).
 */
export const FORCE_LAMBDA = '__forceLambda';

/** The parts of listed methods with their options over the defaults, and FORCE_LAMBDA where a test forces λ. */
export function parts(spec: Record<string, Record<string, unknown>>, model: ResolvedModel = tinyConfig()): MethodPart[] {
  const entries = Object.entries(spec).map(([method, opts]) => {
    const { [FORCE_LAMBDA]: force, ...user } = opts;
    if (force !== undefined && typeof force !== 'number') throw new Error(`${FORCE_LAMBDA} must be a number`);
    return { part: { method, options: methodInfo(method)!.options.parse(user) }, forceLambda: force };
  });
  return instantiateMethod({ name: 'm', parts: entries.map((e) => e.part) }, model, entries.map((e) => ({ forceLambda: e.forceLambda })));
}

export interface Stepped {
  steps: PartStep[];
  lossFn: StepLoss;
  y: tf.Tensor2D;
}

/** Begin a step with a seeded method stream and build its loss function (caller disposes in a tidy). */
export function stepOf(model: Model, ps: MethodPart[], x: tf.Tensor, labels: Int32Array, seed = 11, numClasses = K): Stepped {
  const steps = beginStep(ps, {
    rng: new Rng(seed), numClasses, batchSize: x.shape[0], epoch: 1, step: 0, modality: 'image', shape: x.shape.slice(1),
    inputs: Float32Array.from(x.dataSync()),
  });
  const y = oneHot(labels, numClasses);
  return { steps, y, lossFn: makeStepLoss(model, steps, { x, y }, () => 1) };
}

/** Loss and gradients (as arrays) of one step. */
export function lossAndGrads(model: Model, ps: MethodPart[], x: tf.Tensor, labels: Int32Array, seed = 11): { loss: number; grads: Record<string, Float32Array>; info: Record<string, unknown>[] } {
  let result: { loss: number; grads: Record<string, Float32Array>; info: Record<string, unknown>[] } | undefined;
  tf.tidy(() => {
    const { steps, lossFn } = stepOf(model, ps, x, labels, seed);
    const gp = ps.find((p) => p.gradient)?.gradient;
    const { loss, grads } = gp ? gp.gradients(lossFn, model.variables) : plainGradients(lossFn, model.variables);
    const out: Record<string, Float32Array> = {};
    for (const [k, g] of Object.entries(grads)) out[k] = g.dataSync() as Float32Array;
    result = { loss: loss.dataSync()[0], grads: out, info: steps.map((s) => s.info ?? {}) };
  });
  return result!;
}

/** Run `n` full steps (gradient + base optimizer) on the tiny model and batch, and return the weights. */
export function trainSteps(ps: MethodPart[], n: number, optimizer: 'adamw' | 'sgd', cfg: ResolvedModel = tinyConfig()): Float32Array[] {
  const model = tinyModel(cfg);
  const opt = createOptimizer(resolveTrain({ optimizer }), model.variables);
  const { x, labels } = tinyBatch();
  for (let s = 0; s < n; s++) {
    inTidy(() => {
      const { lossFn } = stepOf(model, ps, x, labels, 100 + s);
      const gp = ps.find((p) => p.gradient)?.gradient;
      const { grads } = gp ? gp.gradients(lossFn, model.variables) : plainGradients(lossFn, model.variables);
      opt.apply(grads, 0.01);
    });
  }
  const w = snapshot(model.variables);
  opt.dispose();
  model.dispose();
  return w;
}

export function snapshot(vars: tf.Variable[]): Float32Array[] {
  return vars.map((v) => v.dataSync().slice() as Float32Array);
}

/**
 * Central directional finite difference of `loss` along a random unit direction over all variables, against the
 * analytic directional derivative of `grads`. Returns both.
 */
/** Run f inside a tidy and return its (non-tensor) result. */
export function inTidy<R>(f: () => R): R {
  let r: R | undefined;
  tf.tidy(() => {
    r = f();
  });
  return r as R;
}

export function directionalCheck(model: Model, loss: () => tf.Scalar, h = 1e-2, seed = 5): { fd: number; analytic: number } {
  const vars = model.variables;
  const rng = new Rng(seed);
  const dirs = vars.map((v) => new Float32Array(v.size).map(() => rng.normal()));
  const norm = Math.sqrt(dirs.reduce((s, d) => s + d.reduce((a, b) => a + b * b, 0), 0));
  for (const d of dirs) for (let i = 0; i < d.length; i++) d[i] /= norm;
  const w0 = snapshot(vars);
  const analytic = inTidy(() => {
    const { grads } = tf.variableGrads(loss, vars);
    let s = 0;
    vars.forEach((v, i) => {
      const g = grads[v.name]?.dataSync();
      if (g) for (let j = 0; j < g.length; j++) s += g[j] * dirs[i][j];
    });
    return s;
  });
  const at = (sign: number): number => {
    vars.forEach((v, i) => setVar(v, w0[i].map((w, j) => w + sign * h * dirs[i][j])));
    return inTidy(() => loss().dataSync()[0]);
  };
  // float64 accumulation is not available in tfjs: use the float32 losses, h large enough for their rounding.
  const fd = (at(1) - at(-1)) / (2 * h);
  vars.forEach((v, i) => setVar(v, w0[i]));
  return { fd, analytic };
}

/** A central directional finite difference of `loss` agrees with its autodiff gradient to 2e-3 relative. */
export function assertDirectionalGradient(model: Model, loss: () => tf.Scalar, label: string): void {
  const { fd, analytic } = directionalCheck(model, loss);
  assert.ok(Math.abs(fd - analytic) < 2e-3 * Math.abs(analytic) + 1e-5, `${label}: fd ${fd} vs analytic ${analytic}`);
}

export function setVar(v: tf.Variable, values: Float32Array): void {
  const t = tf.tensor(values, v.shape);
  v.assign(t);
  t.dispose();
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
