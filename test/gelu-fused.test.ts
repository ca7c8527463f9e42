/**
 * The fused wasm GELU kernels (src/model/ops.ts) against the chain of tfjs kernels they replace (`geluChain`): values
 * and gradient equal bit for bit. They rest on `sigmoidXnnpack`, a float32 emulation of the XNNPACK sigmoid that
 * tfjs-backend-wasm's SIMD build runs, checked here against wasm's Sigmoid over its whole range. wasm backend.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { gelu, geluChain, sigmoidXnnpack } from '../src/model/ops';
import { useBackend } from './helpers';
import { Rng } from '../src/util/rng';

before(async () => {
  await useBackend('wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

/** Index of the first element whose bits differ (Object.is: −0 ≠ +0, NaN = NaN), or −1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** Values around zero, the polynomial's range, the denormal cutoff (±87.34), overflow, infinities. */
const EDGES = [0, -0, 1e-45, -1e-45, 1e-30, -1e-30, 0.5, -0.5, 1, -1, 87.33, 87.34, 87.3366, 87.35, 88, -87.34, -87.35, -88,
  100, -100, 1e30, -1e30, Infinity, -Infinity, 3.4e38, -3.4e38];

function wideValues(rng: Rng, n: number): Float32Array {
  const x = Float32Array.from({ length: n }, () => {
    const sign = rng.uniform() < 0.5 ? -1 : 1;
    const u = rng.uniform();
    return sign * (u < 0.5 ? rng.uniform() * 10 : u < 0.75 ? rng.uniform() * 100 : Math.exp((rng.uniform() - 0.5) * 120));
  });
  x.set(EDGES);
  return x;
}

test('sigmoidXnnpack equals wasm Sigmoid bit for bit (2·10⁵ values over the whole float range, every tail length)', () => {
  const rng = new Rng(21);
  // Lengths not divisible by 16 or 4 exercise XNNPACK's remainder paths.
  for (const n of [200003, 1, 2, 3, 5, 17, 31]) {
    const x = n > 100 ? wideValues(rng, n) : Float32Array.from({ length: n }, () => rng.normal() * 5);
    const got = tf.tidy(() => tf.sigmoid(tf.tensor1d(x)).dataSync());
    for (let i = 0; i < n; i++) {
      const expected = sigmoidXnnpack(x[i]);
      assert.ok(Object.is(got[i], expected), `σ(${x[i]}): wasm ${got[i]}, emulation ${expected}`);
    }
  }
});

function run(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, dy: tf.Tensor): { y: Float32Array; dx: Float32Array } {
  return tf.tidy(() => {
    const y = f(x);
    const dx = tf.grad((xi: tf.Tensor) => f(xi))(x, dy);
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
  });
}

test('fused gelu on wasm equals the kernel chain bit for bit: values and gradient', () => {
  const rng = new Rng(22);
  const normal = (n: number, scale: number) => Float32Array.from({ length: n }, () => rng.normal() * scale);
  // A's MLP hidden layer [64·16, 128], the text model's [64·32, 128], B's width, and odd sizes.
  const shapes = [[1024, 128], [2048, 128], [300, 512], [1, 1], [3, 5], [7, 33], [2, 3, 4]];
  const inputs: Record<string, (n: number) => Float32Array> = {
    'N(0,1)': (n) => normal(n, 1),
    'N(0,4²)': (n) => normal(n, 4),
    'wide range and edges': (n) => (n >= EDGES.length ? wideValues(rng, n) : normal(n, 30)),
  };
  for (const shape of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    for (const [name, fill] of Object.entries(inputs)) {
      const x = tf.tensor(fill(n), shape);
      const dy = tf.tensor(normal(n, 1), shape);
      const fused = run(gelu, x, dy);
      const chain = run(geluChain, x, dy);
      for (const key of ['y', 'dx'] as const) {
        const i = firstDifference(fused[key], chain[key]);
        assert.equal(i, -1, `[${shape}] ${name}: ${key}[${i}] at x = ${x.dataSync()[i]}: fused ${fused[key][i]} vs chain ${chain[key][i]}`);
      }
      tf.dispose([x, dy]);
    }
  }
});

test('on wasm, gelu runs the two fused kernels (not the chain), and leaks no tensors', async () => {
  const rng = new Rng(23);
  const x = tf.tensor2d(Float32Array.from({ length: 64 }, () => rng.normal()), [8, 8]);
  const dy = tf.onesLike(x);
  const kernelCalls = async (f: (x: tf.Tensor) => tf.Tensor): Promise<string[]> => {
    const info = await tf.profile(() => tf.grad((xi: tf.Tensor) => f(xi))(x, dy));
    return info.kernels.map((k) => k.name).filter((n) => n !== 'Identity' && tf.getKernel(n, 'wasm') !== undefined);
  };
  const fused = await kernelCalls(gelu);
  const chain = await kernelCalls(geluChain);
  assert.deepEqual(fused, ['MixbenchGelu', 'MixbenchGeluGrad'], `fused path ran ${fused.join(', ')}`);
  assert.ok(chain.includes('Sigmoid') && chain.length >= 15, `the chain runs the tfjs kernels: ${chain.join(', ')}`);
  const n0 = tf.memory().numTensors;
  tf.tidy(() => {
    tf.grad((xi: tf.Tensor) => gelu(xi))(x, dy);
  });
  assert.equal(tf.memory().numTensors, n0);
  tf.dispose([x, dy]);
});
