/**
 * Kernel micro-benchmarks behind the choices in src/model/ops.ts and src/model/attention.ts (wasm by default):
 *   node dist/bench/micro.js [wasm|cpu]
 * Median of 5 repeats of N calls each; prints CPU ms per call. Noisy on a shared machine: compare rows, not runs.
 */
import * as tf from '../src/tf';
import { loadBackend } from '../src/backend';
import * as os from 'node:os';
import { columnSums, configureOps, transpose2d } from '../src/model/ops';

function time(name: string, f: () => tf.Tensor, reps = 20): void {
  for (let i = 0; i < 3; i++) tf.tidy(f).dispose();
  const ts: number[] = [];
  for (let r = 0; r < 5; r++) {
    // CPU time of this process (wasm runs on this thread): far less disturbed by other processes than wall time.
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) tf.tidy(f).dispose();
    const c = process.cpuUsage(c0);
    ts.push((c.user + c.system) / 1000 / reps);
  }
  ts.sort((a, b) => a - b);
  console.log(`${name.padEnd(58)} ${ts[2].toFixed(3).padStart(8)} ms`);
}

async function main(): Promise<void> {
  const info = await loadBackend((process.argv[2] ?? 'wasm') as 'wasm');
  configureOps(info.name);
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
  // Column sums (bias and gain gradients). A fresh right operand (as every gradient is) makes XNNPACK pack it first.
  for (const [N, K] of [[1024, 64], [512, 128], [2048, 32]]) {
    const y = tf.randomNormal([N, K]) as tf.Tensor2D;
    const ones = tf.ones([1, N]) as tf.Tensor2D;
    const onesCol = tf.ones([N, 1]) as tf.Tensor2D;
    time(`column sums [${N},${K}]: ones[1,N]·y, y fresh`, () => tf.matMul(ones, tf.mul(y, 1) as tf.Tensor2D), 10);
    time(`column sums [${N},${K}]: (copy of y only)`, () => tf.mul(y, 1), 10);
    time(`column sums [${N},${K}]: ones[1,N]·y, y's operator cached`, () => tf.matMul(ones, y), 10);
    time(`column sums [${N},${K}]: columnSums (heap loop)`, () => columnSums(tf.mul(y, 1) as tf.Tensor2D), 10);
    time(`column sums [${N},${K}]: tf.sum(y, 0)`, () => tf.sum(tf.mul(y, 1), 0), 10);
    time(`column sums [${N},${K}]: transpose2d then sum(-1)`, () => tf.sum(transpose2d(tf.mul(y, 1) as tf.Tensor2D), -1), 10);
    time(`column sums [${N},${K}]: (yᵀ)·ones[N,1], ones cached`, () => tf.matMul(transpose2d(tf.mul(y, 1) as tf.Tensor2D), onesCol), 10);
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
