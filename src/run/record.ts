/** The run record (`runs/<id>/result.json`) and its validation when read back. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSpec } from '../config/plan';
import type { EpochRecord } from '../train/loop';
import type { RealisedNoise } from '../data/noise';
import { writeFileAtomic } from '../util/fs';
import type { AdapterInfo } from '../backends/adapter';

export type RunStatus = 'ok' | 'diverged' | 'failed';

export interface RunEnvironment {
  node: string;
  tfjs: string;
  backend: string;
  backendPackage: string;
  threads: number | null;
  device: string | null;
  /** webgpu: the adapter Dawn reported (vendor, architecture, description; software = SwiftShader and the like). */
  adapter?: AdapterInfo | null;
  platform: string;
  cpu: string;
  cores: number;
  gitCommit: string | null;
  mixbench: string;
}

export interface RunMetrics {
  bestAccuracy: number;
  lastAccuracy: number;
  /** 1-based epoch of the best test accuracy (the first, on ties). */
  bestEpoch: number;
  /** Test NLL and ECE of the final (last-epoch) model. */
  testNll: number;
  ece: number;
  finalTrainLoss: number;
  trainSeconds: number;
  samplesPerSec: number;
  parameterCount: number;
}

export interface RunRecord {
  format: 'mixbench-run/1';
  id: string;
  status: RunStatus;
  spec: RunSpec;
  metrics: RunMetrics | null;
  curve: EpochRecord[];
  environment: RunEnvironment;
  error: string | null;
  wallSeconds: number;
  finishedAt: string;
  /** Transformer runs: the over-smoothing diagnostic after training (absent in older records and MLP runs). */
  oversmoothing?: Oversmoothing | null;
  /** Ensemble members: their test logits under every group element (see OrbitInfo). */
  orbit?: OrbitInfo | null;
  /** Which attempt produced this record (1 unless the sweep retried the run, `--retries`). */
  attempt?: number;
  /** The realised training-set noise (fractions of labels and inputs changed); absent in older records. */
  noise?: RealisedNoise | null;
  /** Noisy runs: last-epoch fit of the label-corrupted training examples (also per epoch in `curve`). */
  memorisation?: { examples: number; noisyFit: number; trueFit: number | null } | null;
}

/** Mean pairwise cosine similarity of token representations at one layer output, averaged over test examples. */
export interface LayerSimilarity {
  /** 'embed' (token + position embedding) or 'block' (output of Transformer block `layer`, 0-based). */
  site: 'embed' | 'block';
  layer: number | null;
  /** 0 for the embedding, l + 1 for block l: the x axis of the per-layer plot. */
  depth: number;
  cosine: number;
}

export interface Oversmoothing {
  /** Test examples used (the first ones of the test split). */
  examples: number;
  /** The CLS token (pool: cls) is excluded from the pairs; 'absent' when the model has none (pool: mean). */
  cls: 'excluded' | 'absent';
  /** Padding tokens (text, token id 0) are excluded from the pairs. */
  padding: 'excluded' | 'absent';
  layers: LayerSimilarity[];
}

export function runDir(output: string, id: string): string {
  return join(output, 'runs', id);
}

/** Write result.json, then the `done` marker last, both atomically. */
/** Where an ensemble member's test logits under its group are stored (binary float32, little-endian). */
export interface OrbitInfo {
  file: string;
  group: string;
  /**
   * Group elements (identity first), test examples, classes: the file holds elements × examples × classes float32
   * logits followed by the examples' int32 test labels.
   */
  elements: number;
  examples: number;
  classes: number;
}

/** Write the orbit logits next to the record (before the `done` marker, which writeRunRecord writes last). */
export function writeOrbitLogits(
  output: string,
  spec: RunSpec,
  orbit: Float32Array[],
  ds: { numClasses: number; test: { n: number; y: Int32Array } },
): OrbitInfo {
  const file = 'orbit-logits.bin';
  const per = orbit[0].length;
  const bytes = new Uint8Array(orbit.length * per * 4 + ds.test.n * 4);
  const logits = new Float32Array(bytes.buffer, 0, orbit.length * per);
  orbit.forEach((o, g) => logits.set(o, g * per));
  new Int32Array(bytes.buffer, orbit.length * per * 4, ds.test.n).set(ds.test.y);
  writeFileAtomic(join(runDir(output, spec.id), file), bytes);
  return { file, group: spec.member?.measure ?? 'none', elements: orbit.length, examples: ds.test.n, classes: ds.numClasses };
}

/** The orbit logits and test labels of a run, or undefined when absent or of the wrong size. */
export function readOrbitLogits(dir: string, info: OrbitInfo): { orbit: Float32Array[]; labels: Int32Array } | undefined {
  try {
    const buf = readFileSync(join(dir, info.file));
    const per = info.examples * info.classes;
    if (buf.byteLength !== (info.elements * per + info.examples) * 4) return undefined;
    const copy = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const logits = new Float32Array(copy, 0, info.elements * per);
    const labels = new Int32Array(copy, info.elements * per * 4, info.examples);
    return { orbit: Array.from({ length: info.elements }, (_, g) => logits.subarray(g * per, (g + 1) * per)), labels };
  } catch {
    return undefined;
  }
}

export function writeRunRecord(output: string, record: RunRecord): void {
  const dir = runDir(output, record.id);
  writeFileAtomic(join(dir, 'result.json'), `${JSON.stringify(record, null, 1)}\n`);
  writeFileAtomic(join(dir, 'done'), `${record.status}\n`);
}

/** A complete, well-formed record for `spec`, or undefined (missing, half-written, corrupt, or for another spec). */
export function readRunRecord(output: string, spec: RunSpec): RunRecord | undefined {
  const rec = readRecordDir(runDir(output, spec.id), spec.id);
  return rec && rec.spec.train.epochs === spec.train.epochs ? rec : undefined;
}

/**
 * The record in a run directory when it is complete and well-formed: `done` exists, result.json parses, has this id,
 * a known status, a spec, an environment, and (when ok) metrics and a full curve. Anything else is incomplete.
 */
export function readRecordDir(dir: string, id: string): RunRecord | undefined {
  if (!existsSync(join(dir, 'done'))) return undefined;
  try {
    const rec = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunRecord;
    if (!rec || rec.format !== 'mixbench-run/1' || rec.id !== id) return undefined;
    if (!['ok', 'diverged', 'failed'].includes(rec.status)) return undefined;
    if (!rec.spec || rec.spec.id !== id || !rec.spec.train || !rec.environment || !Array.isArray(rec.curve)) return undefined;
    if (rec.status === 'ok' && (!rec.metrics || rec.curve.length !== rec.spec.train.epochs)) return undefined;
    return rec;
  } catch {
    return undefined;
  }
}

export function summariseCurve(curve: EpochRecord[], trainSeconds: number, samplesPerSec: number, parameterCount: number): RunMetrics {
  let best = curve[0];
  for (const r of curve) if (r.testAccuracy > best.testAccuracy) best = r;
  const last = curve[curve.length - 1];
  return {
    bestAccuracy: best.testAccuracy,
    lastAccuracy: last.testAccuracy,
    bestEpoch: best.epoch,
    testNll: last.testNll,
    ece: last.testEce,
    finalTrainLoss: last.trainLoss,
    trainSeconds,
    samplesPerSec,
    parameterCount,
  };
}
