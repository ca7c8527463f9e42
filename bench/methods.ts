/**
 * Cost of each method relative to `baseline`: the training-step time (method parts + gradient + AdamW, exactly as
 * src/train/loop.ts assembles a step) on the reference config — 8×8×1 digits-like inputs, ViT dim 64, depth 2,
 * 4 heads, MLP 128, 2×2 patches, batch 64, 10 classes — on the wasm backend by default, all in one process.
 * Methods are interleaved step by step (rotating order); a repeat is `steps` such rounds, and the reported ratio is
 * the median over repeats of (method step time / baseline step time in that repeat). The default arms are every
 * method of the list (src/methods/index.ts) with its default options, and one composition.
 *
 *   node dist/bench/methods.js [--repeats 9] [--steps 6] [--backend wasm|cpu] [--clock cpu|wall] [--methods a,b+c,...]
 */
import * as tf from '../src/tf';
import type { ResolvedModel } from '../src/core/experiment';
import { resolveTrain } from '../src/config/resolve';
import { buildModel } from '../src/model/build';
import { oneHot } from '../src/model/ops';
import { METHODS, methodInfo } from '../src/methods/index';
import { instantiateMethod } from '../src/methods/registry';
import { createOptimizer } from '../src/train/optimizers';
import { beginStep, makeStepLoss, plainGradients } from '../src/train/step';
import { Rng } from '../src/util/rng';
import { arg, median } from './util';

const DEFAULT_METHODS = [...METHODS.map((m) => m.name), 'amplify+neutreno'];

/**
 * The step-time budget of an arm: 10% above the cost its methods record (`cost.measured`, what `mixbench methods` and
 * the README show), extra costs of a composition added; a method without a recorded cost counts 2× if it is
 * optimizer-level (two passes), else 1×. A method over budget has become slower than its documentation says.
 */
function target(arm: string): number {
  const extra = arm.split('+').reduce((sum, name) => {
    const info = methodInfo(name);
    const cost = info?.cost.measured ?? (info?.kinds.includes('optimizer') ? 2 : 1);
    return sum + (cost - 1);
  }, 0);
  return 1.1 * (1 + extra);
}

/** The baseline on the CLS model: the reference of the arms that need a class token. */
const CLS_BASELINE = 'baseline(pool=cls)';

async function main(): Promise<void> {
  const repeats = Number(arg('repeats', '15'));
  const steps = Number(arg('steps', '4'));
  const backend = arg('backend', 'wasm') as 'wasm' | 'cpu';
  const methods = arg('methods', DEFAULT_METHODS.join(',')).split(',');
  // cpu: this process's CPU time per step (robust when other jobs share the cores; the wasm backend runs on one
  // thread, so CPU time is compute time); wall: elapsed time.
  const clock = arg('clock', 'cpu') as 'cpu' | 'wall';
  const { loadBackend } = await import('../src/backend');
  const { configureOps } = await import('../src/model/ops');
  const info = await loadBackend(backend);
  configureOps(info.name);

  const shape = [8, 8, 1];
  const K = 10;
  const B = 64;
  const model: ResolvedModel = { type: 'transformer', dim: 64, depth: 2, heads: 4, mlpDim: 128, patch: 2, pool: 'mean', dropout: 0 };
  const cfg = resolveTrain({ optimizer: 'adamw' });
  const rng = new Rng(2024);
  const nBatches = 4;
  const hostXs = Array.from({ length: nBatches }, () => new Float32Array(B * 64).map(() => rng.uniform()));
  const xs = hostXs.map((h) => tf.tensor(h, [B, ...shape]));
  const ys = Array.from({ length: nBatches }, () => oneHot(Int32Array.from({ length: B }, () => rng.int(K)), K));

  // Methods that refuse mean pooling (TransMix reads the class token) run on the CLS model and are compared with the
  // baseline on that model, which is added as an arm of its own.
  const clsModel: ResolvedModel = { ...model, pool: 'cls' };
  const partsOf = (name: string) => name.split('+').map((m) => {
    const mi = methodInfo(m);
    if (!mi) throw new Error(`unknown method ${m}`);
    return { method: m, options: mi.options.parse({}) };
  });
  const needsCls = (name: string) => partsOf(name).some((p) => methodInfo(p.method)!.checkModel(p.options, model) !== undefined);
  if (methods.some(needsCls)) methods.push(CLS_BASELINE);
  const arms = methods.map((name) => {
    const cls = name === CLS_BASELINE || needsCls(name);
    const armModel = cls ? clsModel : model;
    const parts = partsOf(name === CLS_BASELINE ? 'baseline' : name);
    const net = buildModel(armModel, { modality: 'image', shape, numClasses: K }, 777);
    const ps = instantiateMethod({ name, parts }, armModel);
    const optimizer = createOptimizer(cfg, net.variables);
    const methodRng = new Rng(5);
    const gradientPart = ps.find((p) => p.gradient)?.gradient;
    let i = 0;
    const step = (): tf.Scalar => {
      const b = i % nBatches;
      const stepParts = beginStep(ps, { rng: methodRng, numClasses: K, batchSize: B, epoch: 1, step: i++, modality: 'image', shape, inputs: hostXs[b] });
      return tf.tidy(() => {
        const lossFn = makeStepLoss(net, stepParts, { x: xs[b], y: ys[b] }, () => 1);
        const { loss, grads } = gradientPart ? gradientPart.gradients(lossFn, net.variables) : plainGradients(lossFn, net.variables);
        optimizer.apply(grads, 1e-3);
        return loss;
      });
    };
    return { name, cls, step, times: [] as number[], dispose: () => { optimizer.dispose(); net.dispose(); } };
  });

  /** Time one step, synchronised by reading the loss back (the wasm backend runs ops eagerly). */
  const timeStep = (arm: (typeof arms)[number]): number => {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const loss = arm.step();
    loss.dataSync();
    loss.dispose();
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    return clock === 'cpu' ? (c.user + c.system) / 1e3 : wall;
  };

  for (const arm of arms) for (let s = 0; s < 3; s++) timeStep(arm); // warm-up (kernels, optimizer slots)
  const tensors0 = tf.memory().numTensors;
  // Rounds of one step per method, in rotating order; a method's time in a round is the mean of `steps` steps
  // taken alternately with the other methods, so slow drifts of the shared machine hit every method alike.
  for (let r = 0; r < repeats; r++) {
    const sums = new Array(arms.length).fill(0);
    for (let s = 0; s < steps; s++) {
      for (let j = 0; j < arms.length; j++) {
        const k = (j + r + s) % arms.length;
        sums[k] += timeStep(arms[k]);
      }
    }
    arms.forEach((arm, k) => arm.times.push(sums[k] / steps));
  }
  const grew = tf.memory().numTensors - tensors0;

  const base = arms.find((a) => a.name === 'baseline');
  if (!base) throw new Error('include baseline in --methods');
  const clsBase = arms.find((a) => a.name === CLS_BASELINE);
  const lines = [
    `backend ${info.name}; clock ${clock} time; reference config: 8×8×1, ViT dim 64 depth 2 heads 4 mlp 128, batch 64; ${repeats} repeats × ${steps} steps, interleaved`,
    '',
    '| method | step ms (median) | ratio to baseline (median of per-repeat ratios) | target |',
    '|---|---|---|---|',
  ];
  for (const arm of arms) {
    const ref = arm.cls ? clsBase! : base;
    const ratios = arm.times.map((t, r) => t / ref.times[r]);
    const budget = arm.name === 'baseline' || arm.name === CLS_BASELINE ? '' : `≤ ${target(arm.name).toFixed(2)}×`;
    lines.push(`| ${arm.name} | ${median(arm.times).toFixed(1)} | ${median(ratios).toFixed(2)}× | ${budget} |`);
  }
  lines.push('', `tensor count change over the timed steps: ${grew}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const arm of arms) arm.dispose();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
