/**
 * The survey's families added in issue 13 (text mixing, timm-mixup, regmixup, resizemix, fmix): limit cases on text,
 * and properties each method must have that a broken variant would not (partner, mask, λ, loss composition). The
 * step-by-step agreement with the PyTorch twin is in test/golden.test.ts.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { useBackend } from './helpers';
import type { Modality, ResolvedModel } from '../src/core/experiment';
import { parseConfig } from '../src/config/load';
import { ConfigError } from '../src/errors';
import { buildModel } from '../src/model/build';
import { oneHot, softCrossEntropy } from '../src/model/ops';
import type { Model } from '../src/model/types';
import { drawFourier, drawTimmMixup, type Box } from '../src/methods/draws';
import { binariseMask, fmixMask, lowFrequencyImage } from '../src/methods/fmix';
import { unionRealTokens } from '../src/methods/mixup';
import { resizeMatrix } from '../src/methods/resizemix';
import type { MethodPart, PartStep } from '../src/methods/types';
import { beginStep, makeStepLoss, plainGradients } from '../src/train/step';
import { trainRun } from '../src/train/loop';
import type { RunSpec } from '../src/core/run';
import type { Dataset } from '../src/data/dataset';
import { resolveTrain } from '../src/config/resolve';
import { methodInfo } from '../src/methods/index';
import { Rng } from '../src/util/rng';
import { assertDirectionalGradient, FORCE_LAMBDA, inTidy, parts, tinyConfig } from './methods-util';

before(async () => {
  await useBackend('cpu');
});

const K = 3;
const VOCAB = 13;
const L = 7;
/** Sentences of different lengths (padding 0 at the end), so that partners' masks differ. */
const LENGTHS = [7, 4, 2, 6, 5, 3];

function textModel(cfg: ResolvedModel = tinyConfig(), seed = 7): Model {
  return buildModel(cfg, { modality: 'text', shape: [L], numClasses: K, vocabSize: VOCAB }, seed);
}

function textBatch(seed = 3): { x: tf.Tensor; ids: Float32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const ids = new Float32Array(LENGTHS.length * L);
  LENGTHS.forEach((n, b) => {
    for (let t = 0; t < n; t++) ids[b * L + t] = 1 + rng.int(VOCAB - 1);
  });
  return { x: tf.tensor(ids, [LENGTHS.length, L]), ids, labels: Int32Array.from(LENGTHS, (_, i) => i % K) };
}

function imageBatch(seed = 3, n = 6, shape = [4, 6, 2]): { x: tf.Tensor; labels: Int32Array } {
  const rng = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n * size).map(() => rng.normal());
  return { x: tf.tensor(data, [n, ...shape]), labels: Int32Array.from({ length: n }, (_, i) => i % K) };
}

function steps(ps: MethodPart[], x: tf.Tensor, modality: Modality, seed = 11): PartStep[] {
  return beginStep(ps, { rng: new Rng(seed), numClasses: K, batchSize: x.shape[0], epoch: 1, step: 0, modality, shape: x.shape.slice(1) });
}

interface StepResult {
  loss: number;
  perExample: Float32Array;
  logits: Float32Array;
  grads: Record<string, Float32Array>;
  info: Record<string, unknown>[];
}

/** Loss, per-example losses, the first forward pass's logits and the gradients of one step. */
function runStep(model: Model, ps: MethodPart[], x: tf.Tensor, labels: Int32Array, modality: Modality, seed = 11): StepResult {
  return inTidy(() => {
    const st = steps(ps, x, modality, seed);
    let logits: Float32Array | undefined;
    const spy: Model = {
      kind: model.kind, variables: model.variables, parameterCount: model.parameterCount, dispose: () => undefined,
      forward: (input, o) => {
        const z = model.forward(input, o);
        logits ??= Float32Array.from(z.dataSync());
        return z;
      },
    };
    const lossFn = makeStepLoss(spy, st, { x, y: oneHot(labels, K) }, () => 1);
    const first = lossFn();
    const gp = ps.find((p) => p.gradient)?.gradient;
    const { grads } = gp ? gp.gradients(lossFn, model.variables) : plainGradients(lossFn, model.variables);
    const g: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(grads)) g[k] = Float32Array.from(v.dataSync());
    return {
      loss: first.loss.dataSync()[0], perExample: Float32Array.from(first.perExample.dataSync()), logits: logits!, grads: g,
      info: st.map((s) => s.info ?? {}),
    };
  });
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string, floor = 1e-3): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let scale = floor;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * scale, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Text mixing.

test('text limit cases are the baseline bit for bit: mixup (word, sentence), gmix, bgmix, dgmix, regmixup (mean and CLS pooling)', () => {
  const limits: Record<string, Record<string, unknown>>[] = [
    { mixup: { alpha: 0 } }, { mixup: { alpha: 0, text: 'sentence' } }, { gmix: { alpha: 0, rho: 0 } },
    { regmixup: { eta: 0 } }, { regmixup: { eta: 0, text: 'sentence' } }, { mixup: { [FORCE_LAMBDA]: 1 } }, { regmixup: { eta: 0, alpha: 1 } },
  ];
  // BG-/DG-Mix compute their second gradient from the paired 2B-row pass: with nothing mixed its value is the
  // baseline's, but the weight gradients sum over twice the rows (half of them zero), which can change the float
  // summation order (here on text, where B·T exceeds the cpu matmul's block). Equal to float32 round-off.
  const nearLimits: Record<string, Record<string, unknown>>[] = [{ bgmix: { alpha: 0, rho: 0 } }, { dgmix: { alpha: 0, rho: 0 } }];
  for (const pool of ['mean', 'cls'] as const) {
    const cfg = tinyConfig({ pool });
    const model = textModel(cfg);
    const { x, labels } = textBatch();
    const want = runStep(model, parts({ baseline: {} }, cfg), x, labels, 'text');
    for (const spec of limits) {
      const got = runStep(model, parts(spec, cfg), x, labels, 'text');
      const what = `${JSON.stringify(spec)} ${pool}`;
      assert.equal(got.loss, want.loss, `${what}: loss`);
      for (const k of Object.keys(want.grads)) assert.deepEqual(got.grads[k], want.grads[k], `${what}: gradient of ${k}`);
    }
    for (const spec of nearLimits) {
      const got = runStep(model, parts(spec, cfg), x, labels, 'text');
      assert.equal(got.loss, want.loss, `${JSON.stringify(spec)}: loss`);
      for (const k of Object.keys(want.grads)) close(got.grads[k], want.grads[k], 1e-6, `${JSON.stringify(spec)} ${pool}: gradient of ${k}`, 1);
    }
    // Not vacuous: the defaults change the step.
    for (const m of ['mixup', 'gmix', 'bgmix', 'dgmix', 'regmixup']) {
      assert.notEqual(runStep(model, parts({ [m]: {} }, cfg), x, labels, 'text').loss, want.loss, `${m} on text with its defaults`);
    }
    model.dispose();
  }
});

test('senMixup mixes the classifier input, so its logits are λ·z + (1−λ)·z[π] of the plain logits', () => {
  const model = textModel();
  const { x, labels } = textBatch();
  const plain = runStep(model, parts({ baseline: {} }), x, labels, 'text').logits;
  const got = runStep(model, parts({ mixup: { text: 'sentence', [FORCE_LAMBDA]: 0.3 } }), x, labels, 'text');
  const perm = got.info[0].perm as Int32Array;
  assert.ok(perm.some((p, i) => p !== i), 'the draw pairs some rows with others');
  const want = new Float32Array(plain.length);
  for (let i = 0; i < 6; i++) for (let k = 0; k < K; k++) want[i * K + k] = 0.3 * plain[i * K + k] + 0.7 * plain[perm[i] * K + k];
  close(got.logits, want, 1e-5, 'senMixup logits');
  model.dispose();
});

test('wordMixup: embeddings mixed position by position, attention and pooling over the union of both sentences\' real tokens', () => {
  const lambda = 0.35;
  for (const pool of ['mean', 'cls'] as const) {
    const cfg = tinyConfig({ pool });
    const model = textModel(cfg);
    const { x, ids, labels } = textBatch();
    const got = runStep(model, parts({ mixup: { [FORCE_LAMBDA]: lambda } }, cfg), x, labels, 'text');
    const perm = got.info[0].perm as Int32Array;
    // The expected forward, written out: a gather for the partner, the union mask by a loop over the ids.
    const want = inTidy(() => Float32Array.from(model.forward(x, {
      training: true,
      hooks: {
        hidden: (site, h) => (site.kind === 'embed' ? tf.add(tf.mul(h, lambda), tf.mul(tf.gather(h, tf.tensor1d(perm, 'int32')), 1 - lambda)) : h),
        realTokens: (real) => real.map((_, j) => (ids[j] !== 0 || ids[perm[Math.floor(j / L)] * L + (j % L)] !== 0 ? 1 : 0)),
      },
    }).dataSync()));
    close(got.logits, want, 1e-5, `wordMixup logits (${pool})`);
    // With each row's own mask instead of the union, the rows whose partner is longer differ.
    const ownMask = inTidy(() => Float32Array.from(model.forward(x, {
      training: true,
      hooks: { hidden: (site, h) => (site.kind === 'embed' ? tf.add(tf.mul(h, lambda), tf.mul(tf.gather(h, tf.tensor1d(perm, 'int32')), 1 - lambda)) : h) },
    }).dataSync()));
    const longerPartner = LENGTHS.map((n, i) => LENGTHS[perm[i]] > n);
    assert.ok(longerPartner.some(Boolean), 'some partner is longer');
    longerPartner.forEach((longer, i) => {
      const d = Math.max(...[0, 1, 2].map((k) => Math.abs(ownMask[i * K + k] - got.logits[i * K + k])));
      assert.equal(d > 1e-6, longer, `row ${i} (partner ${perm[i]} ${longer ? 'longer' : 'not longer'}): own-mask difference ${d}`);
    });
    model.dispose();
  }
});

test('unionRealTokens: the union for the mixed rows of a range, other rows untouched', () => {
  const real = Uint8Array.from([1, 1, 0, 0, /**/ 1, 0, 0, 0, /**/ 1, 1, 1, 0, /**/ 1, 0, 0, 0]);
  const d = { lambda: 0.5, perm: Int32Array.from([1, 0]) };
  assert.deepEqual(Array.from(unionRealTokens(real, 4, d, 0)), [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(unionRealTokens(real, 4, d, 2)), [1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0]);
});

test('wordMixup gradients agree with central finite differences (the table rows of padding train under the union mask)', () => {
  const model = textModel();
  const { x, labels } = textBatch();
  const ps = parts({ mixup: { [FORCE_LAMBDA]: 0.4 } });
  const loss = () => {
    const st = steps(ps, x, 'text');
    return makeStepLoss(model, st, { x, y: oneHot(labels, K) }, () => 1)().loss;
  };
  assertDirectionalGradient(model, loss, 'wordMixup');
  // The padding token's table row is used by the mixed rows whose partner is longer: its gradient is non-zero.
  const table = model.variables.find((v) => v.name.endsWith('tokens/table'))!;
  const g = runStep(model, ps, x, labels, 'text').grads[table.name];
  assert.ok(g.slice(0, 8).some((v) => v !== 0), 'row 0 (padding) has a gradient under wordMixup');
  assert.ok(runStep(model, parts({ baseline: {} }), x, labels, 'text').grads[table.name].slice(0, 8).every((v) => v === 0), 'and none under the baseline');
  model.dispose();
});

test('text BG-/DG-Mix: the paired 2B pass mixes only its first half (= the mixed pass), its second half is the plain batch', () => {
  const model = textModel();
  const { x, labels } = textBatch();
  for (const level of ['word', 'sentence'] as const) {
    const ps = parts({ mixup: { text: level, [FORCE_LAMBDA]: 0.3 } });
    const r = inTidy(() => {
      const st = steps(ps, x, 'text');
      const lossFn = makeStepLoss(model, st, { x, y: oneHot(labels, K) }, () => 1);
      const pair = lossFn.pair();
      return { single: Float32Array.from(lossFn().perExample.dataSync()), mixed: Float32Array.from(pair.mixed.dataSync()), plain: Float32Array.from(pair.plain.dataSync()) };
    });
    close(r.mixed, r.single, 1e-5, `${level}: paired mixed half`);
    close(r.plain, runStep(model, parts({ baseline: {} }), x, labels, 'text').perExample, 1e-5, `${level}: paired plain half`);
  }
  // And bgmix trains through it on text.
  assert.ok(Number.isFinite(runStep(model, parts({ bgmix: {} }), x, labels, 'text').loss));
  model.dispose();
});

// ---------------------------------------------------------------------------------------------------------------
// RegMixup.

test('regmixup: loss = (CE(clean) + η·CE(mixup))/(1 + η), from the baseline and mixup with the same λ and π (image, tabular, text word/sentence)', () => {
  const cases: { modality: Modality; text?: string }[] = [{ modality: 'image' }, { modality: 'tabular' }, { modality: 'text' }, { modality: 'text', text: 'sentence' }];
  for (const c of cases) {
    const model = c.modality === 'text' ? textModel() : buildModel(tinyConfig(), { modality: c.modality, shape: c.modality === 'image' ? [4, 6, 2] : [5], numClasses: K }, 7);
    const { x, labels } = c.modality === 'text' ? textBatch() : imageBatch(3, 6, c.modality === 'image' ? [4, 6, 2] : [5]);
    const textOpt = c.text ? { text: c.text } : {};
    const clean = runStep(model, parts({ baseline: {} }), x, labels, c.modality).loss;
    for (const eta of [1, 0.5]) {
      const reg = runStep(model, parts({ regmixup: { alpha: 20, eta, ...textOpt } }), x, labels, c.modality, 21);
      const mix = runStep(model, parts({ mixup: { alpha: 20, ...textOpt } }), x, labels, c.modality, 21);
      assert.deepEqual(reg.info[0].perm, mix.info[0].perm);
      assert.equal(reg.perExample.length, 12, 'the batch is doubled');
      const want = (clean + eta * mix.loss) / (1 + eta);
      assert.ok(Math.abs(reg.loss - want) < 1e-5 * Math.abs(want), `${c.modality}${c.text ?? ''} η ${eta}: ${reg.loss} vs ${want}`);
      close(reg.perExample.slice(6), mix.perExample, 1e-5, `${c.modality} mixed half`);
    }
    model.dispose();
  }
});

// ---------------------------------------------------------------------------------------------------------------
// timm-mixup.

test('timm-mixup: the partner of row i is row B−1−i (batch mode; λ = 0 gives the flipped batch)', () => {
  const model = buildModel(tinyConfig(), { modality: 'image', shape: [4, 6, 2], numClasses: K }, 7);
  const { x, labels } = imageBatch();
  const base = runStep(model, parts({ baseline: {} }), x, labels, 'image');
  const flipped = runStep(model, parts({ 'timm-mixup': { labelSmoothing: 0, [FORCE_LAMBDA]: 0 } }), x, labels, 'image');
  close(flipped.perExample, Array.from(base.perExample).reverse(), 1e-6, 'per-example losses of the flipped batch');
  model.dispose();
});

test('timm-mixup: CutMix pastes the box of row B−1−i and weighs the targets by the unpasted area; targets smoothed, then mixed', () => {
  const model = buildModel(tinyConfig(), { modality: 'image', shape: [4, 6, 2], numClasses: K }, 7);
  const { x, labels } = imageBatch();
  const xs = x.dataSync();
  const eps = 0.1;
  let seen = 0;
  for (let seed = 1; seen < 3 && seed < 40; seed++) {
    const ps = parts({ 'timm-mixup': { mixupAlpha: 0, cutmixAlpha: 1, labelSmoothing: eps } });
    const r = inTidy(() => {
      const st = steps(ps, x, 'image', seed);
      const out = st[0].batch!(x, st[0].targets!(oneHot(labels, K)));
      return { info: st[0].info!, x: Float32Array.from(out.x.dataSync()), y: Float32Array.from(out.y.dataSync()) };
    });
    const box = (r.info.box as (Box | null)[])[0];
    const lam = (r.info.lambda as number[])[0];
    if (!box || lam === 1) continue;
    seen++;
    assert.equal(lam, 1 - ((box.y2 - box.y1) * (box.x2 - box.x1)) / 24, 'λ = 1 − pasted area');
    for (let i = 0; i < 6; i++) {
      for (let yy = 0; yy < 4; yy++) for (let xx = 0; xx < 6; xx++) for (let c = 0; c < 2; c++) {
        const inBox: boolean = yy >= box.y1 && yy < box.y2 && xx >= box.x1 && xx < box.x2;
        const src: number = inBox ? 5 - i : i;
        assert.equal(r.x[((i * 4 + yy) * 6 + xx) * 2 + c], xs[((src * 4 + yy) * 6 + xx) * 2 + c]);
      }
      for (let k = 0; k < K; k++) {
        const s = (j: number) => (labels[j] === k ? 1 - eps + eps / K : eps / K);
        assert.ok(Math.abs(r.y[i * K + k] - (lam * s(i) + (1 - lam) * s(5 - i))) < 1e-6, `target ${i},${k}`);
      }
    }
  }
  assert.equal(seen, 3, 'three seeds with a box');
  model.dispose();
});

test('timm-mixup draws: elem and pair modes per row and per pair; prob gates; minmax boxes are never clipped', () => {
  const rng = new Rng(5);
  const s = { mixupAlpha: 0.8, cutmixAlpha: 1, prob: 1, switchProb: 0.5, correctLam: true };
  const pair = drawTimmMixup(rng, { ...s, mode: 'pair' }, 8, 8, 8);
  for (let i = 0; i < 4; i++) {
    assert.equal(pair.lambda[i], pair.lambda[7 - i], `pair ${i}`);
    assert.deepEqual(pair.box[i], pair.box[7 - i]);
  }
  const elem = drawTimmMixup(new Rng(6), { ...s, mode: 'elem' }, 8, 8, 8);
  // B switches, B cutmix Betas, B mixup Betas, B apply flags, then the boxes of the cut rows.
  assert.deepEqual(elem.raw.slice(0, 32).map((r) => r.op), [...Array(8).fill('rand'), ...Array(16).fill('beta'), ...Array(8).fill('rand')]);
  assert.equal(elem.raw.length, 32 + 2 * elem.box.filter(Boolean).length);
  assert.ok(new Set(elem.lambda).size > 2, 'rows have their own λ');
  const none = drawTimmMixup(new Rng(7), { ...s, prob: 0, mode: 'batch' }, 8, 8, 8);
  assert.ok(!none.mixed && none.raw.length === 1, 'prob 0: one apply flag, nothing mixed');
  // A forced λ (tests) replaces a drawn λ only: a batch, row or pair the prob roll left unmixed stays unmixed.
  for (const mode of ['batch', 'pair', 'elem'] as const) {
    assert.ok(!drawTimmMixup(new Rng(7), { ...s, prob: 0, mode }, 8, 8, 8, 0.3).mixed, `prob 0, forced λ, mode ${mode}`);
    const forced = drawTimmMixup(new Rng(7), { ...s, cutmixAlpha: 0, prob: 1, mode }, 8, 8, 8, 0.3).lambda;
    assert.deepEqual(forced, new Array(8).fill(mode === 'batch' ? 0.3 : Math.fround(0.3)), `prob 1, forced λ, mode ${mode}`);
  }
  for (let seed = 0; seed < 50; seed++) {
    const mm = drawTimmMixup(new Rng(seed), { ...s, mode: 'batch', mixupAlpha: 0, cutmixMinmax: [0.2, 0.8] }, 4, 10, 10);
    const b = mm.box[0]!;
    assert.ok(b.y2 - b.y1 >= 2 && b.y2 - b.y1 < 8 && b.y2 <= 10 && b.x2 <= 10, JSON.stringify(b));
  }
});

test('timm-mixup needs an even batch and one active op; config errors name the fix', () => {
  const model = buildModel(tinyConfig(), { modality: 'image', shape: [4, 6, 2], numClasses: K }, 7);
  const { x, labels } = imageBatch(3, 5);
  assert.throws(() => runStep(model, parts({ 'timm-mixup': {} }), x, labels, 'image'), /even batch.*B−1−i/);
  model.dispose();
  const base = 'name: t\ndatasets: [digits]\nmethods:\n';
  const message = (text: string) => {
    try {
      parseConfig(text, 'c.yaml');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
    return '';
  };
  assert.match(message(`${base}  - timm-mixup: {mixupAlpha: 0}\n`), /one of mixupAlpha > 0, cutmixAlpha > 0 or cutmixMinmax/);
  assert.equal(message(`${base}  - timm-mixup: {mixupAlpha: 0, prob: 0}\n`), '');
  // Modes elem and pair draw λ per row before the prob roll: with nothing active that draw would be Beta(0).
  for (const mode of ['elem', 'pair']) {
    assert.match(message(`${base}  - timm-mixup: {mixupAlpha: 0, prob: 0, mode: ${mode}}\n`), /one of mixupAlpha > 0, cutmixAlpha > 0 or cutmixMinmax must be set \(timm asserts it\)$/m);
  }
  assert.match(message(`${base}  - {method: timm-mixup, label-smoothing: {}}\n`), /cannot combine timm-mixup with label-smoothing: both are target methods/);
  assert.match(message('name: t\ndatasets: [spam-subjects]\nmethods: [fmix]\n'), /fmix cannot act on text data.*use mixup \(on text wordMixup/);
});

// ---------------------------------------------------------------------------------------------------------------
// FMix.

/** The inverse DFT written as one double sum over the Hermitian completion of the half spectrum (numpy's irfftn). */
function naiveIrfft2(re: number[][], im: number[][], H: number, W: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let ky = 0; ky < H; ky++) {
        for (let kx = 0; kx < W; kx++) {
          let a: number;
          let b: number;
          if (kx <= Math.floor(W / 2)) {
            a = re[ky][kx];
            b = im[ky][kx];
          } else {
            a = re[(H - ky) % H][W - kx];
            b = -im[(H - ky) % H][W - kx];
          }
          const t = 2 * Math.PI * (ky * y / H + kx * x / W);
          s += a * Math.cos(t) - b * Math.sin(t);
        }
      }
      out.push(s / (H * W));
    }
  }
  return out;
}

test('fmix: the low-frequency image is the inverse real FFT of the 1/f^δ spectrum (against a direct double sum)', () => {
  for (const [H, W] of [[8, 8], [4, 6], [5, 7]]) {
    const d = drawFourier(new Rng(H * 10 + W), 1, 4, H, W);
    const g = lowFrequencyImage(d, H, W, 3);
    const re: number[][] = [];
    const im: number[][] = [];
    for (let ky = 0; ky < H; ky++) {
      re.push([]);
      im.push([]);
      for (let kx = 0; kx <= Math.floor(W / 2); kx++) {
        const f = (k: number, n: number) => (k < Math.ceil(n / 2) ? k : k - n) / n;
        const scale = 1 / Math.max(Math.hypot(f(ky, H), f(kx, W)), 1 / Math.max(H, W)) ** 3;
        re[ky].push(scale * d.noise[(ky * d.columns + kx) * 2]);
        im[ky].push(scale * d.noise[(ky * d.columns + kx) * 2 + 1]);
      }
    }
    const want = naiveIrfft2(re, im, H, W);
    // With a non-Hermitian DC column the double sum has an imaginary part; numpy keeps the real part, as here.
    want.forEach((v, i) => assert.ok(Math.abs(g[i] - v) < 1e-9 * Math.max(1, Math.abs(v)), `${H}×${W} pixel ${i}: ${g[i]} vs ${v}`));
  }
});

test('fmix: the mask keeps ⌈λN⌉ or ⌊λN⌋ of the highest pixels, λ of the targets is its mean; the ramp of maxSoft', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const d = drawFourier(new Rng(seed), 1, 4, 8, 8);
    const { mask, lambda } = fmixMask(d, 8, 8, 3, 0);
    const n = mask.reduce((a, b) => a + b, 0);
    assert.ok(mask.every((v) => v === 0 || v === 1));
    assert.equal(n, d.coin > 0.5 ? Math.ceil(d.drawnLambda * 64) : Math.floor(d.drawnLambda * 64));
    assert.equal(lambda, n / 64);
    const g = lowFrequencyImage(d, 8, 8, 3);
    const kept = Array.from(g).filter((_, i) => mask[i] === 1);
    const dropped = Array.from(g).filter((_, i) => mask[i] === 0);
    if (kept.length && dropped.length) assert.ok(Math.min(...kept) > Math.max(...dropped), 'the kept pixels are the highest');
  }
  const soft = binariseMask(Float64Array.from({ length: 10 }, (_, i) => 10 - i), 0.5, 1, 0.2);
  // λN = 5, soft = ⌊10·0.2⌋ = 2: ranks 0..2 are 1, ranks 3..6 the ramp linspace(1, 0, 4), ranks 7..9 are 0.
  assert.deepEqual(Array.from(soft), [1, 1, 1, 1, 2 / 3, 1 / 3, 0, 0, 0, 0].map(Math.fround));
});

test('fmix: pixels come from x where the mask is 1 and from x[π] where it is 0; α = 0 is an all-ones mask', () => {
  const { x, labels } = imageBatch(4, 6, [8, 8, 1]);
  const xs = x.dataSync();
  const ps = parts({ fmix: {} });
  const r = inTidy(() => {
    const st = steps(ps, x, 'image', 13);
    const out = st[0].batch!(x, oneHot(labels, K));
    return { info: st[0].info!, x: Float32Array.from(out.x.dataSync()) };
  });
  const d = drawFourier(new Rng(13), 1, 6, 8, 8);
  const { mask } = fmixMask(d, 8, 8, 3, 0);
  const perm = r.info.perm as Int32Array;
  assert.ok(mask.some((v) => v === 0) && mask.some((v) => v === 1), 'a mixed mask');
  for (let i = 0; i < 6; i++) for (let p = 0; p < 64; p++) assert.equal(r.x[i * 64 + p], xs[(mask[p] ? i : perm[i]) * 64 + p]);
  const d0 = drawFourier(new Rng(13), 0, 6, 8, 8);
  assert.ok(fmixMask(d0, 8, 8, 3, 0).mask.every((v) => v === 1));
});

// ---------------------------------------------------------------------------------------------------------------
// ResizeMix.

test('resizemix: interpolation matrices follow PyTorch (legacy nearest: ⌊o·n/out⌋ in float32; bilinear with half-pixel centres)', () => {
  const rows = (m: Float32Array, n: number) => Array.from({ length: n }, (_, r) => Array.from(m.slice(r * n, (r + 1) * n)));
  // 8 → 3 pasted at rows 2..4: sources ⌊0·8/3⌋, ⌊1·8/3⌋, ⌊2·8/3⌋ = 0, 2, 5.
  const near = rows(resizeMatrix(8, 2, 5, 'nearest'), 8);
  assert.deepEqual(near.map((r) => r.indexOf(1)), [-1, -1, 0, 2, 5, -1, -1, -1]);
  // 6 → 4, bilinear: source (o + ½)·1.5 − ½ = 0.25, 1.75, 3.25, 4.75.
  const bil = rows(resizeMatrix(6, 1, 5, 'bilinear'), 6);
  assert.deepEqual(bil[1].map((v) => +v.toFixed(6)), [0.75, 0.25, 0, 0, 0, 0]);
  assert.deepEqual(bil[2].map((v) => +v.toFixed(6)), [0, 0.25, 0.75, 0, 0, 0]);
  assert.deepEqual(bil[4].map((v) => +v.toFixed(6)), [0, 0, 0, 0, 0.25, 0.75]);
  // Every row of the span sums to 1 (a resize of a constant image is constant).
  for (const mode of ['nearest', 'bilinear'] as const) {
    const m = rows(resizeMatrix(7, 0, 3, mode), 7);
    for (let r = 0; r < 3; r++) assert.ok(Math.abs(m[r].reduce((a, b) => a + b, 0) - 1) < 1e-6);
  }
});

test('resizemix: the box holds x[π] resized, the rest is x; λ = 1 − box area; empty thumbnails paste nothing', () => {
  const { x, labels } = imageBatch(5, 6, [8, 8, 1]);
  const xs = x.dataSync();
  for (const variant of ['openmixup', 'mmpretrain'] as const) {
    let seen = 0;
    for (let seed = 1; seed < 30 && seen < 2; seed++) {
      const r = inTidy(() => {
        const st = steps(parts({ resizemix: { variant } }), x, 'image', seed);
        const out = st[0].batch!(x, oneHot(labels, K));
        return { info: st[0].info!, x: Float32Array.from(out.x.dataSync()), y: Float32Array.from(out.y.dataSync()) };
      });
      const box = r.info.box as Box;
      const lam = r.info.lambda as number;
      const area = (box.y2 - box.y1) * (box.x2 - box.x1);
      assert.equal(lam, 1 - area / 64);
      if (area === 0) {
        assert.deepEqual(r.x, Float32Array.from(xs), 'an empty box leaves the batch');
        continue;
      }
      seen++;
      const mode = variant === 'openmixup' ? 'nearest' : 'bilinear';
      const ry = resizeMatrix(8, box.y1, box.y2, mode);
      const rx = resizeMatrix(8, box.x1, box.x2, mode);
      const perm = r.info.perm as Int32Array;
      for (let i = 0; i < 6; i++) for (let yy = 0; yy < 8; yy++) for (let xx = 0; xx < 8; xx++) {
        const inBox = yy >= box.y1 && yy < box.y2 && xx >= box.x1 && xx < box.x2;
        let want = xs[i * 64 + yy * 8 + xx];
        if (inBox) {
          want = 0;
          for (let a = 0; a < 8; a++) for (let b = 0; b < 8; b++) want += ry[yy * 8 + a] * rx[xx * 8 + b] * xs[perm[i] * 64 + a * 8 + b];
        }
        assert.ok(Math.abs(r.x[i * 64 + yy * 8 + xx] - want) < 1e-5, `${variant} row ${i} (${yy}, ${xx})`);
      }
    }
    assert.equal(seen, 2, `${variant}: two seeds with a box`);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// In the training loop.

function textDataset(n: number): Dataset {
  const rng = new Rng(2);
  const make = (m: number) => {
    const y = Int32Array.from({ length: m }, (_, i) => i % 2);
    const x = new Float32Array(m * L);
    for (let i = 0; i < m; i++) {
      const len = 2 + rng.int(L - 1);
      for (let t = 0; t < len; t++) x[i * L + t] = 2 + rng.int(5) + 5 * y[i];
    }
    return { x, y, n: m };
  };
  return { name: 'syn-text', modality: 'text', numClasses: 2, shape: [L], vocabSize: VOCAB, train: make(n), test: make(12) };
}

test('text methods train in the loop without tensor growth (mixup word/sentence, gmix, bgmix, dgmix, regmixup, with a CLS model)', async () => {
  const ds = textDataset(24);
  const specs: Record<string, Record<string, unknown>>[] = [
    { mixup: {} }, { mixup: { text: 'sentence' } }, { gmix: {} }, { bgmix: {} }, { dgmix: {} }, { regmixup: {} }, { regmixup: { text: 'sentence' } },
    { mixup: {}, sam: {}, neutreno: {} },
  ];
  for (const p of specs) {
    for (const pool of ['mean', 'cls'] as const) {
      const spec: RunSpec = {
        id: 'x', experiment: 'x', dataset: { name: 'syn-text' }, noise: { label: 'none' }, seed: 1, initSeed: 5, methodSeed: 9, splitSeed: 1,
        method: { name: 'm', parts: Object.entries(p).map(([m, o]) => ({ method: m, options: methodInfo(m)!.options.parse(o) })) },
        model: tinyConfig({ pool }),
        train: resolveTrain({ epochs: 3, batchSize: 8, warmupEpochs: 0, evalBatchSize: 16 }),
      };
      const before0 = tf.memory().numTensors;
      const out = await trainRun(spec, ds);
      const counts = out.curve.map((r) => r.numTensors);
      assert.ok(out.curve.every((r) => Number.isFinite(r.trainLoss)), JSON.stringify(p));
      assert.equal(counts[2], counts[0], `${JSON.stringify(p)} ${pool}: ${counts}`);
      assert.equal(tf.memory().numTensors, before0, `${JSON.stringify(p)}: everything disposed`);
    }
  }
});

test('softCrossEntropy is linear in the target (the basis of every mixed-target loss here)', () => {
  inTidy(() => {
    const z = tf.tensor2d([[0.3, -1, 2], [1, 0, -0.5]]);
    const a = tf.tensor2d([[1, 0, 0], [0, 0, 1]]);
    const b = tf.tensor2d([[0, 1, 0], [0, 1, 0]]);
    const mixed = softCrossEntropy(z, tf.add(tf.mul(a, 0.3), tf.mul(b, 0.7)) as tf.Tensor2D).dataSync();
    const pair = tf.add(tf.mul(softCrossEntropy(z, a), 0.3), tf.mul(softCrossEntropy(z, b), 0.7)).dataSync();
    close(mixed, pair, 1e-6, 'CE linear in the target');
  });
});
