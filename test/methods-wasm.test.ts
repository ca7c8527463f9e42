/** The custom method paths on the wasm backend (the fast CPU path): gradients by finite differences, real steps. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { useBackend } from './helpers';
import { FORCE_LAMBDA, assertDirectionalGradient, lossAndGrads, parts, stepOf, tinyBatch, tinyModel } from './methods-util';

before(async () => {
  await useBackend('wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

const F = FORCE_LAMBDA;

test('wasm: finite-difference check of hidden-state mixing, AMPLIFY, NeuTRENO, CutMix and the paired forward', () => {
  const model = tinyModel();
  const { x, labels } = tinyBatch();
  const cases: Record<string, Record<string, unknown>>[] = [
    { 'manifold-mixup': { [F]: 0.3, layers: [0] } },
    { amplify: { [F]: 0.7 }, neutreno: {} },
    { cutmix: { [F]: 0.5 } },
  ];
  for (const spec of cases) {
    const { lossFn } = stepOf(model, parts(spec), x, labels, 41);
    assertDirectionalGradient(model, () => lossFn().loss, Object.keys(spec).join('+'));
  }
  const { lossFn } = stepOf(model, parts({ dgmix: { [F]: 0.4 }, neutreno: {} }), x, labels, 41);
  assertDirectionalGradient(model, () => {
    const { mixed, plain } = lossFn.pair();
    return tf.add(tf.mean(mixed), tf.mul(tf.mean(plain), 0.5)) as tf.Scalar;
  }, 'pair');
  model.dispose();
});

test('wasm: two-pass steps (sam, bgmix, dgmix) run, restore the weights and leave no tensors behind', () => {
  const model = tinyModel();
  const { x, labels } = tinyBatch();
  const w0 = model.variables.map((v) => v.dataSync().slice());
  const n0 = tf.memory().numTensors;
  for (const spec of [{ sam: { adaptive: true } }, { bgmix: {} }, { dgmix: {}, neutreno: {} }, { amplify: {}, sam: {} }] as Record<string, Record<string, unknown>>[]) {
    const r = lossAndGrads(model, parts(spec), x, labels);
    assert.ok(Number.isFinite(r.loss));
    assert.ok(Object.values(r.grads).every((g) => g.every(Number.isFinite)));
    assert.equal(tf.memory().numTensors, n0, Object.keys(spec).join('+'));
  }
  model.variables.forEach((v, i) => assert.deepEqual(v.dataSync(), w0[i]));
  model.dispose();
});
