/**
 * One training step of every method, on whatever backend this process loaded: the loss, every gradient and every
 * weight after the project's AdamW update, as plain numbers. Used to compare backends (test/webgpu.test.ts against
 * wasm, `npm run gpu-check` on a real GPU) and to check that a backend repeats itself.
 *
 * Run as a child process: `node dist/test/step-check.js <backend> [agreement|determinism] [case,...]` prints one JSON
 * line, `{backend, adapter, summary, results}` or `{error}`; `determinism` runs each of its cases twice in a row.
 */
import * as tf from '../src/tf';
import type { BackendName, ResolvedModel, ResolvedTransformer } from '../src/core/experiment';
import { resolveTrain } from '../src/config/resolve';
import { buildModel } from '../src/model/build';
import { oneHot } from '../src/model/ops';
import { methodInfo, methodNames } from '../src/methods/index';
import { instantiateMethod } from '../src/methods/registry';
import { createOptimizer } from '../src/train/optimizers';
import { beginStep, makeStepLoss, plainGradients } from '../src/train/step';
import { Rng } from '../src/util/rng';

type Modality = 'image' | 'text' | 'tabular';

export interface StepCase {
  id: string;
  modality: Modality;
  model: ResolvedModel;
  /** Method parts with their (user) options; catalogue defaults fill the rest. */
  parts: Record<string, Record<string, unknown>>;
  /** Examples in the batch (default 6). */
  batch?: number;
  /** Shape of one example (default: 4×4×1 images, 6 tokens, 5 features). */
  shape?: number[];
}

const VIT: ResolvedTransformer = { type: 'transformer', dim: 8, depth: 2, heads: 2, mlpDim: 16, patch: 2, pool: 'mean', dropout: 0 };
const BATCH = 6;
const CLASSES = 3;
const IMAGE = [4, 4, 1];
const TEXT_LENGTH = 4;
const VOCAB = 20;
const FEATURES = 4;

const MLP: ResolvedModel = { type: 'mlp', hidden: [16, 16], dropout: 0 };

/**
 * The data and network one method's step runs on: image data where it takes images (else tabular, else text), and the
 * first of the mean-pooled ViT, the CLS ViT and the MLP that the method takes with its default options (a method that
 * needs the class token gets the CLS ViT).
 */
function methodCase(name: string): StepCase {
  const info = methodInfo(name)!;
  const modality = (['image', 'tabular', 'text'] as const).find((m) => info.modalities.includes(m)) ?? 'image';
  const vit: ResolvedTransformer = modality === 'image' ? VIT : { ...VIT, patch: 1 };
  const cls: ResolvedTransformer = { ...vit, pool: 'cls' };
  const models = [vit, cls, MLP].filter((m) => info.models.includes(m.type));
  const model = models.find((m) => info.checkModel({}, m) === undefined) ?? models[0] ?? vit;
  return { id: name, modality, model, parts: { [name]: {} } };
}

/**
 * Every method of the catalogue (methodCase: on data and a network it takes), each with its default options; then the
 * other network paths:
 * a text Transformer with padding (token-embedding gradient, key masks, masked mean pooling), one with a CLS token,
 * dropout and NeuTRENO's attention, a tabular Transformer and the MLP. Every Transformer case has 4 tokens (3 + CLS
 * in the CLS case), so its products have the image ViT's shapes: on SwiftShader most of the time goes into compiling
 * a shader for each new matmul shape.
 */
export function stepCases(): StepCase[] {
  const methods: StepCase[] = methodNames().map(methodCase);
  return [
    ...methods,
    { id: 'text', modality: 'text', model: { ...VIT, patch: 1 }, parts: { baseline: {} } },
    { id: 'text+cls+dropout+neutreno', modality: 'text', model: { ...VIT, patch: 1, pool: 'cls', dropout: 0.1 }, parts: { neutreno: {} }, shape: [3] },
    { id: 'tabular+mixup', modality: 'tabular', model: { ...VIT, patch: 1 }, parts: { mixup: {} } },
    { id: 'mlp+sam', modality: 'tabular', model: MLP, parts: { sam: {} } },
  ];
}

/**
 * Cases that reach tfjs-backend-webgpu's order-dependent kernels, kept cheap for SwiftShader (which is slow per
 * reduced row, not per multiply-add): an MLP on 2,048 features, whose first product (inner dimension 2,048, 16×16
 * output) tfjs would run as a split-K matmul adding partial sums with atomics; and a 0-block text Transformer on
 * 32 × 64 tokens from a 20-word vocabulary, whose token-embedding gradient tf.gather would form with UnsortedSegmentSum
 * (atomic adds of the rows of each id).
 */
export function determinismCases(): StepCase[] {
  return [
    { id: 'mlp-2048-features', modality: 'tabular', model: { type: 'mlp', hidden: [16, 16], dropout: 0 }, parts: { baseline: {} }, batch: 16, shape: [2048] },
    { id: 'text-2048-tokens', modality: 'text', model: { ...VIT, depth: 0, patch: 1 }, parts: { baseline: {} }, batch: 32, shape: [64] },
  ];
}

export interface StepResult {
  id: string;
  loss: number;
  /** Variable name (without the per-model prefix) → gradient. */
  grads: Record<string, number[]>;
  /** Variable name → weights after the AdamW update. */
  after: Record<string, number[]>;
  /** Tensors left behind by a second step (0 when the step is leak-free). */
  leaked: number;
  seconds: number;
}

function shapeOf(c: StepCase): number[] {
  return c.shape ?? (c.modality === 'image' ? IMAGE : c.modality === 'text' ? [TEXT_LENGTH] : [FEATURES]);
}

/** A fixed batch: images in [0,1), tabular N(0,1), token ids 2..VOCAB-1 with 2 or more real tokens then padding (0). */
function batchFor(modality: Modality, shape: number[], n: number): { x: Float32Array; labels: Int32Array } {
  const rng = new Rng(3);
  const size = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * size);
  if (modality === 'text') {
    for (let b = 0; b < n; b++) {
      const len = 2 + (b % (size - 1));
      for (let t = 0; t < len; t++) x[b * size + t] = 2 + Math.floor(rng.uniform() * (VOCAB - 2));
    }
  } else {
    for (let i = 0; i < x.length; i++) x[i] = modality === 'tabular' ? rng.normal() : rng.uniform();
  }
  const labels = Int32Array.from({ length: n }, (_, i) => i % CLASSES);
  return { x, labels };
}

export async function runStepCase(c: StepCase): Promise<StepResult> {
  const t0 = performance.now();
  const shape = shapeOf(c);
  const ds = { modality: c.modality, shape, numClasses: CLASSES, vocabSize: c.modality === 'text' ? VOCAB : undefined };
  const model = buildModel(c.model, ds, 1234);
  const parts = instantiateMethod(
    { name: c.id, parts: Object.entries(c.parts).map(([method, opts]) => ({ method, options: methodInfo(method)!.options.parse(opts) as Record<string, unknown> })) },
    c.model,
  );
  const cfg = resolveTrain({ optimizer: 'adamw' });
  const optimizer = createOptimizer(cfg, model.variables);
  const batch = c.batch ?? BATCH;
  const { x, labels } = batchFor(c.modality, shape, batch);
  const strip = (name: string) => name.replace(/^(vit|mlp)\d+\//, '');
  const gradientPart = parts.find((p) => p.gradient)?.gradient;
  // Host reads are asynchronous: tfjs-backend-webgpu's dataSync needs a browser's OffscreenCanvas.
  const step = async (k: number): Promise<{ loss: number; grads: Record<string, number[]> }> => {
    // Host-side draws (λ, permutation, layer) and dropout seeds from fixed streams: the same on every backend.
    const rng = new Rng(11 + k);
    const dropoutRng = new Rng(99 + k);
    const out = tf.tidy(() => {
      const xt = tf.tensor(x, [batch, ...shape]);
      // The host batch, as the training loop hands it over (SaliencyMix computes its saliency map from it).
      const steps = beginStep(parts, { rng, numClasses: CLASSES, batchSize: batch, epoch: 1, step: k, modality: c.modality, shape, inputs: x });
      const lossFn = makeStepLoss(model, steps, { x: xt, y: oneHot(labels, CLASSES) }, () => dropoutRng.seed());
      const { loss, grads } = gradientPart ? gradientPart.gradients(lossFn, model.variables) : plainGradients(lossFn, model.variables);
      optimizer.apply(grads, cfg.lr);
      return { loss, grads };
    });
    const host: Record<string, number[]> = {};
    for (const [name, g] of Object.entries(out.grads)) host[strip(name)] = Array.from(await g.data());
    const loss = (await out.loss.data())[0];
    tf.dispose([out.loss, ...Object.values(out.grads)]);
    return { loss, grads: host };
  };
  const first = await step(0);
  const after: Record<string, number[]> = {};
  for (const v of model.variables) after[strip(v.name)] = Array.from(await v.data());
  const before = tf.memory().numTensors;
  await step(1);
  const leaked = tf.memory().numTensors - before;
  optimizer.dispose();
  model.dispose();
  return { id: c.id, loss: first.loss, grads: first.grads, after, leaked, seconds: (performance.now() - t0) / 1000 };
}

/** ‖a − b‖ / ‖a‖ (0 when both are zero). */
export function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += a[i] ** 2;
  }
  return num === 0 ? 0 : Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

export interface Tolerance {
  /** Loss: |a − b| / |a|. */
  loss: number;
  /** Each gradient and each updated weight tensor: ‖a − b‖ / ‖a‖. */
  tensor: number;
}

/**
 * The differences between two backends' results of one case, worst first, and the problems beyond `tol`.
 * Exempt: the key projection's bias, whose gradient is zero up to rounding (it adds q·b_k to every score of a query,
 * which softmax ignores), so its update is ±lr·sign(rounding noise) on any backend.
 */
export function compareStep(ref: StepResult, got: StepResult, tol: Tolerance): { worst: { what: string; rel: number }[]; problems: string[] } {
  const diffs: { what: string; rel: number }[] = [];
  const problems: string[] = [];
  const lossRel = Math.abs(ref.loss - got.loss) / Math.max(Math.abs(ref.loss), 1e-30);
  diffs.push({ what: 'loss', rel: lossRel });
  if (!(lossRel <= tol.loss)) problems.push(`${ref.id}: loss ${ref.loss} vs ${got.loss} (relative ${lossRel.toExponential(2)} > ${tol.loss})`);
  const names = Object.keys(ref.grads);
  const missing = names.filter((n) => !(n in got.grads));
  if (missing.length || Object.keys(got.grads).length !== names.length) problems.push(`${ref.id}: gradients for different variables (${missing.join(', ')})`);
  for (const n of names) {
    if (n.endsWith('/k/b') || !(n in got.grads)) continue;
    for (const [kind, a, b] of [['gradient', ref.grads[n], got.grads[n]], ['updated weight', ref.after[n], got.after[n]]] as const) {
      const rel = relativeDifference(a, b);
      diffs.push({ what: `${kind} ${n}`, rel });
      if (!(rel <= tol.tensor)) problems.push(`${ref.id}: ${kind} ${n}: relative difference ${rel.toExponential(2)} > ${tol.tensor}`);
    }
  }
  if (got.leaked !== 0) problems.push(`${ref.id}: a step leaves ${got.leaked} tensors behind`);
  return { worst: diffs.sort((a, b) => b.rel - a.rel).slice(0, 3), problems };
}

/** Bitwise equality of two runs of one case (determinism): the first difference, or null. */
export function firstBitDifference(a: StepResult, b: StepResult): string | null {
  if (!Object.is(a.loss, b.loss)) return `loss ${a.loss} vs ${b.loss}`;
  for (const [kind, x, y] of [['gradient', a.grads, b.grads], ['updated weight', a.after, b.after]] as const) {
    for (const n of Object.keys(x)) {
      const i = x[n].findIndex((v, j) => !Object.is(v, y[n]?.[j]));
      if (i >= 0) return `${kind} ${n}[${i}]: ${x[n][i]} vs ${y[n]?.[i]}`;
    }
  }
  return null;
}

async function main(): Promise<void> {
  const [backend, kind = 'agreement', only] = process.argv.slice(2);
  try {
    const { loadBackend } = await import('../src/backend');
    const { configureOps } = await import('../src/model/ops');
    const info = await loadBackend(backend as BackendName);
    configureOps(info.name);
    const wanted = only ? new Set(only.split(',')) : null;
    const results: StepResult[] = [];
    const cases = (kind === 'determinism' ? determinismCases() : stepCases()).filter((c) => !wanted || wanted.has(c.id));
    for (const c of cases) {
      results.push(await runStepCase(c));
      if (kind === 'determinism') results.push(await runStepCase(c));
    }
    // What a synchronous read of data on the device says (webgpu under Node cannot do one; the others can).
    const onDevice = tf.add(tf.ones([4096]), 1);
    let syncRead = 'ok';
    try {
      onDevice.dataSync();
    } catch (err) {
      syncRead = err instanceof Error ? err.message : String(err);
    }
    onDevice.dispose();
    process.stdout.write(`${JSON.stringify({ backend: info.name, adapter: info.adapter, summary: info.summary, syncRead, results })}\n`, () => process.exit(0));
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`, () => process.exit(1));
  }
}

if (require.main === module) void main();
