/** The over-smoothing measure against a brute-force pairwise cosine over the same hidden states (no training). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { useBackend } from './helpers';
import { buildModel } from '../src/model/build';
import { measureOversmoothing } from '../src/train/oversmoothing';
import type { RunSpec } from '../src/core/run';
import type { Dataset } from '../src/data/dataset';
import { instantiateMethod } from '../src/methods/registry';
import { networkHooks } from '../src/train/step';

function tinyImageDataset(n: number): Dataset {
  const x = new Float32Array(n * 16);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) * 0.5 + ((i * 7919) % 13) / 13;
  const y = new Int32Array(n).map((_, i) => i % 3);
  return { name: 'tiny', modality: 'image', numClasses: 3, shape: [4, 4, 1], train: { x, y, n }, test: { x, y, n } };
}

function spec(pool: 'mean' | 'cls'): RunSpec {
  return { model: { type: 'transformer', dim: 8, depth: 2, heads: 2, mlpDim: 16, patch: 2, pool, dropout: 0 } } as unknown as RunSpec;
}

/** Mean over examples of the mean pairwise cosine over tokens [skip..T), computed pair by pair. */
function bruteForce(h: Float32Array, B: number, T: number, d: number, skip: number): number {
  let total = 0;
  for (let b = 0; b < B; b++) {
    let s = 0;
    let pairs = 0;
    for (let i = skip; i < T; i++) {
      for (let j = i + 1; j < T; j++) {
        let dot = 0;
        let ni = 0;
        let nj = 0;
        for (let k = 0; k < d; k++) {
          const a = h[(b * T + i) * d + k];
          const c = h[(b * T + j) * d + k];
          dot += a * c;
          ni += a * a;
          nj += c * c;
        }
        s += dot / Math.sqrt(ni * nj);
        pairs++;
      }
    }
    total += s / pairs;
  }
  return total / B;
}

for (const pool of ['mean', 'cls'] as const) {
  test(`over-smoothing per layer equals brute-force pairwise cosine (pool ${pool}, CLS excluded)`, async () => {
    await useBackend('cpu');
    const ds = tinyImageDataset(10);
    const s = spec(pool);
    const model = buildModel(s.model, ds, 12345);
    try {
      // batchSize 4 < n: exercises the batching and the per-example average.
      const got = (await measureOversmoothing(model, ds, s, undefined, 10, 4))!;
      assert.equal(got.examples, 10);
      assert.equal(got.cls, pool === 'cls' ? 'excluded' : 'absent');
      assert.deepEqual(got.layers.map((l) => [l.site, l.layer, l.depth]), [['embed', null, 0], ['block', 0, 1], ['block', 1, 2]]);
      // Capture the hidden states the same forward produces and compute the metric the slow way.
      const captured = new Map<number, { data: Float32Array; shape: number[] }>();
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        model.forward(tf.tensor(ds.test.x, [10, 4, 4, 1]), {
          training: false,
          hooks: {
            hidden: (site, h) => {
              if (site.kind === 'embed' || site.kind === 'block') captured.set(site.kind === 'embed' ? 0 : site.layer + 1, { data: h.dataSync() as Float32Array, shape: h.shape });
              return h;
            },
          },
        });
      });
      assert.equal(tf.memory().numTensors, before, 'no tensors leak');
      for (const l of got.layers) {
        const { data, shape } = captured.get(l.depth)!;
        const [B, T, d] = shape;
        assert.equal(T, pool === 'cls' ? 5 : 4);
        const expected = bruteForce(data, B, T, d, pool === 'cls' ? 1 : 0);
        assert.ok(Math.abs(l.cosine - expected) < 1e-5, `depth ${l.depth}: ${l.cosine} vs ${expected}`);
        assert.ok(l.cosine > -1 && l.cosine < 1);
      }
    } finally {
      model.dispose();
    }
  });
}

test('over-smoothing is null for the MLP', async () => {
  await useBackend('cpu');
  const ds = tinyImageDataset(4);
  const s = { model: { type: 'mlp', hidden: [8], dropout: 0 } } as unknown as RunSpec;
  const model = buildModel(s.model, ds, 1);
  try {
    assert.equal(await measureOversmoothing(model, ds, s), null);
  } finally {
    model.dispose();
  }
});

test('over-smoothing on text excludes padding tokens (id 0)', async () => {
  await useBackend('cpu');
  const L = 6;
  const n = 5;
  const x = new Float32Array(n * L);
  const lengths = [6, 4, 3, 2, 5];
  for (let i = 0; i < n; i++) for (let t = 0; t < lengths[i]; t++) x[i * L + t] = 2 + ((i * 5 + t * 3) % 9);
  const y = new Int32Array(n).map((_, i) => i % 2);
  const ds: Dataset = { name: 'tiny-text', modality: 'text', numClasses: 2, shape: [L], vocabSize: 12, train: { x, y, n }, test: { x, y, n } };
  const s = spec('mean');
  const model = buildModel(s.model, ds, 777);
  try {
    const got = (await measureOversmoothing(model, ds, s, undefined, n, 2))!;
    assert.equal(got.padding, 'excluded');
    const captured = new Map<number, Float32Array>();
    tf.tidy(() => {
      model.forward(tf.tensor(x, [n, L]), {
        training: false,
        hooks: { hidden: (site, h) => { if (site.kind === 'embed' || site.kind === 'block') captured.set(site.kind === 'embed' ? 0 : site.layer + 1, h.dataSync() as Float32Array); return h; } },
      });
    });
    for (const l of got.layers) {
      const h = captured.get(l.depth)!;
      let total = 0;
      for (let b = 0; b < n; b++) {
        // Only the first lengths[b] tokens of example b take part.
        const one = h.subarray(b * L * 8, (b + 1) * L * 8);
        total += bruteForce(one.subarray(0, lengths[b] * 8), 1, lengths[b], 8, 0);
      }
      assert.ok(Math.abs(l.cosine - total / n) < 1e-5, `depth ${l.depth}: ${l.cosine} vs ${total / n}`);
    }
  } finally {
    model.dispose();
  }
});

test('mixbench run: a tiny Transformer sweep stores the diagnostic in result.json and writes tables, plots and claims', async () => {
  const { execFileSync } = await import('node:child_process');
  const { readFileSync, readdirSync, writeFileSync, existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { CLI, tempDir } = await import('./helpers');
  const dir = tempDir();
  const config = join(dir, 'tiny.yaml');
  writeFileSync(config, [
    'name: tiny-report',
    'seeds: [1, 2]',
    'datasets: [{name: digits, limit: 120}]',
    'methods: [baseline, {mixup: {alpha: 1}}]',
    'model: {type: transformer, dim: 8, depth: 2, heads: 2, mlpDim: 16, patch: 4, pool: cls}',
    'train: {epochs: 2, batchSize: 32}',
    'backend: cpu',
    `output: ${join(dir, 'out')}`,
    'report: {metric: last}',
    'claims:',
    '  - {better: mixup, than: baseline}',
    '',
  ].join('\n'));
  execFileSync(process.execPath, [CLI, 'run', config, '-q'], { stdio: 'ignore' });
  const out = join(dir, 'out');
  for (const id of readdirSync(join(out, 'runs'))) {
    const rec = JSON.parse(readFileSync(join(out, 'runs', id, 'result.json'), 'utf8'));
    assert.equal(rec.oversmoothing.cls, 'excluded');
    assert.deepEqual(rec.oversmoothing.layers.map((l: { depth: number }) => l.depth), [0, 1, 2]);
    for (const l of rec.oversmoothing.layers) assert.ok(Number.isFinite(l.cosine) && l.cosine > -1 && l.cosine < 1);
  }
  for (const f of ['summary.csv', 'summary.md', 'summary.tex', 'oversmoothing.csv', 'claims.txt', 'report.json', 'plots/oversmoothing-digits-none.svg', 'plots/curves-digits-none.svg']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  assert.match(readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[0], /last_acc_p_paired_t/);
  assert.match(readFileSync(join(out, 'claims.txt'), 'utf8'), /mixup > baseline, last-epoch accuracy, clean data: [+−]0\.\d{3}, d_z \S+, p [=<] \S+(, Holm [^(]*)? \(paired t\), 2 seeds(; [^—]*)? — (holds|does not hold|inconclusive)/);
});

test('over-smoothing is measured on the evaluated network: NeuTRENO\'s attention term is applied', async () => {
  await useBackend('cpu');
  const ds = tinyImageDataset(6);
  const s = spec('mean');
  const model = buildModel(s.model, ds, 4242);
  const network = networkHooks(instantiateMethod({ name: 'neutreno', parts: [{ method: 'neutreno', options: { lambda: 0.6 } }] }, s.model));
  assert.ok(network?.attention, 'neutreno has a network attention hook');
  try {
    const plain = (await measureOversmoothing(model, ds, s, undefined, 6, 6))!;
    const withTerm = (await measureOversmoothing(model, ds, s, network, 6, 6))!;
    const captured = new Map<number, { data: Float32Array; shape: number[] }>();
    tf.tidy(() => {
      model.forward(tf.tensor(ds.test.x, [6, 4, 4, 1]), {
        training: false,
        hooks: {
          attention: network!.attention,
          hidden: (site, h) => {
            if (site.kind === 'block') captured.set(site.layer + 1, { data: h.dataSync() as Float32Array, shape: h.shape });
            return h;
          },
        },
      });
    });
    // Block 1 is the first layer NeuTRENO changes (layers ≥ 1): its output must be measured with the term.
    const depth2 = withTerm.layers.find((l) => l.depth === 2)!;
    const { data, shape } = captured.get(2)!;
    const expected = bruteForce(data, shape[0], shape[1], shape[2], 0);
    assert.ok(Math.abs(depth2.cosine - expected) < 1e-5, `${depth2.cosine} vs ${expected}`);
    assert.ok(Math.abs(depth2.cosine - plain.layers.find((l) => l.depth === 2)!.cosine) > 1e-4, 'the term changes the measurement');
    assert.equal(withTerm.layers.find((l) => l.depth === 1)!.cosine, plain.layers.find((l) => l.depth === 1)!.cosine, 'block 0 is unchanged');
  } finally {
    model.dispose();
  }
});
