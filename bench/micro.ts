/**
 * Kernel micro-benchmarks behind the choices in src/model/ops.ts and src/model/attention.ts (wasm by default):
 *   node dist/bench/micro.js [wasm|cpu]
 * Median of 5 repeats of N calls each; prints ms per call. Noisy on a shared machine: compare rows, not runs.
 */
import * as tf from '../src/tf';
import { loadBackend } from '../src/backend';
import * as os from 'node:os';

function time(name: string, f: () => tf.Tensor, reps = 20): void {
  for (let i = 0; i < 3; i++) tf.tidy(f).dispose();
  const ts: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) tf.tidy(f).dispose();
    ts.push((performance.now() - t0) / reps);
  }
  ts.sort((a, b) => a - b);
  console.log(`${name.padEnd(58)} ${ts[2].toFixed(3).padStart(8)} ms`);
}

async function main(): Promise<void> {
  await loadBackend((process.argv[2] ?? 'wasm') as 'wasm');
  console.log(`backend ${tf.getBackend()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const x = tf.randomNormal([1024, 64]) as tf.Tensor2D;
  const dy = tf.randomNormal([1024, 64]) as tf.Tensor2D;
  const h = tf.randomNormal([1024, 128]);
  time('dW = xᵀ·dy: tf.transpose(x) then matMul  [1024,64]', () => tf.matMul(tf.transpose(x), dy));
  time('dW = xᵀ·dy: matMul(x, dy, transposeA)', () => tf.matMul(x, dy, true, false));
  time('x·dyᵀ: matMul(x, dy, transposeB)  [1024,64]·[64,1024]', () => tf.matMul(x, dy, false, true), 5);
  for (const [N, K] of [[1024, 64], [4096, 128], [4096, 512]]) {
    const y = tf.randomNormal([N, K]);
    time(`transpose [${N},${K}]: tf.transpose`, () => tf.transpose(y), 5);
    time(`transpose [${N},${K}]: blocked [N/32,32,K]→[N/32,K,32]→[K,N/32,32]`, () =>
      y.reshape([N / 32, 32, K]).transpose([0, 2, 1]).transpose([1, 0, 2]).reshape([K, N]), 5);
  }
  time('tanh [1024,128]', () => tf.tanh(h));
  time('sigmoid [1024,128]', () => tf.sigmoid(h));
  for (const [BH, T, dh] of [[256, 16, 16], [256, 64, 32]]) {
    const q = tf.randomNormal([BH, T, dh]);
    const k = tf.randomNormal([BH, T, dh]);
    time(`QKᵀ [${BH},${T},${dh}]: batched matMul, kᵀ materialised`, () => tf.matMul(q, tf.transpose(k, [0, 2, 1])), 5);
    const inp = tf.transpose(q, [1, 2, 0]).reshape([1, T, dh, BH]) as tf.Tensor4D;
    const filt = tf.transpose(k, [2, 0, 1]).reshape([1, dh, BH, T]);
    time(`QKᵀ [${BH},${T},${dh}]: depthwiseConv2d, channel multiplier ${T}`, () =>
      tf.depthwiseConv2d(inp, tf.mul(filt, 1) as tf.Tensor4D, 1, 'valid'), 5);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
