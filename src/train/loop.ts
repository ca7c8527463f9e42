/** The training loop: epochs of seeded shuffled batches, one step per batch, evaluation on the clean test split. */
import * as tf from '../tf';
import type { RunSpec } from '../core/run';
import type { Dataset, Split } from '../data/dataset';
import { featureSize } from '../data/dataset';
import { DivergedError, InterruptedError } from '../errors';
import { buildModel } from '../model/build';
import { oneHot } from '../model/ops';
import type { ForwardHooks, Model } from '../model/types';
import { instantiateMethod } from '../methods/registry';
import type { MethodPart } from '../methods/types';
import { deriveSeed } from '../util/hash';
import { Rng } from '../util/rng';
import { classificationMetrics, type EvalMetrics } from './metrics';
import { clipByGlobalNorm, createOptimizer } from './optimizers';
import { predictLogits } from './predict';
import { learningRate } from './schedule';
import { makeAugmenter } from './augment';
import { orbitLogits } from './orbit';
import { measureOversmoothing } from './oversmoothing';
import type { EpochRecord, Oversmoothing } from '../core/record';
import { beginStep, makeStepLoss, networkHooks, plainGradients } from './step';
import { measureMemorisation, type MemorisationProbe } from './memorisation';

export interface TrainOutcome {
  curve: EpochRecord[];
  /** Per-layer token cosine similarity after training (Transformer runs; null for the MLP). */
  oversmoothing?: Oversmoothing | null;
  /** Ensemble members: test logits [|G|][n·K] under every element of the measurement group (identity first). */
  orbit?: Float32Array[];
  parameterCount: number;
  trainSeconds: number;
  samplesPerSec: number;
  stepsPerEpoch: number;
}

export interface TrainCallbacks {
  onEpoch?(record: EpochRecord, total: number): void;
  /** Checked between steps; return true to stop (interruption). */
  shouldStop?(): boolean;
  /** Noisy runs: the label-corrupted training examples, measured after every epoch (src/train/memorisation.ts). */
  probe?: MemorisationProbe;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function batchShape(ds: Dataset, n: number): number[] {
  return [n, ...ds.shape];
}

/**
 * Evaluate the plain network (no mixing, no perturbation, no dropout) in large batches. `network` hooks are parts of
 * the architecture itself (NeuTRENO's attention), never data mixing.
 */
export function evaluate(model: Model, ds: Dataset, split: Split, batchSize: number, network?: ForwardHooks): EvalMetrics {
  return classificationMetrics(predictLogits(model, ds, split.x, split.n, batchSize, network), split.y, ds.numClasses);
}

export async function trainRun(spec: RunSpec, ds: Dataset, callbacks: TrainCallbacks = {}): Promise<TrainOutcome> {
  const cfg = spec.train;
  const model = buildModel(spec.model, ds, spec.initSeed);
  const parts = instantiateMethod(spec.method, spec.model);
  const optimizer = createOptimizer(cfg, model.variables);
  try {
    const outcome = await trainModel(spec, ds, model, parts, optimizer, callbacks);
    const network = networkHooks(parts);
    // Over-smoothing diagnostic of the trained Transformer, on the evaluated network (observes hooks.hidden).
    outcome.oversmoothing = measureOversmoothing(model, ds, spec, network);
    // Ensemble members keep their test logits under every group element for the ensemble report.
    if (spec.member) outcome.orbit = orbitLogits(model, ds, spec, cfg.evalBatchSize, network);
    return outcome;
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

async function trainModel(
  spec: RunSpec,
  ds: Dataset,
  model: Model,
  parts: MethodPart[],
  optimizer: ReturnType<typeof createOptimizer>,
  callbacks: TrainCallbacks,
): Promise<TrainOutcome> {
  const cfg = spec.train;
  const size = featureSize(ds.shape);
  const dataRng = new Rng(spec.initSeed); // batch order: shared by all methods under one seed
  // Dropout masks from a stream of their own, so that methods with two forward passes (SAM) keep the batch order.
  const dropoutRng = new Rng(deriveSeed('dropout', spec.initSeed));
  const methodRng = new Rng(spec.methodSeed); // λ, π, layer draws
  const nextSeed = () => dropoutRng.seed();
  const bs = Math.min(cfg.batchSize, ds.train.n);
  const stepsPerEpoch = Math.floor(ds.train.n / bs); // the last partial batch is dropped (mixing needs full pairs)
  const totalSteps = stepsPerEpoch * cfg.epochs;
  const warmupSteps = Math.round(cfg.warmupEpochs * stepsPerEpoch);
  const gradientPart = parts.find((p) => p.gradient)?.gradient;
  const network = networkHooks(parts); // the method's changes to the network itself (evaluated too)
  const augment = makeAugmenter(spec, ds); // ensemble members' group augmentation (host-side, own random stream)
  const curve: EpochRecord[] = [];
  let trainSeconds = 0;
  let step = 0;

  for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
    const t0 = process.hrtime.bigint();
    const order = dataRng.permutation(ds.train.n);
    // One host buffer for a batch's inputs, refilled for every step and copied to the device once per step.
    const xs = new Float32Array(bs * size);
    let lossSum = tf.scalar(0);
    let lr = cfg.lr;
    for (let b = 0; b < stepsPerEpoch; b++) {
      // Yield to the event loop so that SIGINT/SIGTERM handlers can run between steps.
      if (b % 4 === 0) await yieldToEventLoop();
      if (callbacks.shouldStop?.()) throw new InterruptedError();
      const labels = new Int32Array(bs);
      for (let i = 0; i < bs; i++) {
        const r = order[b * bs + i];
        xs.set(ds.train.x.subarray(r * size, (r + 1) * size), i * size);
        labels[i] = ds.train.y[r];
      }
      augment?.(xs, bs);
      lr = learningRate(cfg.lr, cfg.schedule, step, totalSteps, warmupSteps);
      const stepParts = beginStep(parts, {
        rng: methodRng, numClasses: ds.numClasses, batchSize: bs, epoch, step, modality: ds.modality, shape: ds.shape,
      });
      const next = tf.tidy(() => {
        const x = tf.tensor(xs, batchShape(ds, bs));
        const y = oneHot(labels, ds.numClasses);
        const lossFn = makeStepLoss(model, stepParts, { x, y }, nextSeed);
        const { loss, grads } = gradientPart ? gradientPart.gradients(lossFn, model.variables) : plainGradients(lossFn, model.variables);
        const applied = cfg.gradClip ? clipByGlobalNorm(grads, cfg.gradClip) : grads;
        optimizer.apply(applied, lr);
        return tf.add(lossSum, loss) as tf.Scalar;
      });
      lossSum.dispose();
      lossSum = next;
      step += 1;
    }
    const trainLoss = (lossSum.dataSync()[0] as number) / Math.max(1, stepsPerEpoch);
    lossSum.dispose();
    if (!Number.isFinite(trainLoss)) throw new DivergedError(epoch, step);
    const t1 = process.hrtime.bigint();
    trainSeconds += Number(t1 - t0) / 1e9;
    const m = evaluate(model, ds, ds.test, cfg.evalBatchSize, network);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const mem = callbacks.probe ? measureMemorisation(model, ds, callbacks.probe, cfg.evalBatchSize, network) : undefined;
    const record: EpochRecord = {
      epoch, trainLoss, testAccuracy: m.accuracy, testNll: m.nll, testEce: m.ece, lr, seconds, numTensors: tf.memory().numTensors, ...mem,
    };
    curve.push(record);
    callbacks.onEpoch?.(record, cfg.epochs);
  }
  return {
    curve,
    parameterCount: model.parameterCount,
    trainSeconds,
    samplesPerSec: (stepsPerEpoch * bs * cfg.epochs) / Math.max(trainSeconds, 1e-9),
    stepsPerEpoch,
  };
}
