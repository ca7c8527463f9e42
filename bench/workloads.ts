/**
 * The reference workloads of issue 7 and one training step exactly as src/train/loop.ts runs it
 * (makeStepLoss + plainGradients + the project's AdamW), on random data prepared once up front.
 */
import * as tf from '../src/tf';
import type { ResolvedModel, ResolvedTrain } from '../src/core/experiment';
import { resolveTrain } from '../src/config/resolve';
import { buildModel } from '../src/model/build';
import { oneHot } from '../src/model/ops';
import type { Model } from '../src/model/types';
import type { Modality } from '../src/core/experiment';
import { createOptimizer, createPerVariableOptimizer, type Optimizer } from '../src/train/optimizers';
import { predictLogits } from '../src/train/predict';
import { makeStepLoss, plainGradients } from '../src/train/step';
import { Rng } from '../src/util/rng';

export interface Workload {
  id: string;
  description: string;
  modality: Modality;
  /** Shape of one example. */
  shape: number[];
  numClasses: number;
  batch: number;
  model: ResolvedModel;
  vocabSize?: number;
}

const vit = (dim: number, depth: number, heads: number, mlpDim: number, patch: number): ResolvedModel => ({
  type: 'transformer', dim, depth, heads, mlpDim, patch, pool: 'mean', dropout: 0,
});

export const WORKLOADS: Workload[] = [
  {
    id: 'A', description: 'ViT 8×8×1, 2×2 patches (16 tokens), dim 64, depth 2, 4 heads, MLP 128, batch 64',
    modality: 'image', shape: [8, 8, 1], numClasses: 10, batch: 64, model: vit(64, 2, 4, 128, 2),
  },
  {
    id: 'B', description: 'ViT 32×32×3, 4×4 patches (64 tokens), dim 128, depth 4, 4 heads, MLP 512, batch 64',
    modality: 'image', shape: [32, 32, 3], numClasses: 10, batch: 64, model: vit(128, 4, 4, 512, 4),
  },
  {
    id: 'TEXT', description: 'text Transformer, 32 tokens (spam-subjects vocabulary), dim 64, depth 2, 4 heads, MLP 128, batch 64',
    modality: 'text', shape: [32], numClasses: 2, batch: 64, model: vit(64, 2, 4, 128, 1), vocabSize: 2000,
  },
  {
    id: 'MLP', description: 'MLP 16 features → 256 → 256 → 26 classes, batch 64',
    modality: 'tabular', shape: [16], numClasses: 26, batch: 64, model: { type: 'mlp', hidden: [256, 256], dropout: 0 },
  },
];

export function trainConfig(): ResolvedTrain {
  return resolveTrain({ optimizer: 'adamw' });
}

export interface Harness {
  model: Model;
  optimizer: Optimizer;
  /** One training step on batch `i` (mod the prepared batches); returns the loss tensor (caller disposes). */
  step(i: number): tf.Scalar;
  /** Forward pass in evaluation mode on `n` examples in batches of `evalBatch`; returns logits read back to the host. */
  evaluate(evalBatch: number): Promise<number>;
  dispose(): void;
}

export interface HarnessTiming {
  /** Training samples per wall-second, per timed window. */
  trainWindows: number[];
  /** Training samples per CPU-second of this process (all threads), per window. */
  trainCpuWindows: number[];
  tensorsBefore: number;
  tensorsAfter: number;
  evalSamplesPerSec: number;
}

/**
 * Time a harness the way every throughput bench does: `warmup` steps read back one by one (shader compilation, JIT),
 * then `windows` windows of `steps` steps with one host read each, then one evaluation of the harness's `evalN`
 * examples in batches of `evalBatch` (after an untimed one when `warmEval`). Host reads are asynchronous
 * (`await data()`): the webgpu backend cannot read GPU data synchronously under Node.
 */
export async function timeHarness(
  h: Harness, batch: number, o: { warmup: number; steps: number; windows: number; evalN: number; evalBatch: number; warmEval: boolean },
): Promise<HarnessTiming> {
  for (let i = 0; i < o.warmup; i++) {
    const loss = h.step(i);
    await loss.data();
    loss.dispose();
  }
  const tensorsBefore = tf.memory().numTensors;
  const trainWindows: number[] = [];
  const trainCpuWindows: number[] = [];
  for (let r = 0; r < o.windows; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let last: tf.Scalar | null = null;
    for (let i = 0; i < o.steps; i++) {
      last?.dispose();
      last = h.step(i);
    }
    await last!.data();
    last!.dispose();
    trainWindows.push((o.steps * batch) / ((performance.now() - t0) / 1000));
    const cu = process.cpuUsage(c0);
    trainCpuWindows.push((o.steps * batch) / ((cu.user + cu.system) / 1e6));
  }
  const tensorsAfter = tf.memory().numTensors;
  if (o.warmEval) await h.evaluate(o.evalBatch);
  const t0 = performance.now();
  await h.evaluate(o.evalBatch);
  return { trainWindows, trainCpuWindows, tensorsBefore, tensorsAfter, evalSamplesPerSec: o.evalN / ((performance.now() - t0) / 1000) };
}

/**
 * Random inputs: images in [0,1), tabular N(0,1), token ids in [2, vocab) with each sequence 4–L tokens long and
 * padded with 0 (the PyTorch reference draws the same distribution).
 */
function randomInputs(w: Workload, n: number, rng: Rng): Float32Array {
  const size = w.shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * size);
  if (w.modality === 'text') {
    for (let r = 0; r < n; r++) {
      const len = 4 + Math.floor(rng.uniform() * (size - 3));
      for (let t = 0; t < len; t++) x[r * size + t] = 2 + Math.floor(rng.uniform() * ((w.vocabSize ?? 100) - 2));
    }
    return x;
  }
  for (let i = 0; i < x.length; i++) x[i] = w.modality === 'tabular' ? rng.normal() : rng.uniform();
  return x;
}

/** Which optimizer formulation a harness uses: the fused flat-buffer one (what training runs) or the per-variable reference. */
export type OptimizerForm = 'fused' | 'per-variable';

export function makeHarness(w: Workload, opts: { batches?: number; evalN?: number; seed?: number; optimizer?: OptimizerForm } = {}): Harness {
  const nBatches = opts.batches ?? 4;
  const evalN = opts.evalN ?? 1024;
  const rng = new Rng(opts.seed ?? 12345);
  const ds = { modality: w.modality, shape: w.shape, numClasses: w.numClasses, vocabSize: w.vocabSize };
  const model = buildModel(w.model, ds as Parameters<typeof buildModel>[1], 777);
  const cfg = trainConfig();
  const optimizer = (opts.optimizer === 'per-variable' ? createPerVariableOptimizer : createOptimizer)(cfg, model.variables);
  // Batches prepared once, as the loop does per epoch.
  const xs: tf.Tensor[] = [];
  const ys: tf.Tensor2D[] = [];
  for (let b = 0; b < nBatches; b++) {
    xs.push(tf.tensor(randomInputs(w, w.batch, rng), [w.batch, ...w.shape]));
    const labels = new Int32Array(w.batch);
    for (let i = 0; i < w.batch; i++) labels[i] = Math.floor(rng.uniform() * w.numClasses);
    ys.push(oneHot(labels, w.numClasses));
  }
  const evalX = randomInputs(w, evalN, rng);
  const dropoutRng = new Rng(99);
  return {
    model,
    optimizer,
    step(i) {
      return tf.tidy(() => {
        const lossFn = makeStepLoss(model, [], { x: xs[i % nBatches], y: ys[i % nBatches] }, () => dropoutRng.seed());
        const { loss, grads } = plainGradients(lossFn, model.variables);
        optimizer.apply(grads, cfg.lr);
        return loss;
      });
    },
    async evaluate(evalBatch) {
      // The evaluation path users run (src/train/predict.ts); the returned value only keeps the work observable.
      return (await predictLogits(model, ds, evalX, evalN, evalBatch))[0];
    },
    dispose() {
      for (const t of [...xs, ...ys]) t.dispose();
      optimizer.dispose();
      model.dispose();
    },
  };
}
