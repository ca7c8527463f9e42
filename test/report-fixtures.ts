/** Synthetic run records for the report tests: deterministic, no training. */
import { recordFormat, type RunRecord } from '../src/core/record';
import type { NoiseType } from '../src/core/experiment';

export interface FakeRun {
  method: string;
  seed: number;
  noise?: { label: string; type?: NoiseType; rate?: number };
  dataset?: string;
  /** Test accuracy per epoch. */
  curve: number[];
  parts?: string[];
  status?: 'ok' | 'failed' | 'diverged';
  cosines?: number[];
  experiment?: string;
  memorisation?: { examples: number; noisyFit: number; trueFit: number | null } | null;
  pool?: 'mean' | 'cls';
}

export function fakeRecord(f: FakeRun): RunRecord {
  const noise = f.noise ?? { label: 'none' };
  const dataset = f.dataset ?? 'digits';
  const experiment = f.experiment ?? 'synthetic';
  const id = `${dataset}-${f.method}-${noise.label}-s${f.seed}-0123456789`;
  const curve = f.curve.map((acc, i) => ({
    epoch: i + 1, trainLoss: 2 / (i + 1), testAccuracy: acc, testNll: 1 - acc / 2, testEce: 0.1 * (1 - acc), lr: 0.001, seconds: 1, numTensors: 40,
  }));
  let best = curve[0];
  for (const c of curve) if (c.testAccuracy > best.testAccuracy) best = c;
  const last = curve[curve.length - 1];
  const ok = (f.status ?? 'ok') === 'ok';
  return {
    format: recordFormat(),
    id,
    status: f.status ?? 'ok',
    spec: {
      id, experiment, dataset: { name: dataset }, noise, seed: f.seed, initSeed: 1000 + f.seed, methodSeed: 2000 + f.seed, splitSeed: 7,
      method: { name: f.method, parts: (f.parts ?? [f.method]).map((m) => ({ method: m, options: {} })) },
      model: { type: 'transformer', dim: 16, depth: 2, heads: 2, mlpDim: 32, patch: 2, pool: f.pool ?? 'mean', dropout: 0 },
      train: { epochs: curve.length, batchSize: 32, optimizer: 'adamw', lr: 0.001, weightDecay: 0.05, momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, eps: 1e-8, schedule: 'cosine', warmupEpochs: 1, gradClip: null, evalBatchSize: 256 },
    },
    metrics: ok ? {
      bestAccuracy: best.testAccuracy, lastAccuracy: last.testAccuracy, bestEpoch: best.epoch, testNll: last.testNll, ece: last.testEce,
      finalTrainLoss: last.trainLoss, trainSeconds: curve.length, samplesPerSec: 1000, parameterCount: 1234,
    } : null,
    curve: ok ? curve : curve.slice(0, 1),
    environment: { node: 'v20', tfjs: '4.22.0', backend: 'cpu', backendPackage: '@tensorflow/tfjs-backend-cpu', threads: null, device: null, platform: 'linux', cpu: 'test', cores: 2, gitCommit: null, mixbench: '0.1.0' },
    error: ok ? null : 'boom',
    wallSeconds: curve.length,
    finishedAt: '2026-01-01T00:00:00.000Z',
    ...(f.memorisation !== undefined ? { memorisation: f.memorisation } : {}),
    ...(f.cosines ? {
      oversmoothing: {
        examples: 100, cls: f.pool === 'cls' ? 'excluded' as const : 'absent' as const, padding: 'absent' as const,
        layers: f.cosines.map((c, d) => ({ site: d === 0 ? 'embed' as const : 'block' as const, layer: d === 0 ? null : d - 1, depth: d, cosine: c })),
      },
    } : {}),
  };
}

/**
 * A noise sweep: baseline degrades with noise and memorises (best − last gap grows), mixup keeps the gap small.
 * Values are fixed arithmetic of (method, rate, seed, epoch): no randomness.
 */
export function noiseSweep(seeds = [1, 2, 3, 4, 5, 6]): RunRecord[] {
  const out: RunRecord[] = [];
  for (const rate of [0, 0.2, 0.4]) {
    const noise = rate === 0 ? { label: 'none' } : { label: `symmetric-${rate}`, type: 'symmetric' as const, rate };
    for (const method of ['baseline', 'mixup']) {
      for (const seed of seeds) {
        const jitter = ((seed * 37) % 11) / 1000; // 0..0.010, shared by both methods (paired)
        const own = method === 'mixup' ? ((seed * 53) % 7) / 1000 : 0;
        const peak = 0.95 - 0.2 * rate + jitter + (method === 'mixup' ? 0.01 + own : 0);
        const drop = method === 'baseline' ? 0.3 * rate : 0.05 * rate;
        const curve = [0, 1, 2, 3, 4, 5, 6, 7].map((e) => Number((e < 4 ? peak - 0.1 * (3 - e) : peak - drop * ((e - 3) / 4)).toFixed(4)));
        const cos = method === 'baseline' ? [0.2, 0.4, 0.6] : [0.2, 0.3, 0.35];
        out.push(fakeRecord({ method, seed, noise, curve, cosines: cos.map((c) => c + jitter), memorisation: rate ? { examples: 100, noisyFit: method === 'baseline' ? 0.8 * rate + jitter : 0.2 * rate, trueFit: method === 'baseline' ? 0.5 : 0.7 } : null }));
      }
    }
  }
  return out;
}
