/**
 * Building blocks in tfjs-core ops, written the way the wasm backend is fast (docs/performance.md):
 * its fast XNNPACK matmul takes only 2-D products without transpose flags, and autodiff of `matMul` uses
 * transposed products, so dense layers get a custom gradient that materialises the transposes; bias and scale
 * gradients are ones·dy products because wasm's Sum over axis 0 is ~15× slower. On the tensorflow backends
 * (tfjs-node, tfjs-node-gpu) and on webgpu the plain ops are used, so the GPU paths do not pay for CPU-specific choices.
 */
import * as tf from '../tf';

let wasmFriendly = true;
let flavour: OpsFlavour = 'wasm';
let tokenGradient: EmbeddingGradient = 'host';

/** Which formulations are in use: `wasm` and `cpu` take the backend-aware ones, `plain` the plain ops and autodiff. */
export type OpsFlavour = 'wasm' | 'cpu' | 'plain';

/** Backends that get the plain ops: native libtensorflow (CPU or CUDA) and WebGPU. */
const PLAIN_BACKENDS = new Set(['tensorflow', 'webgpu']);

/**
 * How the token-embedding gradient is formed (src/model/embedding.ts): `host` scatter-add (wasm, cpu), tf.gather's
 * `native` gradient (tensorflow), or a `selection` matrix product (webgpu, whose UnsortedSegmentSum adds with atomics).
 */
export type EmbeddingGradient = 'host' | 'native' | 'selection';

/** Choose the op formulations for the active backend (called once after the backend loads). */
export function configureOps(backendName: string): void {
  wasmFriendly = !PLAIN_BACKENDS.has(backendName);
  flavour = PLAIN_BACKENDS.has(backendName) ? 'plain' : backendName === 'cpu' ? 'cpu' : 'wasm';
  tokenGradient = backendName === 'webgpu' ? 'selection' : backendName === 'tensorflow' ? 'native' : 'host';
  if (backendName === 'wasm') {
    shareSavedTensors();
    registerFlatKernels();
  }
}

type KernelFunc = tf.KernelConfig['kernelFunc'];
let copyingIdentity: KernelFunc | null = null;

/**
 * tfjs saves a tensor for the backward pass by `clone` (the Identity kernel) for every input or output a kernel's
 * gradient needs and for every tensor a custom gradient saves. tfjs-backend-wasm's Identity copies the buffer (~100 a
 * step of workload A); the cpu backend's shares it and counts a reference, which is all a clone needs, because tfjs
 * tensors are immutable and the wasm backend counts references per buffer (as its Reshape does). So on wasm Identity
 * shares the buffer too.
 */
function shareSavedTensors(): void {
  if (copyingIdentity) return;
  const kernel = tf.getKernel('Identity', 'wasm');
  if (!kernel) return;
  copyingIdentity = kernel.kernelFunc;
  const copy = copyingIdentity;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      if (x.dtype === 'string') return copy(args);
      (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

/** sums[c] = Σ_r v[r·cols + c], rows added in order; storing into a Float32Array rounds each partial sum to float32. */
function addRowsInOrder(v: Float32Array, rows: number, cols: number, sums: Float32Array): void {
  sums.fill(0);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) sums[c] += v[base + c];
  }
}

/** What the flat-buffer kernels use of tfjs-backend-wasm's backend object (tfjs 4.22.0). */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The float32 data of a tensor as a view of the wasm heap (valid until the next allocation may grow the heap). */
const f32 = (heap: WasmHeap, t: tf.TensorInfo) => heap.typedArrayFromHeap(t) as Float32Array;

/** Register one of mixbench's wasm kernels, which read and write the backend's heap directly. */
function registerHeapKernel(
  kernelName: string,
  run: (heap: WasmHeap, inputs: Record<string, tf.TensorInfo>, attrs: Record<string, unknown>) => tf.TensorInfo | tf.TensorInfo[],
): void {
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => run(backend as unknown as WasmHeap, inputs as Record<string, tf.TensorInfo>, attrs as Record<string, unknown>),
  });
}

const FLATTEN = 'MixbenchFlatten';
const LAYER_NORM = 'MixbenchLayerNorm';
const LAYER_NORM_GRAD = 'MixbenchLayerNormGrad';
const COLUMN_SUMS = 'MixbenchColumnSums';
const UNFLATTEN = 'MixbenchUnflatten';

/**
 * Two kernels for the flat parameter buffers of the fused optimizer (src/train/optimizers.ts), each one call that
 * copies between wasm heap views. The generic forms cost one Reshape call per tensor plus Concat/SplitV, and
 * tfjs-backend-wasm's SplitV and Slice copy the whole input to JavaScript for every piece (`readSync`), so splitting
 * a 69k-element buffer into 40 pieces copied 2.8M floats. Outputs are allocated before any heap view is taken
 * (an allocation may grow the heap and detach earlier views).
 */
function registerFlatKernels(): void {
  if (tf.getKernel(FLATTEN, 'wasm')) return;
  registerLayerNormKernels();
  registerHeapKernel(COLUMN_SUMS, (heap, { x }, attrs) => {
    const groups = attrs.groups as number;
    const [rows, cols] = x.shape;
    const out = heap.makeOutput(groups === 1 ? [cols] : [groups, cols], 'float32');
    const v = f32(heap, x);
    const sums = f32(heap, out);
    const per = rows / groups;
    for (let g = 0; g < groups; g++) addRowsInOrder(v.subarray(g * per * cols, (g + 1) * per * cols), per, cols, sums.subarray(g * cols, (g + 1) * cols));
    return out;
  });
  registerHeapKernel(FLATTEN, (heap, inputs) => {
    const parts = Object.values(inputs);
    const total = parts.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    const out = heap.makeOutput([total], 'float32');
    const values = heap.typedArrayFromHeap(out);
    let offset = 0;
    for (const t of parts) {
      const v = heap.typedArrayFromHeap(t);
      values.set(v, offset);
      offset += v.length;
    }
    return out;
  });
  registerHeapKernel(UNFLATTEN, (heap, { x }, attrs) => {
    const outs = (attrs.shapes as number[][]).map((shape) => heap.makeOutput(shape, 'float32'));
    const src = heap.typedArrayFromHeap(x);
    let offset = 0;
    for (const o of outs) {
      const v = heap.typedArrayFromHeap(o);
      v.set(src.subarray(offset, offset + v.length));
      offset += v.length;
    }
    return outs;
  });
}

/** Rows whose reductions run interleaved (independent dependency chains), and their float32 partial sums. */
const ROW_BLOCK = 8;
const blockSums = new Float32Array(ROW_BLOCK);
const blockMeans = new Float32Array(ROW_BLOCK);
const blockDots = new Float32Array(ROW_BLOCK);

/**
 * Forward layer norm of rows × d values, the float32 operation sequence of layerNormChain's wasm kernels: Mean adds in
 * order into a float32 sum and divides by d (tfjs-backend-wasm Mean.cc); Sub, Mul and Add are single float32 ops
 * (XNNPACK, no fused multiply-add); Rsqrt is 1/sqrtf(v) (Rsqrt.cc). Math.fround after each double-precision op gives
 * the float32 result exactly (+, −, ×, ÷ and √ of float32 operands round once to double, then once to float32, which
 * equals rounding once). Stores into the Float32Arrays round too.
 */
function layerNormRows(x: Float32Array, g: Float32Array, b: Float32Array, eps: number, d: number,
  y: Float32Array, xhat: Float32Array, rstd: Float32Array): void {
  const fround = Math.fround;
  const epsF = fround(eps);
  const rows = rstd.length;
  const sums = blockSums;
  const means = blockMeans;
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const n = Math.min(ROW_BLOCK, rows - r0);
    // Each row's sums run in order; a block of rows advances together so the additions of different rows overlap.
    sums.fill(0);
    for (let j = 0; j < d; j++) for (let k = 0, i = r0 * d + j; k < n; k++, i += d) sums[k] += x[i];
    for (let k = 0; k < n; k++) {
      means[k] = sums[k] / d;
      sums[k] = 0;
    }
    for (let j = 0; j < d; j++) {
      for (let k = 0, i = r0 * d + j; k < n; k++, i += d) {
        const c = fround(x[i] - means[k]);
        sums[k] += fround(c * c);
      }
    }
    for (let k = 0; k < n; k++) {
      const rs = fround(1 / fround(Math.sqrt(fround(fround(sums[k] / d) + epsF))));
      const mean = means[k];
      rstd[r0 + k] = rs;
      for (let j = 0, o = (r0 + k) * d; j < d; j++) {
        const h = fround(fround(x[o + j] - mean) * rs);
        xhat[o + j] = h;
        y[o + j] = fround(h * g[j]) + b[j];
      }
    }
  }
}

/**
 * Layer norm's gradient in layerNormChain's float32 operation sequence (see layerNormRows): per row
 * dx = ((dx̂ − mean(dx̂)) − x̂·mean(dx̂·x̂))·r with dx̂ = dy·g; dg and db are column sums with rows added in order, as
 * the column-sums kernel adds them.
 */
function layerNormGradRows(dy: Float32Array, xhat: Float32Array, rstd: Float32Array, g: Float32Array, d: number,
  dx: Float32Array, dg: Float32Array, db: Float32Array): void {
  const fround = Math.fround;
  const rows = rstd.length;
  const sums = blockSums;
  const dots = blockDots;
  dg.fill(0);
  db.fill(0);
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const n = Math.min(ROW_BLOCK, rows - r0);
    sums.fill(0);
    dots.fill(0);
    for (let j = 0; j < d; j++) {
      const gj = g[j];
      for (let k = 0, i = r0 * d + j; k < n; k++, i += d) {
        const dh = fround(dy[i] * gj);
        dots[k] += fround(dh * xhat[i]);
        sums[k] += dh;
      }
    }
    for (let k = 0; k < n; k++) {
      const dotMean = fround(dots[k] / d);
      const mean = fround(sums[k] / d);
      const rs = rstd[r0 + k];
      for (let j = 0, o = (r0 + k) * d; j < d; j++) {
        const h = xhat[o + j];
        const dyj = dy[o + j];
        dx[o + j] = fround(fround(fround(dyj * g[j]) - mean) - fround(h * dotMean)) * rs;
        dg[j] += fround(dyj * h);
        db[j] += dyj;
      }
    }
  }
}

/**
 * Layer norm forward (y, and x̂ and r for the gradient) and backward (dx, dg, db) as one wasm kernel each, replacing
 * 9 and 11 kernel calls of the chain at ~7 µs of engine overhead each.
 */
function registerLayerNormKernels(): void {
  registerHeapKernel(LAYER_NORM, (heap, { x, g, b }, attrs) => {
    const [rows, d] = x.shape;
    const outs = [heap.makeOutput([rows, d], 'float32'), heap.makeOutput([rows, d], 'float32'), heap.makeOutput([rows, 1], 'float32')];
    const [y, xhat, rstd] = outs.map((t) => f32(heap, t));
    layerNormRows(f32(heap, x), f32(heap, g), f32(heap, b), attrs.eps as number, d, y, xhat, rstd);
    return outs;
  });
  registerHeapKernel(LAYER_NORM_GRAD, (heap, { dy, xhat, rstd, g }) => {
    const [rows, d] = dy.shape;
    const outs = [heap.makeOutput([rows, d], 'float32'), heap.makeOutput([d], 'float32'), heap.makeOutput([d], 'float32')];
    const [dx, dg, db] = outs.map((t) => f32(heap, t));
    layerNormGradRows(f32(heap, dy), f32(heap, xhat), f32(heap, rstd), f32(heap, g), d, dx, dg, db);
    return outs;
  });
}

/** The float32 tensors' elements one after another, as one vector. */
export function flattenTensors(tensors: tf.Tensor[]): tf.Tensor1D {
  if (tf.getBackend() === 'wasm' && tf.getKernel(FLATTEN, 'wasm') && tensors.every((t) => t.dtype === 'float32')) {
    return tf.engine().runKernel(FLATTEN, tensors as unknown as tf.NamedTensorMap, {}) as tf.Tensor1D;
  }
  return tf.concat(tensors.map((t) => t.reshape([t.size]))) as tf.Tensor1D;
}

/** A float32 vector cut into consecutive pieces of the given shapes (the inverse of flattenTensors). */
export function unflattenTensor(flat: tf.Tensor1D, shapes: number[][]): tf.Tensor[] {
  if (tf.getBackend() === 'wasm' && tf.getKernel(UNFLATTEN, 'wasm') && flat.dtype === 'float32') {
    const out = tf.engine().runKernel(UNFLATTEN, { x: flat }, { shapes } as unknown as tf.NamedAttrMap);
    return Array.isArray(out) ? out : [out];
  }
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  return tf.split(flat, sizes).map((p, i) => p.reshape(shapes[i]));
}

/** Put tfjs-backend-wasm's copying Identity kernel back (benchmarks measure the difference). */
export function useCopyingIdentity(): void {
  if (!copyingIdentity) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: copyingIdentity });
  copyingIdentity = null;
}

export function embeddingGradient(): EmbeddingGradient {
  return tokenGradient;
}

export function opsFlavour(): OpsFlavour {
  return flavour;
}

/** tf.customGrad with a typed signature (tfjs types the callback's arguments as one union array). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function customGrad(f: (...args: any[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] }) {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as (...inputs: tf.Tensor[]) => tf.Tensor;
}

function onesRow(n: number): tf.Tensor2D {
  return tf.ones([1, n]);
}

/** Column sums of a 2-D tensor as a [cols] vector, via ones[1,N]·x. */
export function sumRows(x: tf.Tensor2D): tf.Tensor1D {
  return tf.matMul(onesRow(x.shape[0]), x).reshape([x.shape[1]]);
}

/**
 * Column sums of a 2-D tensor whose matmul operator is not cached (a fresh tensor). On wasm, one kernel that adds the
 * rows in order in float32 on the heap: bit for bit what XNNPACK's ones[1,N]·x computes (its GEMM accumulates the
 * products in order, without fused multiply-add; test/perf-ops.test.ts checks it), without the ~5 ns per element
 * XNNPACK spends packing a fresh right operand (0.35 ms for [1024, 64], ten times the sum itself). Elsewhere sumRows.
 */
export function columnSums(x: tf.Tensor2D): tf.Tensor1D {
  if (tf.getBackend() === 'wasm' && tf.getKernel(COLUMN_SUMS, 'wasm') && x.dtype === 'float32') {
    return tf.engine().runKernel(COLUMN_SUMS, { x }, { groups: 1 }) as tf.Tensor1D;
  }
  return sumRows(x);
}

/** Column sums of each of `groups` consecutive equal blocks of rows: [groups·M, n] → [groups, n], same order. */
export function groupedColumnSums(x: tf.Tensor2D, groups: number): tf.Tensor2D {
  if (tf.getBackend() === 'wasm' && tf.getKernel(COLUMN_SUMS, 'wasm') && x.dtype === 'float32') {
    return (tf.engine().runKernel(COLUMN_SUMS, { x }, { groups }) as tf.Tensor).reshape([groups, x.shape[1]]);
  }
  const [R, n] = x.shape;
  const rows = R / groups;
  return tf.concat(Array.from({ length: groups }, (_, g) => sumRows(x.slice([g * rows, 0], [rows, n])).reshape([1, n])), 0) as tf.Tensor2D;
}

const denseWasm = customGrad((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  const x2 = x as tf.Tensor2D;
  const w2 = w as tf.Tensor2D;
  save([x2, w2]);
  return {
    value: tf.add(tf.matMul(x2, w2), b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(ws)), tf.matMul(transpose2d(xs), dy2), sumRows(dy2)];
    },
  };
});

/**
 * xᵀ for a 2-D x [N, K]. tfjs-backend-wasm's Transpose is cache-hostile on tall matrices ([4096, 512] took 15 ms,
 * as long as the matmul it feeds), but fast on small inner blocks, so tall matrices are transposed in two blocked
 * steps: [N/b, b, K] → [N/b, K, b] → [K, N/b, b] (8× faster at [4096, 512]; docs/performance.md).
 */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  const [N, K] = x.shape;
  if (flavour !== 'wasm' || N < 256 || N <= K) return tf.transpose(x);
  const b = K > 256 ? 16 : 32;
  if (N % b !== 0) return tf.transpose(x);
  return tf.transpose(tf.transpose(x.reshape([N / b, b, K]), [0, 2, 1]), [1, 0, 2]).reshape([K, N]);
}

/** x·W + b for x [N, in], W [in, out], b [out]. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (!wasmFriendly) return tf.add(tf.matMul(x, w), b);
  return denseWasm(x, w, b) as tf.Tensor2D;
}

/** Layer normalisation over the last axis of x [N, d] with gain g and bias b. */
export function layerNorm(x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, eps = 1e-5): tf.Tensor2D {
  if (!wasmFriendly) {
    const mean = tf.mean(x, -1, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.mul(centred, centred), -1, true);
    const xhat = tf.mul(centred, tf.rsqrt(tf.add(variance, eps))) as tf.Tensor2D;
    return tf.add(tf.mul(xhat, g), b);
  }
  if (x.size <= FUSED_LAYER_NORM_MAX_SIZE && tf.getBackend() === 'wasm' && tf.getKernel(LAYER_NORM, 'wasm') && x.dtype === 'float32') {
    return layerNormFused(x, g, b, eps);
  }
  return layerNormChain(x, g, b, eps);
}

/**
 * Layer norm with its gradient written out as a chain of tfjs kernels (about a third of autodiff's kernel calls, and
 * fewer saved tensors): the cpu backend's formulation, and wasm's for all but small x, whose float32 operation
 * sequence the fused kernels reproduce bit for bit (test/layernorm-fused.test.ts compares the two).
 *   x̂ = (x − μ)·r, r = 1/√(σ² + ε);  dx = r·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dx̂ = dy·g;  dg = Σ dy·x̂;  db = Σ dy.
 */
export function layerNormChain(x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, eps = 1e-5): tf.Tensor2D {
  const op = customGrad((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    const centred = tf.sub(xi, tf.mean(xi, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.mul(centred, centred), -1, true), eps));
    const xhat = tf.mul(centred, rstd);
    save([xhat, rstd, gi]);
    return {
      value: tf.add(tf.mul(xhat, gi), bi),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gs] = saved;
        const dxhat = tf.mul(dy, gs);
        const dotTerm = tf.mul(xh, tf.mean(tf.mul(dxhat, xh), -1, true));
        const dx = tf.mul(tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), dotTerm), rs);
        return [dx, columnSums(tf.mul(dy, xh) as tf.Tensor2D), columnSums(dy as tf.Tensor2D)];
      },
    };
  });
  return op(x, g, b) as tf.Tensor2D;
}

/**
 * Largest x (elements) that layerNorm gives to the fused kernels. They save 18 kernel calls, but their float32
 * emulation in JavaScript costs more per element than the chain's SIMD kernels: forward + backward on wasm took
 * 0.7–0.9× the chain's CPU time up to [96, 64] and 1.06× at [128, 64], 1.7× at [1024, 64] (docs/performance.md).
 */
const FUSED_LAYER_NORM_MAX_SIZE = 6144;

/** The same layer norm as layerNormChain in two wasm kernels (forward; dx, dg, db), 18 kernel calls fewer; wasm only. */
export function layerNormFused(x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, eps = 1e-5): tf.Tensor2D {
  const op = customGrad((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, xhat, rstd] = tf.engine().runKernel(LAYER_NORM, { x: xi, g: gi, b: bi }, { eps }) as tf.Tensor[];
    save([xhat, rstd, gi]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gs] = saved;
        return tf.engine().runKernel(LAYER_NORM_GRAD, { dy, xhat: xh, rstd: rs, g: gs }, {}) as tf.Tensor[];
      },
    };
  });
  return op(x, g, b) as tf.Tensor2D;
}

/**
 * tfjs-backend-wasm caches its XNNPACK matmul operator by the data id of the right operand, and reshape keeps the
 * data id: a tensor used as the right operand under two shapes gets the first shape's operator and aborts
 * ("memory access out of bounds"). `dy` here is reshaped and reused by the patch embedding's gradient, so the
 * row sum works on a copy.
 */
const addRowWasm = customGrad((x: tf.Tensor, row: tf.Tensor, _save: tf.GradSaveFunc) => ({
  value: tf.add(x, row),
  gradFunc: (dy: tf.Tensor) => [dy, sumRows(tf.mul(dy, 1) as tf.Tensor2D).reshape(row.shape)],
}));

/** x [N, m] + row [m] (broadcast over rows): position embeddings added to [B, T·d]. */
export function addRow(x: tf.Tensor2D, row: tf.Tensor): tf.Tensor2D {
  if (!wasmFriendly) return tf.add(x, row);
  return addRowWasm(x, row) as tf.Tensor2D;
}

const TWO_SQRT_2_OVER_PI = 2 * Math.sqrt(2 / Math.PI);

/**
 * GELU, tanh approximation, written as x·σ(2u) = x·½(1 + tanh u) with u = √(2/π)(x + 0.044715x³): identical
 * maths, but wasm's Sigmoid is ~17× faster than its Tanh, and it is two ops fewer. x·x·x rather than pow(x, 3),
 * whose gradient also takes a logarithm.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  if (wasmFriendly) return geluWasm(x) as T;
  const x2 = tf.mul(x, x);
  const inner = tf.mul(x, tf.add(tf.mul(x2, GELU_C3), TWO_SQRT_2_OVER_PI));
  return tf.mul(x, tf.sigmoid(inner)) as T;
}

const GELU_C3 = 0.044715 * TWO_SQRT_2_OVER_PI;

/** GELU with a written-out gradient: d/dx x·σ(u) = σ(u) + x·σ(u)(1 − σ(u))·u′, u′ = 2√(2/π)(1 + 3·0.044715x²). */
const geluWasm = customGrad((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const s = tf.sigmoid(tf.mul(x, tf.add(tf.mul(tf.mul(x, x), GELU_C3), TWO_SQRT_2_OVER_PI)));
  save([x, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ss] = saved;
      const du = tf.add(tf.mul(tf.mul(xs, xs), 3 * GELU_C3), TWO_SQRT_2_OVER_PI);
      const slope = tf.add(ss, tf.mul(tf.mul(ss, tf.sub(1, ss)), tf.mul(xs, du)));
      return [tf.mul(dy, slope)];
    },
  };
});

/** Inverse of a permutation. */
export function inversePermutation(perm: Int32Array): Int32Array {
  const inv = new Int32Array(perm.length);
  for (let i = 0; i < perm.length; i++) inv[perm[i]] = i;
  return inv;
}

/**
 * Rows of x in the order `perm` (x[perm[i]] at row i) along axis 0, differentiable on every backend: tf.gather's
 * own gradient needs UnsortedSegmentSum, which wasm lacks, but a permutation's gradient is the inverse gather.
 */
export function permuteRows<T extends tf.Tensor>(x: T, perm: Int32Array): T {
  // Index tensors are made inside the forward and gradient functions: tensors captured from outside would be
  // disposed by variableGrads' tidy before the gradient runs.
  const op = customGrad((t: tf.Tensor, _save: tf.GradSaveFunc) => ({
    value: tf.gather(t, tf.tensor1d(perm, 'int32'), 0),
    gradFunc: (dy: tf.Tensor) => [tf.gather(dy, tf.tensor1d(inversePermutation(perm), 'int32'), 0)],
  }));
  return op(x) as T;
}

/** λ·a + (1−λ)·b. */
export function lerp<T extends tf.Tensor>(a: T, b: T, lambda: number): T {
  if (lambda === 1) return a;
  return tf.add(tf.mul(a, lambda), tf.mul(b, 1 - lambda)) as T;
}

/** Per-example cross-entropy with soft targets q [B, K]: −Σ_k q_k log softmax(z)_k, as [B]. */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), -1)) as tf.Tensor1D;
}

export function dropout<T extends tf.Tensor>(x: T, rate: number, training: boolean, nextSeed?: () => number): T {
  if (!training || rate === 0) return x;
  if (!nextSeed) throw new Error('dropout during training needs a seed source');
  return tf.dropout(x, rate, undefined, nextSeed()) as T;
}

/**
 * One-hot targets [n, k] built on the host. (tfjs-backend-wasm 4.22's OneHot kernel writes int32 bits even when
 * float32 is requested, which reads back as denormals ~1e-45 and silently zeroes the loss.)
 */
export function oneHot(labels: Int32Array, k: number): tf.Tensor2D {
  const out = new Float32Array(labels.length * k);
  for (let i = 0; i < labels.length; i++) out[i * k + labels[i]] = 1;
  return tf.tensor2d(out, [labels.length, k]);
}
