/**
 * Golden step checks, reusable on any backend: load the fixtures (test/golden/steps, written by `npm run golden`),
 * run mixbench's step on a fixture's weights, batch and draws, and compare everything the PyTorch twin computed.
 *
 *   await useGoldenBackend('wasm');            // or 'cpu', 'cpu-tensorflow-ops' (the tensorflow backends' formulation)
 *   for (const c of loadGoldenCases()) checkGoldenCase('wasm', c);
 *
 * The caller chooses the backend; checkGoldenCase throws an AssertionError naming every quantity beyond tolerance
 * and returns the deviations it measured.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../src/tf';
import { resolveTrain } from '../src/config/resolve';
import type { RunSpec } from '../src/core/run';
import type { Dataset } from '../src/data/dataset';
import { buildModel } from '../src/model/build';
import { configureOps } from '../src/model/ops';
import type { Model } from '../src/model/types';
import { instantiateMethod } from '../src/methods/registry';
import { measureOversmoothing } from '../src/train/oversmoothing';
import { clipByGlobalNorm, createOptimizer } from '../src/train/optimizers';
import { beginStep, makeStepLoss, networkHooks, plainGradients } from '../src/train/step';
import { oneHot } from '../src/model/ops';
import { Rng } from '../src/util/rng';
import { decodeF32, GOLDEN_FORMAT, GOLDEN_STEPS_DIR, paramName, type GoldenFixture } from './golden/format';

export type GoldenBackend = 'wasm' | 'cpu' | 'cpu-tensorflow-ops' | string;

/**
 * Allowed deviation of each compared array, relative to its scale: max_i |mixbench_i − twin_i| ≤ tol · max(max_i
 * |twin_i|, floor). `values` applies to the loss, per-example losses, logits and over-smoothing cosines; `derivatives`
 * to gradients, SAM's ε̂ and the AdamW and SGD steps, which are compared as updates (w_after − w_before), so the
 * tolerance is relative to the size of the step, not of the weights.
 */
export interface GoldenTolerance {
  values: number;
  derivatives: number;
  floor: number;
}

/**
 * float32 tolerance on wasm and cpu (docs/golden.md). The twin computes in float64; PyTorch itself in float32 deviates
 * from it on these fixtures by up to 8.8e-7 (values) and 1.2e-4 (derivatives), mixbench by up to 7.9e-7 and 1.3e-4.
 */
export const GOLDEN_TOLERANCE: GoldenTolerance = { values: 1e-5, derivatives: 1e-3, floor: 1e-3 };

export interface GoldenCase {
  file: string;
  fixture: GoldenFixture;
}

export function loadGoldenCases(dir = GOLDEN_STEPS_DIR): GoldenCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const fixture = JSON.parse(readFileSync(join(dir, f), 'utf8')) as GoldenFixture;
      assert.equal(fixture.format, GOLDEN_FORMAT, `${f}: not a golden step fixture of format ${GOLDEN_FORMAT}; regenerate with \`npm run golden\``);
      assert.ok(fixture.expected, `${f}: no expected values from the twin; run \`npm run golden\` (needs python3-torch)`);
      return { file: f, fixture };
    });
}

/** Select a backend and the op formulations it uses in training. */
export async function useGoldenBackend(backend: GoldenBackend): Promise<void> {
  const name = backend === 'cpu-tensorflow-ops' ? 'cpu' : backend;
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  assert.ok(await tf.setBackend(name), `backend ${name} loads`);
  await tf.ready();
  // 'cpu-tensorflow-ops': the cpu backend with the plain-op formulations of the tensorflow backends (batched
  // attention, autodiff dense/LayerNorm/GELU, gather embedding gradient).
  configureOps(backend === 'cpu-tensorflow-ops' ? 'tensorflow' : name);
}

/** What mixbench computed for one fixture. */
export interface MixbenchStep {
  draws: Record<string, unknown>[];
  loss: number;
  perExample: Float32Array;
  logits: Float32Array;
  grads: Record<string, Float32Array>;
  /** SAM family: the weight offset of the second forward pass (ε̂ as actually applied). */
  eps?: Record<string, Float32Array>;
  /** Whether every weight was back to w, bit for bit, after the gradient was computed. */
  restored: boolean;
  adamw: Record<string, Float32Array>;
  sgd: Record<string, Float32Array>;
  oversmoothing: number[] | null;
}

function plain(info: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info ?? {})) out[k] = ArrayBuffer.isView(v) ? Array.from(v as Int32Array) : v;
  return out;
}

function readAll(vars: tf.Variable[]): Float32Array[] {
  return vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
}

function assignAll(vars: tf.Variable[], values: Float32Array[]): void {
  vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(values[i], v.shape))));
}

/** Runs mixbench's step on the fixture's weights, batch and method seed on the current backend. */
export function runMixbenchStep(f: GoldenFixture): MixbenchStep {
  const ds = { modality: f.data.modality, shape: f.data.shape, numClasses: f.data.numClasses, vocabSize: f.data.vocabSize ?? undefined };
  const model = buildModel(f.model, ds, f.seeds.init);
  try {
    const names = model.variables.map((v) => paramName(v.name));
    assert.deepEqual(names, f.params.map((p) => p.name), `${f.case}: mixbench's parameters (names, order) differ from the fixture's`);
    model.variables.forEach((v, i) => assert.deepEqual(v.shape, f.params[i].shape, `${f.case}: shape of ${names[i]}`));
    const w0 = f.params.map((p) => decodeF32(p.data));
    assignAll(model.variables, w0);

    const parts = instantiateMethod({ name: f.case, parts: f.method }, f.model);
    const steps = beginStep(parts, {
      rng: new Rng(f.seeds.method), numClasses: f.data.numClasses, batchSize: f.batch.shape[0], epoch: 1, step: 0,
      modality: f.data.modality, shape: f.data.shape,
    });
    const draws = steps.map((s, i) => ({ part: f.method[i].method, ...plain(s.info) }));
    const x = decodeF32(f.batch.x);
    const labels = Int32Array.from(f.batch.labels);

    // A view of the model that records every forward pass: its logits and the weights it ran at.
    const passes: { logits: Float32Array; weights: Float32Array[] }[] = [];
    const spy: Model = {
      kind: model.kind,
      variables: model.variables,
      parameterCount: model.parameterCount,
      dispose: () => undefined,
      forward: (input, opts) => {
        const logits = model.forward(input, opts);
        passes.push({ logits: Float32Array.from(logits.dataSync() as Float32Array), weights: readAll(model.variables) });
        return logits;
      },
    };
    const gradientPart = parts.find((p) => p.gradient)?.gradient;
    let result: Omit<MixbenchStep, 'draws' | 'oversmoothing'> | undefined;
    tf.tidy(() => {
      const batch = { x: tf.tensor(x, f.batch.shape), y: oneHot(labels, f.data.numClasses) };
      const lossFn = makeStepLoss(spy, steps, batch, () => 1);
      const first = lossFn();
      const logits = passes[0].logits;
      passes.length = 0;
      const { grads } = gradientPart ? gradientPart.gradients(lossFn, model.variables) : plainGradients(lossFn, model.variables);
      const host: Record<string, Float32Array> = {};
      for (const v of model.variables) host[paramName(v.name)] = Float32Array.from(grads[v.name].dataSync() as Float32Array);
      let eps: Record<string, Float32Array> | undefined;
      if (gradientPart) {
        assert.ok(passes.length >= 2, `${f.case}: a two-pass method ran ${passes.length} forward pass(es)`);
        eps = {};
        passes[1].weights.forEach((w, i) => (eps![names[i]] = w.map((wi, j) => wi - w0[i][j])));
      }
      const now = readAll(model.variables);
      const restored = now.every((w, i) => w.every((wi, j) => Object.is(wi, w0[i][j])));
      const after = (kind: 'adamw' | 'sgd'): Record<string, Float32Array> => {
        const s = f.train[kind];
        const cfg = resolveTrain({ optimizer: kind, ...s, gradClip: s.gradClip ?? undefined });
        const opt = createOptimizer(cfg, model.variables);
        // As the training loop does: clip the global norm of the final gradient, then step.
        opt.apply(cfg.gradClip ? clipByGlobalNorm(grads, cfg.gradClip) : grads, cfg.lr);
        const r: Record<string, Float32Array> = {};
        readAll(model.variables).forEach((w, i) => (r[names[i]] = w));
        opt.dispose();
        assignAll(model.variables, w0);
        return r;
      };
      result = {
        loss: first.loss.dataSync()[0], perExample: Float32Array.from(first.perExample.dataSync() as Float32Array), logits,
        grads: host, eps, restored, adamw: after('adamw'), sgd: after('sgd'),
      };
    });
    const out = result!;
    const evalDs = { ...ds, name: f.case, train: { x, y: labels, n: labels.length }, test: { x, y: labels, n: labels.length } } as unknown as Dataset;
    const os = measureOversmoothing(model, evalDs, { model: f.model } as unknown as RunSpec, networkHooks(parts));
    return { draws, ...out, oversmoothing: os ? os.layers.map((l) => l.cosine) : null };
  } finally {
    model.dispose();
  }
}

/** One compared quantity: its largest deviation relative to its scale, and whether that is within tolerance. */
export interface Deviation {
  what: string;
  /** max |mixbench − twin| / max(max |twin|, floor). */
  rel: number;
  kind: 'values' | 'derivatives';
  ok: boolean;
}

function deviation(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: GoldenTolerance, kind: 'values' | 'derivatives'): Deviation {
  if (got.length !== want.length) return { what: `${what} (length ${got.length} vs ${want.length})`, rel: Infinity, kind, ok: false };
  let scale = tol.floor;
  let d = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const e = Math.abs(got[i] - want[i]);
    d = Number.isNaN(e) ? Infinity : Math.max(d, e);
  }
  const rel = d / scale;
  return { what, rel, kind, ok: rel <= tol[kind] };
}

/** Update w_after − w_before of every parameter, mixbench vs twin. */
function updates(kind: string, got: Record<string, Float32Array>, want: Record<string, string>, w0: Record<string, Float32Array>, tol: GoldenTolerance): Deviation[] {
  return Object.keys(want).map((n) => {
    const t = decodeF32(want[n]);
    return deviation(`${kind} step of ${n}`, got[n].map((v, i) => v - w0[n][i]), t.map((v, i) => v - w0[n][i]), tol, 'derivatives');
  });
}

/** Compares mixbench's step with the twin's; returns every deviation (none thrown). */
export function compareGolden(f: GoldenFixture, m: MixbenchStep, tol: GoldenTolerance = GOLDEN_TOLERANCE): Deviation[] {
  const e = f.expected!;
  const w0: Record<string, Float32Array> = {};
  for (const p of f.params) w0[p.name] = decodeF32(p.data);
  const devs: Deviation[] = [
    deviation('loss', [m.loss], [e.loss], tol, 'values'),
    deviation('per-example loss', m.perExample, decodeF32(e.perExample), tol, 'values'),
    deviation('logits', m.logits, decodeF32(e.logits), tol, 'values'),
    ...Object.keys(e.grads).map((n) => deviation(`gradient of ${n}`, m.grads[n] ?? [], decodeF32(e.grads[n]), tol, 'derivatives')),
    ...updates('AdamW', m.adamw, e.adamw, w0, tol),
    ...updates('SGD', m.sgd, e.sgd, w0, tol),
  ];
  if (e.eps) {
    for (const n of Object.keys(e.eps)) devs.push(deviation(`SAM ε̂ of ${n}`, m.eps?.[n] ?? [], decodeF32(e.eps[n]), tol, 'derivatives'));
  } else if (m.eps) {
    devs.push({ what: 'SAM ε̂ (mixbench perturbed the weights, the twin did not)', rel: Infinity, kind: 'derivatives', ok: false });
  }
  devs.push({ what: 'weights restored bit for bit after the gradient', rel: m.restored ? 0 : Infinity, kind: 'values', ok: m.restored });
  if (e.oversmoothing || m.oversmoothing) {
    devs.push(deviation('over-smoothing cosines', m.oversmoothing ?? [], e.oversmoothing ?? [], tol, 'values'));
  }
  return devs;
}

/** The draws mixbench makes for the fixture's method seed must be the exported ones (else the fixture is stale). */
function checkDraws(f: GoldenFixture, m: MixbenchStep): void {
  assert.deepEqual(m.draws, f.draws,
    `${f.case}: mixbench's draws for method seed ${f.seeds.method} differ from the fixture's (the method's random stream changed); ` +
    'if that is deliberate, regenerate the fixtures with `npm run golden`');
  const box = f.expected!.box;
  if (box) {
    const draw = m.draws.find((d) => d.box);
    const { y1, y2, x1, x2 } = (draw?.box ?? {}) as Record<string, number>;
    assert.deepEqual({ y1, y2, x1, x2, lambda: draw?.lambda }, box, `${f.case}: mixbench's CutMix box and λ differ from the twin's (official rand_bbox)`);
  }
}

/** Runs and compares one fixture on the current backend; throws listing every deviation beyond tolerance. */
export function checkGoldenCase(backend: GoldenBackend, c: GoldenCase, tol: GoldenTolerance = GOLDEN_TOLERANCE): Deviation[] {
  const m = runMixbenchStep(c.fixture);
  checkDraws(c.fixture, m);
  const devs = compareGolden(c.fixture, m, tol);
  const bad = devs.filter((d) => !d.ok);
  assert.equal(bad.length, 0,
    `${c.fixture.case} on ${backend}: ${bad.length} quantities differ from the PyTorch twin beyond tolerance:\n` +
    bad.slice(0, 12).map((d) => `  ${d.what}: ${d.rel.toExponential(2)} (tolerance ${tol[d.kind]})`).join('\n'));
  return devs;
}
