/** Correctness of the method parts on a tiny Transformer, cpu backend. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { useBackend } from './helpers';
import { drawBox } from '../src/methods/draws';
import * as toolkit from '../src/methods/toolkit';
import { amplifyLambda } from '../src/methods/amplify';
import { neutrenoHooks } from '../src/methods/neutreno';
import { Rng } from '../src/util/rng';
import { softCrossEntropy } from '../src/model/ops';
import {
  B, FORCE_LAMBDA, K, assertDirectionalGradient, inTidy, lossAndGrads, maxAbsDiff, parts, snapshot, stepOf, tinyBatch, tinyConfig, tinyModel, trainSteps,
} from './methods-util';

before(async () => {
  await useBackend('cpu');
});

const F = FORCE_LAMBDA;

test('λ forced to 1: mixup, manifold-mixup, cutmix and amplify give exactly the baseline loss and gradients', () => {
  const model = tinyModel();
  const { x, labels } = tinyBatch();
  const base = lossAndGrads(model, parts({ baseline: {} }), x, labels);
  for (const spec of <Record<string, Record<string, unknown>>[]>[{ mixup: { [F]: 1 } }, { 'manifold-mixup': { [F]: 1 } }, { cutmix: { [F]: 1 } }, { amplify: { [F]: 1 } }]) {
    for (const seed of [11, 12, 13]) {
      const got = lossAndGrads(model, parts(spec), x, labels, seed);
      const name = Object.keys(spec)[0];
      assert.equal(got.loss, base.loss, `${name} loss`);
      for (const k of Object.keys(base.grads)) assert.deepEqual(got.grads[k], base.grads[k], `${name} gradient of ${k}`);
    }
  }
  // and with a real λ they do differ (the limit is not vacuous)
  for (const spec of <Record<string, Record<string, unknown>>[]>[{ mixup: { [F]: 0.6 } }, { 'manifold-mixup': { [F]: 0.6 } }, { cutmix: { [F]: 0.6 } }, { amplify: { [F]: 0.6 } }]) {
    assert.notEqual(lossAndGrads(model, parts(spec), x, labels).loss, base.loss, Object.keys(spec)[0]);
  }
  model.dispose();
});

test('neutreno with λ = 0 equals the baseline forward; λ > 0 changes it', () => {
  const model = tinyModel();
  const { x } = tinyBatch();
  const plain = model.forward(x, { training: false }).dataSync();
  const zero = model.forward(x, { training: false, hooks: neutrenoHooks(toolkit, 0) }).dataSync();
  const on = model.forward(x, { training: false, hooks: neutrenoHooks(toolkit, 0.6) }).dataSync();
  assert.deepEqual(zero, plain);
  assert.ok(maxAbsDiff(on, plain) > 1e-4);
  // the part is a network change: it reaches evaluation through `network`, and training through beginStep
  const [p] = parts({ neutreno: { lambda: 0.6 } });
  assert.ok(p.network && !p.beginStep);
  assert.deepEqual(model.forward(x, { training: false, hooks: p.network }).dataSync(), on);
  model.dispose();
});

test('sam with ρ = 0 is the base optimizer; gmix with ρ = 0 is mixup', () => {
  for (const optimizer of ['adamw', 'sgd'] as const) {
    assert.deepEqual(trainSteps(parts({ sam: { rho: 0 } }), 2, optimizer), trainSteps(parts({ baseline: {} }), 2, optimizer), `sam ${optimizer}`);
    assert.deepEqual(trainSteps(parts({ gmix: { rho: 0 } }), 2, optimizer), trainSteps(parts({ mixup: {} }), 2, optimizer), `gmix ${optimizer}`);
  }
  assert.notDeepEqual(trainSteps(parts({ sam: { rho: 0.05 } }), 1, 'sgd'), trainSteps(parts({ baseline: {} }), 1, 'sgd'));
});

test('targets are permuted with the π of the inputs / hidden states (λ = 0: a pure swap)', () => {
  // With λ = 0 example i becomes its partner π(i) entirely; the network treats examples independently, so the
  // per-example loss must be the baseline's loss of π(i) — only if the targets use the same π.
  const check = (spec: Record<string, Record<string, unknown>>, depth: number) => {
    const cfg = tinyConfig({ depth });
    const model = tinyModel(cfg);
    const { x, labels } = tinyBatch();
    inTidy(() => {
      const base = stepOf(model, parts({ baseline: {} }, cfg), x, labels).lossFn().perExample.dataSync();
      for (const seed of [21, 22, 23]) {
        const { lossFn, steps } = stepOf(model, parts(spec, cfg), x, labels, seed);
        const perm = steps[0].info!.perm as Int32Array;
        assert.ok(perm.some((p, i) => p !== i));
        const got = lossFn().perExample.dataSync();
        const expected = Array.from(perm, (p) => base[p]);
        assert.ok(maxAbsDiff(got, expected) < 1e-5, `${Object.keys(spec)[0]} seed ${seed}: ${Array.from(got)} vs ${expected}`);
      }
    });
    model.dispose();
  };
  check({ mixup: { [F]: 0 } }, 2);
  check({ 'manifold-mixup': { [F]: 0 } }, 2);
  check({ 'manifold-mixup': { [F]: 0, layers: [1] } }, 2);
  check({ gmix: { [F]: 0 } }, 2);
  // AMPLIFY mixes after every layer (π applied L times): with one layer λ = 0 is one swap
  check({ amplify: { [F]: 0 } }, 1);
});

test('mixed targets are λ·y + (1−λ)·y[π] with the drawn λ (mixup, manifold-mixup, amplify)', () => {
  const model = tinyModel();
  const { x } = tinyBatch();
  const labels = Int32Array.from({ length: B }, (_, i) => i); // K = B: every example its own class
  for (const spec of <Record<string, Record<string, unknown>>[]>[{ mixup: {} }, { 'manifold-mixup': {} }, { amplify: { lambda: 'beta', alpha: 1 } }]) {
    inTidy(() => {
      const { steps, y } = stepOf(model, parts(spec), x, labels, 31, B);
      const { lambda, perm } = steps[0].info as { lambda: number; perm: Int32Array };
      const mixed = steps[0].batch!(x, y).y.arraySync() as number[][];
      for (let i = 0; i < B; i++) {
        for (let k = 0; k < B; k++) {
          const want = (k === i ? lambda : 0) + (k === perm[i] ? 1 - lambda : 0);
          assert.ok(Math.abs(mixed[i][k] - want) < 1e-6, `${Object.keys(spec)[0]} [${i}][${k}]`);
        }
      }
    });
  }
  model.dispose();
});

test('cutmix: the target λ is the real pasted area, pasted from x[π]', () => {
  const n = 8;
  const H = 4;
  const W = 4;
  // image i is the constant i + 1, so every pixel tells where it came from
  const x = tf.tensor(Float32Array.from({ length: n * H * W }, (_, j) => Math.floor(j / (H * W)) + 1), [n, H, W, 1]);
  const labels = Int32Array.from({ length: n }, (_, i) => i);
  const model = tinyModel();
  let sawPaste = 0;
  for (let seed = 0; seed < 20; seed++) {
    inTidy(() => {
      const { steps, y } = stepOf(model, parts({ cutmix: {} }), x, labels, seed, n);
      const { lambda, perm } = steps[0].info as { lambda: number; perm: Int32Array };
      const out = steps[0].batch!(x, y);
      const xm = out.x.dataSync();
      const ym = out.y.arraySync() as number[][];
      for (let i = 0; i < n; i++) {
        if (perm[i] === i) continue;
        let pasted = 0;
        for (let p = 0; p < H * W; p++) {
          const v = xm[i * H * W + p];
          assert.ok(v === i + 1 || v === perm[i] + 1, 'pixels come from the example or its partner');
          if (v === perm[i] + 1) pasted++;
        }
        assert.ok(Math.abs(1 - pasted / (H * W) - lambda) < 1e-9, `seed ${seed}: λ ${lambda}, pasted ${pasted}`);
        assert.ok(Math.abs(ym[i][i] - lambda) < 1e-6 && Math.abs(ym[i][perm[i]] - (1 - lambda)) < 1e-6);
        if (pasted > 0) sawPaste++;
      }
    });
  }
  assert.ok(sawPaste > 10);
  // the box rule itself: λ = 1 − area exactly, boxes clipped to the image
  const rng = new Rng(4);
  for (let i = 0; i < 200; i++) {
    const b = drawBox(rng, 8, 6, rng.uniform());
    assert.ok(b.y1 >= 0 && b.y2 <= 8 && b.x1 >= 0 && b.x2 <= 6 && b.y1 <= b.y2 && b.x1 <= b.x2);
    assert.equal(b.lambda, 1 - ((b.y2 - b.y1) * (b.x2 - b.x1)) / 48);
  }
  model.dispose();
});

test('sam: ‖ε̂‖₂ = ρ along g/‖g‖, the second gradient is taken at w + ε̂, weights restored before the step', () => {
  for (const adaptive of [false, true]) {
    const rho = adaptive ? 0.5 : 0.05;
    const model = tinyModel();
    const vars = model.variables;
    const { x, labels } = tinyBatch();
    const w0 = snapshot(vars);
    const [p] = parts({ sam: { rho, adaptive } });
    const seen: Float32Array[][] = [];
    const result = inTidy(() => {
      const { lossFn } = stepOf(model, [p], x, labels);
      const g0 = tf.variableGrads(() => lossFn().loss, vars).grads;
      const g0a = vars.map((v) => g0[v.name].dataSync().slice());
      const spy = Object.assign(() => {
        seen.push(snapshot(vars));
        return lossFn();
      }, { pair: lossFn.pair });
      const { grads } = p.gradient!.gradients(spy, vars);
      const ga = vars.map((v) => grads[v.name].dataSync().slice());
      return { g0a, ga, lossFn };
    });
    assert.equal(seen.length, 2);
    assert.deepEqual(seen[0], w0, 'first pass at w');
    assert.deepEqual(snapshot(vars), w0, 'weights restored exactly');
    // ε̂ = second-pass weights − w
    const eps = seen[1].map((w, i) => w.map((v, j) => v - w0[i][j]));
    const T = (i: number, j: number) => (adaptive ? Math.abs(w0[i][j]) : 1);
    let epsNorm = 0; // ‖ε̂/T‖ = ρ (plain SAM: T = 1)
    let gNorm = 0; // ‖T g‖
    eps.forEach((e, i) => e.forEach((v, j) => {
      if (T(i, j) > 1e-3) epsNorm += (v / T(i, j)) ** 2;
      gNorm += (T(i, j) * result.g0a[i][j]) ** 2;
    }));
    if (!adaptive) assert.ok(Math.abs(Math.sqrt(epsNorm) - rho) < 1e-3 * rho, `‖ε̂‖ = ${Math.sqrt(epsNorm)}`);
    eps.forEach((e, i) => e.forEach((v, j) => {
      const want = (rho * T(i, j) ** 2 * result.g0a[i][j]) / Math.sqrt(gNorm);
      assert.ok(Math.abs(v - want) < 1e-5 + 1e-3 * Math.abs(want), `ε̂ direction (adaptive ${adaptive})`);
    }));
    // the returned gradient is the gradient at w + ε̂
    vars.forEach((v, i) => v.assign(tf.tensor(seen[1][i], v.shape)));
    const atPerturbed = inTidy(() => {
      const { lossFn } = stepOf(model, [p], x, labels);
      const g = tf.variableGrads(() => lossFn().loss, vars).grads;
      return vars.map((v) => g[v.name].dataSync().slice());
    });
    atPerturbed.forEach((g, i) => assert.ok(maxAbsDiff(g, result.ga[i]) < 1e-6, `gradient at w+ε̂ for ${vars[i].name}`));
    assert.ok(atPerturbed.some((g, i) => maxAbsDiff(g, result.g0a[i]) > 1e-6), 'and it differs from the gradient at w');
    model.dispose();
  }
});

test('bgmix / dgmix: pass 2 descends the sensitivity-weighted mix of mixed and plain losses at w + ε̂', () => {
  const model = tinyModel();
  const vars = model.variables;
  const { x, labels } = tinyBatch();
  for (const name of ['bgmix', 'dgmix'] as const) {
    const [p] = parts({ [name]: { rho: 0.2 } });
    const seen: Float32Array[][] = [];
    const out = inTidy(() => {
      const { lossFn } = stepOf(model, [p], x, labels);
      const first = lossFn().perExample.dataSync().slice();
      const spy = Object.assign(() => lossFn(), {
        pair: () => {
          seen.push(snapshot(vars));
          return lossFn.pair();
        },
      });
      const { grads } = p.gradient!.gradients(spy, vars);
      return { first, ga: vars.map((v) => grads[v.name].dataSync().slice()) };
    });
    assert.equal(seen.length, 1);
    // recompute at w + ε̂ by hand
    const w0 = snapshot(vars);
    vars.forEach((v, i) => v.assign(tf.tensor(seen[0][i], v.shape)));
    const want = inTidy(() => {
      const { lossFn, y } = stepOf(model, [p], x, labels);
      const mixedNow = lossFn().perExample.dataSync();
      const s = Array.from(mixedNow, (m, i) => m - out.first[i]);
      const sorted = [...s].sort((a, b) => b - a);
      const lo = Math.min(...s);
      const hi = Math.max(...s);
      const a = s.map((v) => (name === 'bgmix' ? (v >= sorted[B / 2 - 1] ? 1 : 0) : (v - lo) / (hi - lo + 1e-12)));
      if (name === 'bgmix') assert.equal(a.reduce((u, v) => u + v, 0), B / 2);
      const aT = tf.tensor1d(a);
      const g = tf.variableGrads(() => {
        const mixed = lossFn().perExample;
        const plain = softCrossEntropy(model.forward(x, { training: true }), y);
        return tf.mean(tf.add(tf.mul(tf.sub(1, aT), mixed), tf.mul(aT, plain))) as tf.Scalar;
      }, vars).grads;
      return vars.map((v) => g[v.name].dataSync().slice());
    });
    vars.forEach((v, i) => v.assign(tf.tensor(w0[i], v.shape)));
    want.forEach((g, i) => assert.ok(maxAbsDiff(g, out.ga[i]) < 1e-5, `${name}: gradient of ${vars[i].name}`));
  }
  model.dispose();
});

test('neutreno: later layers send gradient into block 0\'s value weights through V⁰ (not detached)', () => {
  const model = tinyModel(tinyConfig({ depth: 3 }));
  const { x, labels } = tinyBatch();
  const wv0 = model.variables.find((v) => v.name.endsWith('block0/v/w'))!;
  assert.ok(wv0, 'block0/v/w exists');
  const stop = tf.customGrad(((t: tf.Tensor) => ({ value: tf.clone(t), gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)] })) as unknown as Parameters<typeof tf.customGrad>[0]) as (t: tf.Tensor) => tf.Tensor;
  const grad = (detach: boolean) => inTidy(() => {
    const hooks = neutrenoHooks(toolkit, 0.6);
    const att = hooks.attention!;
    const h = detach ? { attention: (a: Parameters<typeof att>[0]) => att(a.layer === 0 ? { ...a, v: stop(a.v) as tf.Tensor3D } : a) } : hooks;
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), K).toFloat() as tf.Tensor2D;
    const g = tf.variableGrads(() => tf.mean(softCrossEntropy(model.forward(x, { training: true, hooks: h }), y)) as tf.Scalar, [wv0]).grads;
    return Float32Array.from(g[wv0.name].dataSync());
  });
  const attached = grad(false);
  const detached = grad(true);
  const norm = Math.sqrt(attached.reduce((s, v) => s + v * v, 0));
  assert.ok(maxAbsDiff(attached, detached) > 1e-3 * norm, 'the V⁰ path contributes gradient');
  model.dispose();
});

test('finite-difference check of the custom paths (hidden-state mixing, AMPLIFY, NeuTRENO, CutMix, G-Mix pair)', () => {
  const cases: [string, Record<string, Record<string, unknown>>][] = [
    ['manifold-mixup embed', { 'manifold-mixup': { [F]: 0.3, layers: ['embed'] } }],
    ['manifold-mixup block 0', { 'manifold-mixup': { [F]: 0.3, layers: [0] } }],
    ['amplify', { amplify: { [F]: 0.7 } }],
    ['neutreno', { neutreno: { lambda: 0.6 } }],
    ['cutmix', { cutmix: { [F]: 0.5 } }],
    ['amplify+neutreno+label-smoothing', { amplify: { [F]: 0.6 }, neutreno: {}, 'label-smoothing': {} }],
  ];
  const model = tinyModel();
  const { x, labels } = tinyBatch();
  for (const [name, spec] of cases) {
    const ps = parts(spec);
    const { lossFn } = stepOf(model, ps, x, labels, 41);
    assertDirectionalGradient(model, () => lossFn().loss, name);
  }
  // the paired (2B) forward used by BG-/DG-Mix
  const { lossFn } = stepOf(model, parts({ bgmix: { [F]: 0.4 } }), x, labels, 41);
  assertDirectionalGradient(model, () => {
    const { mixed, plain } = lossFn.pair();
    return tf.add(tf.mean(mixed), tf.mul(tf.mean(plain), 0.5)) as tf.Scalar;
  }, 'pair');
  model.dispose();
});

test('AMPLIFY max-beta λ rule matches the official code\'s distribution (max of 5 Beta(0.1, 0.1))', () => {
  const rng = new Rng(9);
  const n = 20000;
  const draws = Array.from({ length: n }, () => amplifyLambda(rng, 'max-beta', 0.1)).sort((a, b) => a - b);
  const below = (t: number) => draws.filter((d) => d < t).length / n;
  assert.ok(draws[n / 2] > 0.9999, `median ${draws[n / 2]}`);
  assert.ok(Math.abs(below(0.9) - 0.073) < 0.01, `P(λ<0.9) = ${below(0.9)}`);
  assert.ok(Math.abs(below(0.5) - 0.031) < 0.008, `P(λ<0.5) = ${below(0.5)}`);
  const beta = Array.from({ length: n }, () => amplifyLambda(rng, 'beta', 0.1));
  assert.ok(Math.abs(beta.filter((d) => d < 0.5).length / n - 0.5) < 0.02, 'beta rule is symmetric');
});

test('the two forms of row mixing (gather + lerp, and the M·h product used on wasm) agree in value and gradient', async () => {
  const { mixRowsGather, mixRowsMatmul } = toolkit;
  const rng = new Rng(3);
  const d = { lambda: 0.35, perm: rng.permutation(5) };
  const h = tf.variable(tf.tensor(new Float32Array(5 * 3 * 4).map(() => rng.normal()), [5, 3, 4]));
  const r = tf.tensor(new Float32Array(5 * 3 * 4).map(() => rng.normal()), [5, 3, 4]);
  const run = (f: typeof mixRowsGather) => inTidy(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(tf.mul(h, h), d), r)) as tf.Scalar, [h]);
    return { v: value.dataSync()[0], g: Float32Array.from(grads[h.name].dataSync()), m: Float32Array.from(f(h, d).dataSync()) };
  });
  const a = run(mixRowsGather);
  const b = run(mixRowsMatmul);
  assert.ok(Math.abs(a.v - b.v) < 1e-4);
  assert.ok(maxAbsDiff(a.g, b.g) < 1e-5);
  assert.ok(maxAbsDiff(a.m, b.m) < 1e-6);
  // and the values are λ·h + (1−λ)·h[π] (row 0)
  const hv = h.dataSync();
  for (let j = 0; j < 12; j++) assert.ok(Math.abs(a.m[j] - (0.35 * hv[j] + 0.65 * hv[d.perm[0] * 12 + j])) < 1e-6);
  h.dispose();
  r.dispose();
});

test('label smoothing: q = (1−ε)·onehot + ε/K, applied before mixing (smooth, then mix)', () => {
  const model = tinyModel();
  const { x, labels } = tinyBatch();
  inTidy(() => {
    const { lossFn, steps, y } = stepOf(model, parts({ mixup: { [F]: 0.3 }, 'label-smoothing': { epsilon: 0.2 } }), x, labels);
    const perm = steps[0].info!.perm as Int32Array;
    const q = steps[1].targets!(y).arraySync() as number[][];
    for (let i = 0; i < B; i++) for (let k = 0; k < K; k++) assert.ok(Math.abs(q[i][k] - ((k === labels[i] ? 0.8 : 0) + 0.2 / K)) < 1e-6);
    const xm = tf.add(tf.mul(x, 0.3), tf.mul(tf.gather(x, tf.tensor1d(perm, 'int32')), 0.7));
    const qm = tf.add(tf.mul(tf.tensor2d(q), 0.3), tf.mul(tf.gather(tf.tensor2d(q), tf.tensor1d(perm, 'int32')), 0.7)) as tf.Tensor2D;
    const want = softCrossEntropy(model.forward(xm, { training: true }), qm).dataSync();
    assert.ok(maxAbsDiff(lossFn().perExample.dataSync(), want) < 1e-5);
  });
  model.dispose();
});
