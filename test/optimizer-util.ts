/**
 * The fused flat-buffer optimizer against the per-variable reference: the same model, batches and gradients, the
 * weights compared bit for bit after every step, for every optimizer setting, with gradient clipping, with a variable
 * left without gradient, with a variable changed between steps, and under SAM's two passes (which move the variables
 * and put them back between the optimizer's steps).
 */
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { resolveTrain } from '../src/config/resolve';
import { createOptimizer, createPerVariableOptimizer, type Optimizer } from '../src/train/optimizers';
import type { MethodPart } from '../src/methods/types';
import { plainGradients } from '../src/train/step';
import { inTidy, parts, stepOf, tinyBatch, tinyModel } from './methods-util';

export interface Setting {
  label: string;
  train: Parameters<typeof resolveTrain>[0];
}

export const SETTINGS: Setting[] = [
  { label: 'adamw', train: { optimizer: 'adamw', weightDecay: 0.05 } },
  { label: 'adamw, no decay', train: { optimizer: 'adamw', weightDecay: 0 } },
  { label: 'adam + L2', train: { optimizer: 'adam', weightDecay: 0.05 } },
  { label: 'sgd momentum + L2', train: { optimizer: 'sgd', momentum: 0.9, weightDecay: 0.05 } },
  { label: 'sgd nesterov', train: { optimizer: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.01 } },
  { label: 'sgd, no momentum, no decay', train: { optimizer: 'sgd', momentum: 0, weightDecay: 0 } },
  { label: 'adamw, clipped', train: { optimizer: 'adamw', weightDecay: 0.05, gradClip: 0.05 } },
  { label: 'sgd, clip inactive', train: { optimizer: 'sgd', momentum: 0.9, weightDecay: 0.05, gradClip: 1e4 } },
];

function bits(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Index and values of the first element where two arrays differ bitwise, or null. */
function firstDifference(a: Float32Array, b: Float32Array): string | null {
  if (bits(a).equals(bits(b))) return null;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `element ${i}: ${a[i]} vs ${b[i]}`;
  return 'length';
}

interface Arm {
  model: ReturnType<typeof tinyModel>;
  opt: Optimizer;
}

/**
 * `steps` steps of two identical models, one per optimizer; after every step the weights must agree bit for bit.
 * `drop` names a variable whose gradient is withheld on even steps.
 */
export function assertAgreement(setting: Setting, methodParts: MethodPart[] = [], steps = 5, drop?: (name: string) => boolean, moveBetweenSteps = false): void {
  const cfg = resolveTrain(setting.train);
  const arms: Arm[] = [createOptimizer, createPerVariableOptimizer].map((make) => {
    const model = tinyModel();
    return { model, opt: make(cfg, model.variables) };
  });
  let n1 = 0;
  const gradientPart = methodParts.find((p) => p.gradient)?.gradient;
  for (let s = 0; s < steps; s++) {
    const { x, labels } = tinyBatch(20 + s);
    const lr = 0.02 * (s + 1);
    for (const arm of arms) {
      // A variable changed outside the optimizer (as a restored checkpoint would): the fused form must notice.
      if (moveBetweenSteps && s === 2) inTidy(() => arm.model.variables[3].assign(tf.mul(arm.model.variables[3], 0.5)));
      inTidy(() => {
        const { lossFn } = stepOf(arm.model, methodParts, x, labels, 100 + s);
        const { grads } = gradientPart ? gradientPart.gradients(lossFn, arm.model.variables) : plainGradients(lossFn, arm.model.variables);
        if (drop && s % 2 === 0) for (const k of Object.keys(grads)) if (drop(k)) delete grads[k];
        arm.opt.apply(grads, lr, cfg.gradClip);
      });
    }
    x.dispose();
    // Optimizer state exists after the second step (the reference creates a slot at a variable's first gradient).
    if (s === 1) n1 = tf.memory().numTensors;
    const [fused, reference] = arms;
    reference.model.variables.forEach((v, i) => {
      const diff = firstDifference(fused.model.variables[i].dataSync() as Float32Array, v.dataSync() as Float32Array);
      assert.equal(diff, null, `${setting.label}: ${v.name.replace(/^[a-z]+\d+\//, '')} differs after step ${s + 1} (${diff})`);
    });
  }
  assert.equal(tf.memory().numTensors, n1, `${setting.label}: no tensors left behind per step`);
  for (const arm of arms) {
    arm.opt.dispose();
    arm.model.dispose();
  }
}

/** Every setting, a withheld gradient, and SAM-family two-pass gradients, on the active backend. */
export function runAgreementSuite(): void {
  for (const setting of SETTINGS) assertAgreement(setting);
  assertAgreement(SETTINGS[0], [], 4, (name) => name.endsWith('block1/mlp2/w') || name.endsWith('lnf/g'));
  assertAgreement(SETTINGS[3], [], 4, (name) => name.endsWith('head/b'));
  assertAgreement(SETTINGS[2], [], 4, undefined, true);
  assertAgreement(SETTINGS[0], parts({ sam: { rho: 0.05 } }), 3);
  assertAgreement(SETTINGS[4], parts({ sam: { rho: 0.05, adaptive: true } }), 3);
  assertAgreement(SETTINGS[6], parts({ bgmix: { rho: 0.05 } }), 3);
}
