/**
 * `npm run trajectory -- <config> [options]`: train one run of a config in mixbench and in the PyTorch twin from the
 * same initial weights, the same batches and the same method draws, and report how far the two drift apart.
 *
 * mixbench trains with its own training loop (src/train/loop.ts, `trainRun`), which hands every step's batch rows,
 * learning rate, draws and loss to this script; the script writes them with the initial weights, the data, mixbench's
 * per-epoch test accuracy and weights and its final over-smoothing cosines to `<out>/<method>.export.json`. Then
 * reference/trajectory.py replays the steps in the twin (float64, and float32 as the yardstick of round-off) and
 * writes `<out>/<method>.summary.json` and a table. docs/golden.md ("Trajectories") explains the figures.
 *
 *   --method NAME[,NAME]   the config's methods to run (default: all)
 *   --seed N               the config's seed (default: its first); --dataset NAME, --noise LABEL likewise
 *   --steps N              train ⌈N / steps per epoch⌉ whole epochs (default: the config's epochs)
 *   --train-size N         keep N training examples (stratified, as the dataset key trainSize)
 *   --test-size N          evaluate on the first N test examples
 *   --backend wasm|cpu     mixbench's backend (default wasm)
 *   --dtypes LIST          the twin's precisions (default float64,float32; the first is the reference)
 *   --out DIR              default results/trajectories/<config name>
 *   --python PATH          default: $MIXBENCH_TORCH_PYTHON, python3, /usr/bin/python3 (the first with torch)
 *   --export-only          write the exports, do not run the twin
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../../src/tf';
import { loadBackend } from '../../src/backend';
import { loadConfigFile } from '../../src/config/load';
import { planRuns } from '../../src/config/plan';
import type { RunSpec } from '../../src/core/run';
import { datasetFor } from '../../src/data/cache';
import type { Dataset } from '../../src/data/dataset';
import { featureSize } from '../../src/data/dataset';
import { applyNoise } from '../../src/data/noise';
import { EXIT } from '../../src/errors';
import { configureOps } from '../../src/model/ops';
import type { Model } from '../../src/model/types';
import { trainRun } from '../../src/train/loop';
import { slug } from '../../src/util/slug';
import { encodeF32, paramName, REPO_ROOT } from './format';
import { findTorchPython, INSTALL_TORCH, torchEnv } from './python';
import { spawnSync } from 'node:child_process';

export const TRAJECTORY_FORMAT = 'mixbench-trajectory/1';

class UsageProblem extends Error {}

interface Options {
  config: string;
  methods?: string[];
  seed?: number;
  dataset?: string;
  noise?: string;
  steps?: number;
  trainSize?: number;
  testSize?: number;
  backend: 'wasm' | 'cpu';
  dtypes: string;
  out?: string;
  python?: string;
  exportOnly: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { config: '', backend: 'wasm', dtypes: 'float64,float32', exportOnly: false };
  const int = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UsageProblem(`${flag} needs a positive integer, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new UsageProblem(`${a} needs a value`);
      return next;
    };
    if (a === '--method') o.methods = v().split(',');
    else if (a === '--seed') o.seed = int(a, v());
    else if (a === '--dataset') o.dataset = v();
    else if (a === '--noise') o.noise = v();
    else if (a === '--steps') o.steps = int(a, v());
    else if (a === '--train-size') o.trainSize = int(a, v());
    else if (a === '--test-size') o.testSize = int(a, v());
    else if (a === '--backend') {
      const b = v();
      if (b !== 'wasm' && b !== 'cpu') throw new UsageProblem(`--backend is wasm or cpu, got ${b}`);
      o.backend = b;
    } else if (a === '--dtypes') o.dtypes = v();
    else if (a === '--out') o.out = v();
    else if (a === '--python') o.python = v();
    else if (a === '--export-only') o.exportOnly = true;
    else if (a.startsWith('--')) throw new UsageProblem(`unknown option ${a}`);
    else if (!o.config) o.config = a;
    else throw new UsageProblem(`one config only (got ${o.config} and ${a})`);
  }
  if (!o.config) throw new UsageProblem('usage: npm run trajectory -- <config.yaml> [--method NAME] [--steps N] [--train-size N] ...');
  return o;
}

/** The runs to trace: one per selected method, at one dataset, noise level and seed. */
function selectRuns(o: Options): { name: string; runs: RunSpec[] } {
  const exp = loadConfigFile(o.config);
  const plan = planRuns(exp);
  const dataset = o.dataset ?? exp.datasets[0].name;
  const noise = o.noise ?? exp.noise[0].label;
  const seed = o.seed ?? exp.seeds[0];
  const names = exp.methods.map((m) => m.name);
  for (const m of o.methods ?? []) {
    if (!names.includes(m)) throw new UsageProblem(`${o.config}: no method "${m}"; its methods are ${names.join(', ')}`);
  }
  if (!exp.datasets.some((d) => d.name === dataset)) throw new UsageProblem(`${o.config}: no dataset "${dataset}"`);
  if (!exp.noise.some((n) => n.label === noise)) throw new UsageProblem(`${o.config}: no noise level "${noise}"; it has ${exp.noise.map((n) => n.label).join(', ')}`);
  if (!exp.seeds.includes(seed)) throw new UsageProblem(`${o.config}: no seed ${seed}; its seeds are ${exp.seeds.join(', ')}`);
  const runs = plan.runs.filter((r) => r.dataset.name === dataset && r.noise.label === noise && r.seed === seed && !r.member?.index
    && (!o.methods || o.methods.includes(r.method.name)));
  for (const r of runs) {
    if (r.member && r.member.group !== 'none') throw new UsageProblem(`${o.config}: ensemble members augment their batches by a random group element, which the twin does not replay`);
    if (r.model.dropout > 0) throw new UsageProblem(`${o.config}: model.dropout is ${r.model.dropout}; the twin cannot replay mixbench's dropout masks, set model.dropout: 0`);
  }
  return { name: exp.name, runs };
}

function plain(info: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info ?? {})) out[k] = ArrayBuffer.isView(v) ? Array.from(v as Int32Array) : v;
  return out;
}

function weightsOf(model: Model): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of model.variables) out[paramName(v.name)] = encodeF32(v.dataSync() as Float32Array);
  return out;
}

function firstTest(ds: Dataset, n: number | undefined): Dataset {
  if (n === undefined || n >= ds.test.n) return ds;
  const size = featureSize(ds.shape);
  return { ...ds, test: { x: ds.test.x.slice(0, n * size), y: ds.test.y.slice(0, n), n } };
}

async function traceRun(spec0: RunSpec, o: Options): Promise<Record<string, unknown>> {
  const dataset = { ...spec0.dataset };
  if (o.trainSize !== undefined) {
    delete dataset.trainFraction;
    dataset.trainSize = o.trainSize;
  }
  const probeSpec = { ...spec0, dataset };
  const ds = firstTest(applyNoise(datasetFor(probeSpec), probeSpec.noise, probeSpec.seed).ds, o.testSize);
  const bs = Math.min(spec0.train.batchSize, ds.train.n);
  const stepsPerEpoch = Math.floor(ds.train.n / bs);
  const epochs = o.steps ? Math.max(1, Math.ceil(o.steps / stepsPerEpoch)) : spec0.train.epochs;
  const spec: RunSpec = { ...probeSpec, train: { ...spec0.train, epochs } };

  let model: Model | undefined;
  let initial: { name: string; shape: number[]; data: string }[] = [];
  const steps: Record<string, unknown>[] = [];
  const epochRecords: Record<string, unknown>[] = [];
  const t0 = Date.now();
  const out = await trainRun(spec, ds, {
    onStart: (m) => {
      model = m;
      initial = m.variables.map((v) => ({ name: paramName(v.name), shape: v.shape, data: encodeF32(v.dataSync() as Float32Array) }));
    },
    onStep: (s) => {
      steps.push({
        epoch: s.epoch, step: s.step, lr: s.lr, rows: Array.from(s.rows),
        draws: s.draws.map((d, i) => ({ part: spec.method.parts[i].method, ...plain(d) })), loss: s.loss.dataSync()[0],
      });
    },
    onEpoch: (r, total) => {
      epochRecords.push({ epoch: r.epoch, trainLoss: r.trainLoss, testAccuracy: r.testAccuracy, testNll: r.testNll, weights: weightsOf(model!) });
      process.stderr.write(`  ${spec.method.name}: epoch ${r.epoch}/${total}, train loss ${r.trainLoss.toFixed(4)}, test accuracy ${r.testAccuracy.toFixed(4)}\n`);
    },
  });
  return {
    format: TRAJECTORY_FORMAT,
    config: o.config,
    run: spec.id,
    methodName: spec.method.name,
    method: spec.method.parts,
    model: spec.model,
    data: { name: ds.name, modality: ds.modality, shape: ds.shape, numClasses: ds.numClasses, vocabSize: ds.vocabSize ?? null },
    train: spec.train,
    backend: tf.getBackend(),
    mixbenchSeconds: (Date.now() - t0) / 1000,
    params: initial,
    trainSet: { n: ds.train.n, x: encodeF32(ds.train.x), y: Array.from(ds.train.y) },
    testSet: { n: ds.test.n, x: encodeF32(ds.test.x), y: Array.from(ds.test.y) },
    steps,
    epochs: epochRecords,
    oversmoothing: out.oversmoothing ? { examples: out.oversmoothing.examples, layers: out.oversmoothing.layers.map((l) => l.cosine) } : null,
  };
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp${process.pid}`, text);
  renameSync(`${path}.tmp${process.pid}`, path);
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const { name, runs } = selectRuns(o);
  let python: string | null = null;
  if (!o.exportOnly) {
    python = findTorchPython(o.python);
    if (!python) throw new UsageProblem(`no Python with PyTorch and numpy (tried ${o.python ?? process.env.MIXBENCH_TORCH_PYTHON ?? 'python3 and /usr/bin/python3'}); ${INSTALL_TORCH}, or pass --python PATH (--export-only exports without it)`);
  }
  await loadBackend(o.backend);
  configureOps(tf.getBackend());
  const out = o.out ?? join('results', 'trajectories', slug(name));
  mkdirSync(out, { recursive: true });
  let failed = 0;
  for (const spec of runs) {
    process.stderr.write(`${spec.method.name}: training in mixbench (${tf.getBackend()})\n`);
    const exported = await traceRun(spec, o);
    const base = join(out, slug(spec.method.name));
    writeAtomic(`${base}.export.json`, `${JSON.stringify(exported)}\n`);
    if (!python) {
      console.log(`${base}.export.json`);
      continue;
    }
    process.stderr.write(`${spec.method.name}: replaying in the PyTorch twin (${o.dtypes})\n`);
    const r = spawnSync(python, [join(REPO_ROOT, 'reference', 'trajectory.py'), `${base}.export.json`, '--out', `${base}.summary.json`, '--dtypes', o.dtypes], {
      env: torchEnv(), stdio: 'inherit',
    });
    if (r.status !== 0) {
      console.error(`${spec.method.name}: reference/trajectory.py failed (exit ${r.status}); the export is ${base}.export.json`);
      failed += 1;
    }
  }
  return failed ? EXIT.runFailed : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    const usage = err instanceof UsageProblem || (err as { exitCode?: number }).exitCode === EXIT.usage;
    console.error(err instanceof Error ? err.message : err);
    process.exit(usage ? EXIT.usage : 1);
  },
);
