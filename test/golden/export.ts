/**
 * `npm run golden`: export a fixture per golden case (test/golden/cases.ts) from mixbench — the initial weights, the
 * batch and targets, and every draw of the step — to test/golden/steps/<case>.json, then run the PyTorch twin
 * (reference/twin.py) on them, which adds what it computes (`expected`).
 *
 *   node dist/test/golden/export.js            export, then run the twin
 *   node dist/test/golden/export.js --no-twin  export only
 *   node dist/test/golden/export.js --python /usr/bin/python3   (default: $MIXBENCH_TORCH_PYTHON, python3, /usr/bin/python3)
 *
 * The weights are mixbench's initialisation for the case's seed with every bias, LayerNorm gain and bias moved by
 * seeded noise, so that no bias is 0 and no gain is 1 (a network that ignores one of them would still agree at the
 * plain initialisation).
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../../src/tf';
import type { ResolvedModel } from '../../src/core/experiment';
import { buildModel } from '../../src/model/build';
import { methodInfo } from '../../src/methods';
import { instantiateMethod } from '../../src/methods/registry';
import { beginStep } from '../../src/train/step';
import { deriveSeed } from '../../src/util/hash';
import { Rng } from '../../src/util/rng';
import {
  GOLDEN_BATCH, GOLDEN_CASES, GOLDEN_CLASSES, GOLDEN_MLP_HIDDEN, GOLDEN_SHAPES, GOLDEN_TRANSFORMER, GOLDEN_VOCAB,
  type GoldenCaseSpec,
} from './cases';
import { encodeF32, GOLDEN_FORMAT, GOLDEN_STEPS_DIR, paramName, type GoldenFixture } from './format';
import { findTorchPython, INSTALL_TORCH, runTwin } from './python';

const MAX_SEED_TRIES = 500;

function modelOf(spec: GoldenCaseSpec): ResolvedModel {
  if (spec.net === 'mlp') return { type: 'mlp', hidden: GOLDEN_MLP_HIDDEN, dropout: 0 };
  return { type: 'transformer', ...GOLDEN_TRANSFORMER, depth: spec.depth ?? GOLDEN_TRANSFORMER.depth, pool: spec.net };
}

/** A batch: Gaussian images and rows; text rows of different lengths (ids ≥ 1) padded with 0 at the end. */
function batchOf(spec: GoldenCaseSpec, seed: number): { shape: number[]; x: Float32Array; labels: number[] } {
  const rng = new Rng(seed);
  const shape = [...GOLDEN_SHAPES[spec.modality]];
  const size = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(GOLDEN_BATCH * size);
  if (spec.modality === 'text') {
    const lengths = [7, 4, 2, 6, 5, 3];
    for (let b = 0; b < GOLDEN_BATCH; b++) {
      for (let t = 0; t < lengths[b % lengths.length]; t++) x[b * size + t] = 1 + rng.int(GOLDEN_VOCAB - 1);
    }
  } else {
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  }
  const labels = [2, 0, 5, 3, 1, 4].slice(0, GOLDEN_BATCH);
  return { shape: [GOLDEN_BATCH, ...shape], x, labels };
}

/** PartStep.info as JSON: typed arrays become arrays. */
function plain(info: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info ?? {})) out[k] = ArrayBuffer.isView(v) ? Array.from(v as Int32Array) : v;
  return out;
}

function exportCase(spec: GoldenCaseSpec): GoldenFixture {
  const model = modelOf(spec);
  const shape = [...GOLDEN_SHAPES[spec.modality]];
  const ds = { modality: spec.modality, shape, numClasses: GOLDEN_CLASSES, vocabSize: spec.modality === 'text' ? GOLDEN_VOCAB : undefined };
  // Seeds from the case's name: adding or reordering cases leaves the other fixtures unchanged.
  const seeds = {
    init: deriveSeed('golden-init', spec.name), batch: deriveSeed('golden-batch', spec.name), method: spec.methodSeed ?? deriveSeed('golden-method', spec.name),
  };
  const net = buildModel(model, ds, seeds.init);
  const noise = new Rng(deriveSeed('golden-perturb', spec.name));
  const params = net.variables.map((v) => {
    const name = paramName(v.name);
    const data = Float32Array.from(v.dataSync() as Float32Array);
    if (name.endsWith('/b')) for (let i = 0; i < data.length; i++) data[i] += 0.1 * noise.normal();
    if (name.endsWith('/g')) for (let i = 0; i < data.length; i++) data[i] *= 1 + 0.2 * noise.normal();
    return { name, shape: v.shape, data: encodeF32(data) };
  });
  net.dispose();

  const method = spec.parts.map((p) => {
    const info = methodInfo(p.method);
    if (!info) throw new Error(`golden case ${spec.name}: unknown method "${p.method}"`);
    return { method: p.method, options: info.options.parse(p.options ?? {}) as Record<string, unknown> };
  });
  const parts = instantiateMethod({ name: spec.name, parts: method }, model);
  let draws: Record<string, unknown>[] | null = null;
  for (let tries = 0; tries < MAX_SEED_TRIES; tries++, seeds.method++) {
    const steps = beginStep(parts, {
      rng: new Rng(seeds.method), numClasses: GOLDEN_CLASSES, batchSize: GOLDEN_BATCH, epoch: 1, step: 0, modality: spec.modality, shape,
    });
    const d = steps.map((s, i) => ({ part: method[i].method, ...plain(s.info) }));
    if (!spec.accept || spec.accept(d)) {
      draws = d;
      break;
    }
  }
  if (!draws) throw new Error(`golden case ${spec.name}: no method seed in ${MAX_SEED_TRIES} tries gave draws that pass its accept()`);

  const batch = batchOf(spec, seeds.batch);
  return {
    format: GOLDEN_FORMAT,
    case: spec.name,
    method,
    model,
    data: { modality: spec.modality, shape, numClasses: GOLDEN_CLASSES, vocabSize: ds.vocabSize ?? null },
    seeds,
    // AdamW's first step is lr·(g/(|g| + eps) + wd·w): with the default eps 1e-8 a gradient that is 0 in exact
    // arithmetic (the attention key bias: softmax ignores a shift shared by all keys) turns float32 round-off into a
    // full-size step. eps 1e-2 keeps the step a smooth function of the gradient (and still shows where eps enters);
    // weight decay 0.5 (AdamW) and 0.1 (SGD) make decaying a parameter that must not decay a visible change.
    train: {
      adamw: { lr: 0.01, weightDecay: 0.5, beta1: 0.9, beta2: 0.999, eps: 1e-2, gradClip: null },
      sgd: { lr: 0.1, weightDecay: 0.1, momentum: 0.9, nesterov: spec.nesterov ?? false, gradClip: spec.gradClip === undefined ? 0.1 : spec.gradClip },
    },
    params,
    batch: { shape: batch.shape, x: encodeF32(batch.x), labels: batch.labels },
    draws,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const pyFlag = args.indexOf('--python');
  let python: string | null = null;
  if (!args.includes('--no-twin')) {
    const explicit = pyFlag >= 0 ? args[pyFlag + 1] : undefined;
    python = findTorchPython(explicit);
    if (!python) {
      const tried = explicit ?? process.env.MIXBENCH_TORCH_PYTHON ?? 'python3 and /usr/bin/python3';
      console.error(`no Python with PyTorch and numpy (tried ${tried}); ${INSTALL_TORCH}, or pass --python PATH (--no-twin exports without it)`);
      process.exit(2);
    }
  }
  await tf.setBackend('cpu');
  mkdirSync(GOLDEN_STEPS_DIR, { recursive: true });
  const names = new Set(GOLDEN_CASES.map((c) => c.name));
  if (names.size !== GOLDEN_CASES.length) throw new Error('golden case names must be unique');
  for (const f of readdirSync(GOLDEN_STEPS_DIR)) if (f.endsWith('.json') && !names.has(f.slice(0, -5))) rmSync(join(GOLDEN_STEPS_DIR, f));
  GOLDEN_CASES.forEach((spec) => {
    const path = join(GOLDEN_STEPS_DIR, `${spec.name}.json`);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(exportCase(spec), null, 1)}\n`);
    renameSync(`${path}.tmp`, path);
  });
  console.log(`exported ${GOLDEN_CASES.length} golden cases to ${GOLDEN_STEPS_DIR}`);
  if (!python) return;
  const r = runTwin(python, [GOLDEN_STEPS_DIR], true);
  if (r.status !== 0) {
    console.error(`the twin failed (exit ${r.status}); the fixtures have no expected values until \`npm run golden\` succeeds`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
