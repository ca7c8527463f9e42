/**
 * Memory a plan needs, estimated before any training, so that a model or batch too large for the machine is
 * refused with the estimate and the fix instead of dying mid-run (wasm: "memory access out of bounds" after the 4 GiB
 * heap fills; cpu/tensorflow: the kernel's out-of-memory killer).
 *
 * tfjs keeps the tensors created inside a `tidy` alive until it ends, so a step's forward and backward tensors add up,
 * and the sum is linear in a few products of the shapes (tokens × width, tokens² × heads, ...). The coefficients below
 * were fitted to tfjs's own byte count (`tf.profile(...).peakBytes`) of real training steps and evaluation batches on
 * the cpu backend (20 Transformer and 9 MLP shapes; residuals within ±7%), then raised by ~8%;
 * test/robust-resources.test.ts re-measures eight shapes and checks the estimate stays above the measurement and within
 * 1.6× of it. docs/robustness.md#memory has the formulas and the measurements.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import type { BackendName } from '../core/experiment';
import type { RunSpec } from '../core/run';
import { UsageError } from '../errors';
import { formatBytes } from '../util/fs';

/** What the estimate needs to know about a run's data (a loaded Dataset has all of it). */
export interface DataShape {
  modality: 'image' | 'tabular' | 'text';
  /** [H, W, C], [F] or [L]. */
  shape: number[];
  numClasses: number;
  vocabSize?: number;
  train: { n: number };
  test: { n: number };
}

export interface MemoryEstimate {
  parameters: number;
  /** Weights, 4 bytes each. */
  weights: number;
  /** Optimizer slots (Adam/AdamW: m and v; SGD: momentum). */
  optimizerState: number;
  /** Examples per training step and per evaluation batch, as the run will use them. */
  batch: number;
  evalBatch: number;
  /** Peak tensor bytes of one training step (weights, gradients, optimizer state, activations, temporaries). */
  trainStep: number;
  /** Peak tensor bytes while evaluating one batch (weights and optimizer state included). */
  evaluation: number;
  /** max(trainStep, evaluation): the tensor memory the run needs at once. */
  peak: number;
  /** Training and test examples held on the host as float32. */
  data: number;
}

/** Extra activation memory of a method relative to plain training (measured on a 2-block ViT; docs/robustness.md). */
const METHOD_FACTOR: Record<string, number> = {
  baseline: 1, mixup: 1.02, cutmix: 1.02, 'label-smoothing': 1.02, sam: 1.05, gmix: 1.05,
  'manifold-mixup': 1.15, neutreno: 1.15, amplify: 1.2, bgmix: 2.05, dgmix: 2.05,
};
const UNKNOWN_METHOD_FACTOR = 1.2;

function methodFactor(spec: RunSpec): number {
  return 1 + spec.method.parts.reduce((s, p) => s + ((METHOD_FACTOR[p.method] ?? UNKNOWN_METHOD_FACTOR) - 1), 0);
}

function tokensAndPatch(spec: RunSpec, ds: DataShape): { T: number; patchDim: number; inputRows: number } {
  if (spec.model.type !== 'transformer') throw new Error('tokensAndPatch: not a Transformer');
  const cls = spec.model.pool === 'cls' ? 1 : 0;
  if (ds.modality === 'image') {
    const [h, w, c] = ds.shape;
    const p = spec.model.patch;
    return { T: Math.floor(h / p) * Math.floor(w / p) + cls, patchDim: p * p * c, inputRows: p * p * c };
  }
  if (ds.modality === 'text') return { T: ds.shape[0] + cls, patchDim: ds.vocabSize ?? 2, inputRows: 1 };
  return { T: ds.shape[0] + cls, patchDim: 1, inputRows: 1 };
}

/** The exact parameter count of the network mixbench builds for this run (src/model/transformer.ts, mlp.ts). */
export function parameterCount(spec: RunSpec, ds: DataShape): number {
  const K = ds.numClasses;
  if (spec.model.type === 'mlp') {
    let fanIn = ds.shape.reduce((a, b) => a * b, 1);
    let p = 0;
    for (const h of spec.model.hidden) {
      p += fanIn * h + h;
      fanIn = h;
    }
    return p + fanIn * K + K;
  }
  const { dim: d, depth, mlpDim: m } = spec.model;
  const { T, patchDim } = tokensAndPatch(spec, ds);
  const cls = spec.model.pool === 'cls' ? d : 0;
  const block = 4 * (d * d + d) + 4 * d + (d * m + m) + (m * d + d);
  return patchDim * d + d + cls + T * d + depth * block + 2 * d + d * K + K;
}

/** Tensor memory of one run: training step and evaluation batch, from the fitted coefficients (bytes). */
export function estimateRunMemory(spec: RunSpec, ds: DataShape): MemoryEstimate {
  const P = parameterCount(spec, ds);
  const B = Math.min(spec.train.batchSize, ds.train.n);
  // Evaluation batches (test split, memorisation probe) and the over-smoothing diagnostic (batches of 128).
  const E = Math.max(Math.min(spec.train.evalBatchSize, Math.max(ds.test.n, ds.train.n)), Math.min(128, ds.test.n));
  const K = ds.numClasses;
  let trainFloats: number;
  let evalFloats: number;
  // A training step peaks either in the forward/backward pass (activations, plus weights and gradients) or in the
  // optimizer update (~27 P-sized temporaries with the fused flat-buffer update, when the parameters dominate):
  // variableGrads frees the activations first.
  if (spec.model.type === 'mlp') {
    const hidden = spec.model.hidden.reduce((a, b) => a + b, 0);
    const widest = Math.max(0, ...spec.model.hidden);
    const F = ds.shape.reduce((a, b) => a * b, 1);
    trainFloats = Math.max(B * (20.5 * hidden + 8.5 * F + 2 * K) + 4.5 * P, 28 * P);
    // Evaluating, each layer's output stays while the widest layer's GELU temporaries come and go.
    evalFloats = E * (2.2 * hidden + 5.3 * widest + 1.2 * F + 3 * K) + 1.1 * P;
  } else {
    const { dim: d, depth: L, mlpDim: m, heads: H } = spec.model;
    const { T, inputRows } = tokensAndPatch(spec, ds);
    const perExample = (a: number, b: number, c: number, e: number, f: number) => L * (a * T * d + b * T * m + c * H * T * T) + e * T * d + f * T * inputRows;
    // Text: the embedding lookup (a custom-gradient op) holds a copy of the [vocab, dim] table, evaluating too, and
    // the padding bias adds one more attention-sized tensor per layer (two with its gradient).
    const text = ds.modality === 'text';
    const table = text ? (ds.vocabSize ?? 2) * d : 0;
    trainFloats = Math.max(B * perExample(88, 15.5, text ? 17 : 14.5, 11, 4) + 4.5 * P, 28 * P);
    evalFloats = E * perExample(23, 5, text ? 4.5 : 3.5, 6, 3) + 1.1 * P + table;
  }
  const slots = spec.train.optimizer === 'sgd' ? 1 : 2;
  const optimizerState = 4 * slots * P;
  const trainStep = 4 * trainFloats * methodFactor(spec);
  // Evaluation runs between epochs, while the optimizer state is alive.
  const evaluation = 4 * evalFloats + optimizerState;
  const featureSize = ds.shape.reduce((a, b) => a * b, 1);
  return {
    parameters: P, weights: 4 * P, optimizerState, batch: B, evalBatch: E, trainStep, evaluation,
    peak: Math.max(trainStep, evaluation), data: 4 * featureSize * (ds.train.n + ds.test.n),
  };
}

/** tfjs-backend-wasm's heap cannot grow past 4 GiB − 64 KiB (wasm32); every tensor lives in it. */
export const WASM_HEAP_LIMIT = 4294901760;
/** Node, tfjs and a backend loaded, before any tensor: measured 70–110 MiB RSS; with room for the data cache. */
export const PROCESS_OVERHEAD = 256 * 2 ** 20;

/** The backend a sweep will most likely get (for `auto`: tfjs-node if installed, else wasm). */
export function expectedBackend(requested: BackendName, resolveFrom: string[] = [join(__dirname, '..', '..', '..'), process.cwd()]): 'tensorflow' | 'wasm' | 'cpu' {
  if (requested === 'wasm' || requested === 'cpu') return requested;
  if (requested === 'tensorflow' || requested === 'tensorflow-gpu') return 'tensorflow';
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(`${pkg}/package.json`, { paths: resolveFrom });
      return 'tensorflow';
    } catch {
      // not installed
    }
  }
  return 'wasm';
}

/**
 * Memory mixbench may use on this machine: MIXBENCH_MEMORY_LIMIT (bytes, or with a K/M/G/T suffix) when set, else the
 * smaller of the machine's RAM and the cgroup limit (containers, Slurm jobs).
 */
export function machineMemory(env: NodeJS.ProcessEnv = process.env): { bytes: number; source: string } {
  const raw = env.MIXBENCH_MEMORY_LIMIT;
  if (raw !== undefined && raw !== '') {
    const bytes = parseBytes(raw);
    if (bytes === undefined) throw new UsageError(`MIXBENCH_MEMORY_LIMIT="${raw}" is not a size; use bytes or a number with K, M, G or T (e.g. 8G)`);
    return { bytes, source: 'MIXBENCH_MEMORY_LIMIT' };
  }
  const total = totalmem();
  const cgroup = cgroupMemoryLimit();
  return cgroup !== undefined && cgroup < total ? { bytes: cgroup, source: 'the cgroup memory limit' } : { bytes: total, source: 'the machine\'s RAM' };
}

/** The memory limit of this process's cgroup (v2 memory.max or v1 memory.limit_in_bytes), when one is set. */
export function cgroupMemoryLimit(): number | undefined {
  const candidates = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'];
  try {
    const own = /^0::(\/.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
    if (own && own !== '/') candidates.unshift(join('/sys/fs/cgroup', own, 'memory.max'));
  } catch {
    // not Linux
  }
  for (const file of candidates) {
    try {
      const n = Number(readFileSync(file, 'utf8').trim());
      // "max" (v2) and ~2^63 (v1) mean no limit.
      if (Number.isFinite(n) && n > 0 && n < 2 ** 60) return n;
    } catch {
      // absent
    }
  }
  return undefined;
}

export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!m) return undefined;
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * scale);
}

export interface ResourceOptions {
  backend: BackendName;
  /** Worker processes (each holds one run's tensors). */
  jobs: number;
  env?: NodeJS.ProcessEnv;
}


/** The largest batch (≥ 2) whose training step keeps `peakOf(batch)` within `limit`, or undefined. */
function largestBatch(peakOf: (b: number) => number, upTo: number, limit: number): number | undefined {
  if (peakOf(2) > limit) return undefined;
  let lo = 2;
  let hi = upTo;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (peakOf(mid) <= limit) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function describe(spec: RunSpec, e: MemoryEstimate): string {
  const opt = spec.train.optimizer === 'sgd' ? 'SGD momentum' : spec.train.optimizer === 'adam' ? 'Adam state' : 'AdamW state';
  return `${(e.parameters / 1e6).toFixed(e.parameters < 1e7 ? 2 : 0)} M parameters = ${formatBytes(e.weights)}, ${opt} ${formatBytes(e.optimizerState)}; ` +
    `a training step on a batch of ${e.batch} ≈ ${formatBytes(e.trainStep)} (activations, gradients, temporaries); ` +
    `an evaluation batch of ${e.evalBatch} ≈ ${formatBytes(e.evaluation)}`;
}

/** The fix for a run whose peak is over `limit`: the batch sizes that would fit, then the model knobs. */
function fixFor(spec: RunSpec, ds: DataShape, e: MemoryEstimate, limit: number): string {
  const fixes: string[] = [];
  if (e.trainStep > limit) {
    const b = largestBatch((batch) => estimateRunMemory({ ...spec, train: { ...spec.train, batchSize: batch } }, ds).trainStep, e.batch, limit);
    if (b !== undefined) fixes.push(`train.batchSize ${spec.train.batchSize} → ${b} or less`);
  }
  if (e.evaluation > limit) {
    const b = largestBatch((batch) => estimateRunMemory({ ...spec, train: { ...spec.train, evalBatchSize: batch } }, ds).evaluation, e.evalBatch, limit);
    if (b !== undefined && b < e.evalBatch) fixes.push(`train.evalBatchSize ${spec.train.evalBatchSize} → ${b} or less`);
  }
  if (spec.model.type === 'transformer') {
    fixes.push('a smaller model.dim, model.depth or model.mlpDim');
    if (ds.modality === 'image') fixes.push(`a larger model.patch (now ${spec.model.patch}: attention memory grows with the square of the ${tokensAndPatch(spec, ds).T} tokens)`);
    if (ds.modality === 'text') fixes.push('a smaller maxLength (tokens per text)');
  } else {
    fixes.push('narrower model.hidden layers');
  }
  return fixes.join('; or ');
}

/**
 * Refuse a plan whose runs cannot fit in memory: the backend's heap, or the machine with `jobs` runs at once.
 * `dataOf` returns the loaded dataset of a run (already checked).
 */
export function checkResources(runs: RunSpec[], dataOf: (spec: RunSpec) => DataShape, opts: ResourceOptions): void {
  if (!runs.length) return;
  const backend = expectedBackend(opts.backend);
  const machine = machineMemory(opts.env);
  let worst: { spec: RunSpec; ds: DataShape; e: MemoryEstimate } | undefined;
  const seen = new Set<string>();
  for (const spec of runs) {
    // Runs differing only in seed or noise have the same shapes.
    const key = JSON.stringify([spec.dataset, spec.model, spec.train, spec.method.parts.map((p) => p.method)]);
    if (seen.has(key)) continue;
    seen.add(key);
    const ds = dataOf(spec);
    const e = estimateRunMemory(spec, ds);
    if (!worst || e.peak + e.data > worst.e.peak + worst.e.data) worst = { spec, ds, e };
  }
  const { spec, ds, e } = worst!;
  const fixTail = '\n  Nothing was run. The estimate and how it was measured: docs/robustness.md#memory.';
  if (backend === 'wasm' && e.peak > WASM_HEAP_LIMIT) {
    throw new UsageError(
      `too large for the wasm backend: run ${spec.id} needs about ${formatBytes(e.peak)} of tensor memory at once ` +
        `(${describe(spec, e)}), and the wasm backend's heap stops at 4 GiB.\n  Fix: ${fixFor(spec, ds, e, WASM_HEAP_LIMIT * 0.95)}; ` +
        `or a backend without that limit (--backend tensorflow, with @tensorflow/tfjs-node installed).${fixTail}`,
    );
  }
  const jobs = Math.max(1, Math.min(opts.jobs, runs.length));
  const perProcess = e.peak + e.data + PROCESS_OVERHEAD;
  if (jobs * perProcess > machine.bytes) {
    const perJobLimit = machine.bytes / jobs - e.data - PROCESS_OVERHEAD;
    const fewer = Math.floor(machine.bytes / perProcess);
    throw new UsageError(
      `too large for this machine: run ${spec.id} needs about ${formatBytes(e.peak)} of tensor memory at once (${describe(spec, e)}), ` +
        `plus ${formatBytes(e.data)} of data and ~${formatBytes(PROCESS_OVERHEAD)} per process` +
        `${jobs > 1 ? `, × ${jobs} worker processes` : ''} = ${formatBytes(jobs * perProcess)}; ` +
        `${machine.source} is ${formatBytes(machine.bytes)}.\n  Fix: ` +
        `${jobs > 1 && fewer >= 1 ? `run fewer workers (-j ${fewer}); or ` : ''}${perJobLimit > 0 ? fixFor(spec, ds, e, perJobLimit) : 'a much smaller model or dataset'}` +
        `${machine.source === 'MIXBENCH_MEMORY_LIMIT' ? '; or raise MIXBENCH_MEMORY_LIMIT' : ''}.${fixTail}`,
    );
  }
}
