/** The saliency- and attention-based methods: fine-grained saliency, saliencymix's box, transmix's targets. cpu backend. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { useBackend } from './helpers';
import { methodInfo } from '../src/methods/index';
import { argmax2d, fineGrainedSaliency, gaussianBlur3, saliencyPeak, toUint8Image } from '../src/methods/saliency';
import { patchMask } from '../src/methods/transmix';
import { softCrossEntropy } from '../src/model/ops';
import type { AttentionArgs } from '../src/model/types';
import { Rng } from '../src/util/rng';
import { FORCE_LAMBDA, inTidy, maxAbsDiff, parts, stepOf, tinyConfig, tinyModel } from './methods-util';

before(async () => {
  await useBackend('cpu');
});

test('fine-grained saliency: OpenCV\'s 3×3 blur rounding and borders, a constant image gives zeros, argmax is the first maximum', () => {
  const impulse = new Uint8Array(25);
  impulse[12] = 255;
  const b = gaussianBlur3(impulse, 5, 5);
  // [1,2,1]⊗[1,2,1]·255/16, rounded half up: 63.75 → 64, 31.875 → 32, 15.9375 → 16.
  assert.deepEqual([b[12], b[7], b[11], b[6], b[0]], [64, 32, 32, 16, 0]);
  const corner = new Uint8Array(16);
  corner[0] = 255;
  const c = gaussianBlur3(corner, 4, 4);
  // reflect-101: the corner's mirrored neighbours are inside the image, so the corner keeps the centre weight only.
  assert.deepEqual([c[0], c[1], c[4], c[5]], [64, 32, 32, 16]);
  assert.deepEqual(Array.from(fineGrainedSaliency(new Uint8Array(64).fill(77), 8, 8)), new Array(64).fill(0));
  assert.deepEqual(argmax2d(Uint8Array.from([1, 5, 3, 5, 0, 5]), 3), { row: 0, col: 1 });
  // The 8-bit image is min–max scaled: an affine change of the inputs leaves the map unchanged.
  const rng = new Rng(4);
  const img = new Float32Array(2 * 64).map(() => rng.normal());
  const shifted = img.map((v) => 3 * v - 7);
  assert.deepEqual(Array.from(saliencyPeak(img, 1, [8, 8, 1]).map), Array.from(saliencyPeak(shifted, 1, [8, 8, 1]).map));
  assert.deepEqual(Array.from(toUint8Image(Float32Array.from([2, 4, 3]), 0, 3)), [0, 255, 128]);
});

test('fine-grained saliency: a bright blob on a dark background is salient where the blob is', () => {
  const H = 16;
  const img = new Float32Array(H * H);
  for (let r = 9; r < 13; r++) for (let c = 3; c < 7; c++) img[r * H + c] = 1;
  const { row, col } = saliencyPeak(img, 0, [H, H, 1]);
  assert.ok(row >= 7 && row <= 14 && col >= 1 && col <= 8, `peak (${row}, ${col}) is at the blob`);
});

test('saliencymix: one box for the batch, centred at the saliency peak of x[π[0]], pasted from x[π], λ = unpasted area', () => {
  const n = 6;
  const H = 4;
  const model = tinyModel();
  const rng = new Rng(9);
  const data = new Float32Array(n * H * H).map(() => rng.normal());
  const x = tf.tensor(data, [n, H, H, 1]);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  let mixed = 0;
  for (let seed = 0; seed < 12; seed++) {
    inTidy(() => {
      const { steps, y } = stepOf(model, parts({ saliencymix: { prob: 1 } }), x, labels, seed, 3);
      const info = steps[0].info as { mixed: boolean; lambda: number; drawnLambda: number; perm: Int32Array; box: { y1: number; y2: number; x1: number; x2: number; cy: number; cx: number } };
      assert.ok(info.mixed, 'prob 1 mixes every step');
      const peak = saliencyPeak(data, info.perm[0], [H, H, 1]);
      assert.deepEqual([info.box.cy, info.box.cx], [peak.row, peak.col], 'box centre = peak of x[π[0]]');
      const cut = Math.floor(H * Math.sqrt(1 - info.drawnLambda));
      const clip = (v: number) => Math.min(Math.max(v, 0), H);
      assert.deepEqual([info.box.y1, info.box.y2, info.box.x1, info.box.x2],
        [clip(peak.row - Math.floor(cut / 2)), clip(peak.row + Math.floor(cut / 2)), clip(peak.col - Math.floor(cut / 2)), clip(peak.col + Math.floor(cut / 2))]);
      const out = steps[0].batch!(x, y);
      const xm = out.x.dataSync();
      const ym = out.y.arraySync() as number[][];
      const area = (info.box.y2 - info.box.y1) * (info.box.x2 - info.box.x1);
      assert.equal(info.lambda, 1 - area / (H * H));
      for (let i = 0; i < n; i++) {
        for (let r = 0; r < H; r++) {
          for (let c = 0; c < H; c++) {
            const inBox = r >= info.box.y1 && r < info.box.y2 && c >= info.box.x1 && c < info.box.x2;
            assert.equal(xm[i * H * H + r * H + c], data[(inBox ? info.perm[i] : i) * H * H + r * H + c]);
          }
        }
        const want = new Array(3).fill(0);
        want[labels[i]] += info.lambda;
        want[labels[info.perm[i]]] += 1 - info.lambda;
        assert.ok(maxAbsDiff(ym[i], want) < 1e-6);
      }
      if (area > 0) mixed++;
    });
  }
  assert.ok(mixed > 6, 'most steps paste a non-empty box');
  x.dispose();
  model.dispose();
});

test('saliencymix: prob decides how many steps mix; no host inputs is an error', () => {
  const model = tinyModel();
  const x = tf.zeros([4, 4, 4, 1]);
  let count = 0;
  for (let seed = 0; seed < 200; seed++) {
    inTidy(() => {
      const { steps } = stepOf(model, parts({ saliencymix: {} }), x, Int32Array.from([0, 1, 2, 0]), seed);
      if ((steps[0].info as { mixed: boolean }).mixed) count++;
    });
  }
  assert.ok(count > 70 && count < 130, `default prob 0.5: ${count} of 200 steps mixed`);
  const [part] = parts({ saliencymix: { prob: 1 } });
  assert.throws(() => part.beginStep!({ rng: new Rng(1), numClasses: 3, batchSize: 4, epoch: 1, step: 0, modality: 'image', shape: [4, 4, 1] }), /host inputs/);
  x.dispose();
  model.dispose();
});

test('transmix: refused without a class token, with a message that says what to set', () => {
  const info = methodInfo('transmix')!;
  assert.match(info.checkModel({}, tinyConfig()) ?? '', /needs model: \{type: transformer, pool: cls\} \(set model.pool: cls\)/);
  assert.match(info.checkModel({}, { type: 'mlp', hidden: [8], dropout: 0 }) ?? '', /pool: cls/);
  assert.equal(info.checkModel({}, tinyConfig({ pool: 'cls' })), undefined);
  assert.match(info.checkModel({ mixupAlpha: 0, cutmixAlpha: 0 }, tinyConfig({ pool: 'cls' })) ?? '', /one of mixupAlpha and cutmixAlpha/);
});

test('transmix: patch mask keeps a patch when its top-left pixel is pasted', () => {
  const box = { y1: 1, y2: 4, x1: 2, x2: 6 };
  // 4×6 image, 2×2 patches: top-left pixels rows {0, 2}, columns {0, 2, 4}.
  assert.deepEqual(Array.from(patchMask(box, 4, 6, 2)), [0, 0, 0, 0, 1, 1]);
});

/** The last block's attention [B·H, T, T] of a plain forward of `x` (observed through the attention seam). */
function lastAttention(model: ReturnType<typeof tinyModel>, x: tf.Tensor, depth: number): tf.Tensor3D {
  let probs: tf.Tensor3D | null = null;
  model.forward(x, { training: true, hooks: { attention: (a: AttentionArgs) => { if (a.layer === depth - 1) probs = a.probs; return a.context; } } });
  return probs!;
}

test('transmix: CutMix-step targets are (1−w)·y + w·y[flip], w the mean of the pasted area and the CLS attention on pasted patches; no gradient through them', () => {
  const cfg = tinyConfig({ pool: 'cls', depth: 2, heads: 2 });
  const model = tinyModel(cfg);
  const n = 6;
  const rng = new Rng(2);
  const x = tf.tensor(new Float32Array(n * 16).map(() => rng.normal()), [n, 4, 4, 1]);
  const labels = Int32Array.from([0, 1, 2, 1, 0, 2]);
  let checked = 0;
  for (let seed = 0; seed < 30 && checked < 4; seed++) {
    inTidy(() => {
      for (const share of [0.5, 0, 1]) {
        const ps = parts({ transmix: { mixupAlpha: 0, attentionShare: share, [FORCE_LAMBDA]: 0.6 } }, cfg);
        const { steps, y, lossFn } = stepOf(model, ps, x, labels, seed);
        const info = steps[0].info as { branch: string; lambda: number; perm: Int32Array; box: { y1: number; y2: number; x1: number; x2: number } };
        assert.equal(info.branch, 'cutmix');
        assert.deepEqual(Array.from(info.perm), [5, 4, 3, 2, 1, 0], 'partner = flipped batch');
        const xm = steps[0].batch!(x, y).x;
        const probs = lastAttention(model, xm, cfg.depth).arraySync() as number[][][];
        const grid = patchMask(info.box, 4, 4, 2);
        const want: number[][] = [];
        const wOf: number[] = [];
        for (let i = 0; i < n; i++) {
          let pasted = 0;
          let total = 0;
          for (let t = 0; t < 4; t++) {
            const a = (probs[i * 2][0][1 + t] + probs[i * 2 + 1][0][1 + t]) / 2;
            total += a;
            pasted += grid[t] * a;
          }
          const w = (1 - share) * (1 - info.lambda) + share * (pasted / total);
          wOf.push(w);
          const row = [0, 0, 0];
          row[labels[i]] += 1 - w;
          row[labels[n - 1 - i]] += w;
          want.push(row);
        }
        const logits = model.forward(xm, { training: true });
        const wantLoss = softCrossEntropy(logits, tf.tensor2d(want)).mean().dataSync()[0];
        const got = lossFn();
        assert.ok(Math.abs(got.loss.dataSync()[0] - wantLoss) < 1e-6, `loss with hand-made TransMix targets (share ${share})`);
        if (share === 0.5 && checked === 0) assert.ok(wOf.some((w) => Math.abs(w - (1 - info.lambda)) > 1e-3), 'attention moves the weights off the area');
        // The gradient treats the targets as constants (the official attention is detached).
        const target = tf.tensor2d(want);
        const { grads: gWant } = tf.variableGrads(() => softCrossEntropy(model.forward(xm, { training: true }), target).mean() as tf.Scalar, model.variables);
        const { grads: gGot } = tf.variableGrads(() => lossFn().loss, model.variables);
        for (const v of model.variables) {
          const want = gWant[v.name].dataSync();
          const scale = Math.max(1, ...Array.from(want, Math.abs));
          assert.ok(maxAbsDiff(gGot[v.name].dataSync(), want) < 1e-6 * scale, `gradient of ${v.name}`);
        }
      }
      checked++;
    });
  }
  assert.equal(checked, 4);
  x.dispose();
  model.dispose();
});

test('transmix: mixup steps mix inputs and targets with the flipped batch; prob 0 does nothing', () => {
  const cfg = tinyConfig({ pool: 'cls' });
  const model = tinyModel(cfg);
  const rng = new Rng(5);
  const data = new Float32Array(4 * 16).map(() => rng.normal());
  const x = tf.tensor(data, [4, 4, 4, 1]);
  inTidy(() => {
    const { steps, y } = stepOf(model, parts({ transmix: { cutmixAlpha: 0, [FORCE_LAMBDA]: 0.3 } }, cfg), x, Int32Array.from([0, 1, 2, 0]), 1);
    assert.equal((steps[0].info as { branch: string }).branch, 'mixup');
    const xm = steps[0].batch!(x, y).x.dataSync();
    for (let i = 0; i < 4; i++) for (let p = 0; p < 16; p++) assert.ok(Math.abs(xm[i * 16 + p] - (0.3 * data[i * 16 + p] + 0.7 * data[(3 - i) * 16 + p])) < 1e-6);
    assert.equal(steps[0].targetsAfterForward, undefined);
    const off = stepOf(model, parts({ transmix: { prob: 0 } }, cfg), x, Int32Array.from([0, 1, 2, 0]), 1);
    assert.deepEqual(off.steps[0].info && (off.steps[0].info as { branch: string }).branch, 'none');
    assert.equal(off.steps[0].batch, undefined);
  });
  x.dispose();
  model.dispose();
});

test('transmix: the switch follows switchProb', () => {
  const cfg = tinyConfig({ pool: 'cls' });
  const model = tinyModel(cfg);
  const x = tf.zeros([4, 4, 4, 1]);
  const count = { mixup: 0, cutmix: 0, none: 0 } as Record<string, number>;
  for (let seed = 0; seed < 300; seed++) {
    inTidy(() => {
      const { steps } = stepOf(model, parts({ transmix: { switchProb: 0.8 } }, cfg), x, Int32Array.from([0, 1, 2, 0]), seed);
      count[(steps[0].info as { branch: string }).branch]++;
    });
  }
  assert.equal(count.none, 0);
  assert.ok(count.cutmix > 210 && count.cutmix < 270, `switchProb 0.8: ${count.cutmix} of 300 CutMix steps`);
  x.dispose();
  model.dispose();
});

test('transmix draws what timm-mixup draws in mode batch (Mixup_transmix is timm\'s Mixup): the same raw draws, λ and box per seed, in timm\'s order', () => {
  const cfg = tinyConfig({ pool: 'cls' });
  type TransMixInfo = { branch: 'none' | 'mixup' | 'cutmix'; lambda: number; box?: object; raw: { op: string; a?: number; lo?: number; hi?: number }[] };
  const count = { none: 0, mixup: 0, cutmix: 0 };
  const ctx = (rng: Rng) => ({ rng, numClasses: 3, batchSize: 6, epoch: 1, step: 0, modality: 'image' as const, shape: [4, 6, 1] });
  for (const o of [{}, { prob: 0.7, switchProb: 0.8 }, { mixupAlpha: 0 }, { mixupAlpha: 2, cutmixAlpha: 0 }, { cutmixAlpha: 0.3, switchProb: 0.2 }]) {
    const [transmix] = parts({ transmix: o }, cfg);
    const [timm] = parts({ 'timm-mixup': { mixupAlpha: 0.8, cutmixAlpha: 1, ...o, mode: 'batch', correctLam: true } }, cfg);
    const both = { mixupAlpha: 0.8, cutmixAlpha: 1, ...o };
    for (let seed = 1; seed <= 60; seed++) {
      const r1 = new Rng(seed);
      const r2 = new Rng(seed);
      const a = transmix.beginStep!(ctx(r1)).info as TransMixInfo;
      const b = timm.beginStep!(ctx(r2)).info as { lambda: number[]; box: (object | null)[]; raw: unknown[] };
      assert.deepEqual(a.raw, b.raw, `seed ${seed}, ${JSON.stringify(o)}: raw draws`);
      assert.deepEqual(b.lambda, new Array(6).fill(a.lambda));
      assert.deepEqual(b.box, new Array(6).fill(a.box ?? null));
      assert.equal(r1.uniform(), r2.uniform(), 'the stream is left at the same place');
      count[a.branch]++;
      if (a.branch === 'cutmix') {
        // timm's _params_per_batch, then rand_bbox: the roll, the switch (both alphas > 0), Beta(cutmixAlpha), centre row, column.
        const ops = a.raw.map((d) => (d.op === 'beta' ? `beta(${d.a})` : d.op === 'randint' ? `randint(${d.lo},${d.hi})` : d.op));
        const both0 = both.mixupAlpha > 0 && both.cutmixAlpha > 0;
        assert.deepEqual(ops, ['rand', ...(both0 ? ['rand'] : []), `beta(${both.cutmixAlpha})`, 'randint(0,4)', 'randint(0,6)']);
      }
    }
  }
  assert.ok(count.none > 0 && count.mixup > 0 && count.cutmix > 0, `every branch seen: ${JSON.stringify(count)}`);
});
