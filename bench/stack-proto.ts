/**
 * Prototype measurement for issue 15 §2: do K runs that share a model shape train faster as one stacked computation
 * (weights with a leading model axis) than as K separate steps, on wasm?
 *
 *   node dist/bench/stack-proto.js [--shapes A,short] [--k 1,2,4,8] [--forms split,grouped,blockdiag,batched]
 *                                  [--repeats 5] [--steps 4] [--json FILE]
 *
 * Contenders, each a full training step (forward, backward, the fused AdamW) of K ViTs on K different batches:
 *   separate   K ordinary steps of the real model (src/model/transformer.ts, src/train/step.ts), one after another;
 *   split      rows grouped by model ([K·N, d]); every dense layer splits its rows and weights into K 2-D matmuls
 *              (XNNPACK's fast path) and concatenates; LayerNorm, GELU, residuals, attention (as a batch of K·B
 *              sequences), pooling, loss and optimizer run once over all K;
 *   grouped    the same layout; every dense layer is one depthwise convolution with the model as the channel
 *              (out[n,k,o] = Σᵢ x[n,i,k]·w[i,k,o], channel multiplier = out), as src/model/attention.ts does for heads;
 *   blockdiag  models side by side in the columns ([N, K·d]): every dense layer is one matmul with a block-diagonal
 *              [K·in, K·out] weight (K× the multiply-adds, one call), attention as K·H heads;
 *   batched    rows grouped by model; dense layers as one batched 3-D matMul [K, N, in]·[K, in, out].
 * Shapes: A = 8×8×1 digits, 2×2 patches, dim 64, depth 2, 4 heads, MLP 128, batch 64 (workload A);
 *         short = the same images, dim 32, depth 1, 2 heads, MLP 64, batch 32 (the short-run sweep of bench/sweep.ts).
 * Times are this process's CPU time per model-step (robust to other processes; wasm runs on one thread), contenders
 * interleaved step by step in rotating order; the table shows medians over repeats and the ratio separate ÷ stacked
 * (> 1: stacking pays). Before timing, each stacked form's loss and gradients are checked against K separate models.
 */
import * as os from 'node:os';
import { writeFileSync } from 'node:fs';
import * as tf from '../src/tf';
import { loadBackend } from '../src/backend';
import { configureOps, customGrad, gelu, groupedColumnSums, oneHot, softCrossEntropy, transpose2d, unflattenTensor } from '../src/model/ops';
import { multiHeadAttention } from '../src/model/attention';
import { buildModel } from '../src/model/build';
import type { Model } from '../src/model/types';
import type { ResolvedTransformer } from '../src/core/experiment';
import { resolveTrain } from '../src/config/resolve';
import { createOptimizer, type Optimizer } from '../src/train/optimizers';
import { makeStepLoss, plainGradients } from '../src/train/step';
import { Rng } from '../src/util/rng';
import { instrumentKernels } from './profile';
import { arg, formatLoad, median } from './util';

type Form = 'split' | 'grouped' | 'blockdiag' | 'batched';

interface Shape {
  id: string;
  cfg: ResolvedTransformer;
  batch: number;
  image: [number, number, number];
  classes: number;
}

const SHAPES: Shape[] = [
  { id: 'A', cfg: { type: 'transformer', dim: 64, depth: 2, heads: 4, mlpDim: 128, patch: 2, pool: 'mean', dropout: 0 }, batch: 64, image: [8, 8, 1], classes: 10 },
  { id: 'short', cfg: { type: 'transformer', dim: 32, depth: 1, heads: 2, mlpDim: 64, patch: 2, pool: 'mean', dropout: 0 }, batch: 32, image: [8, 8, 1], classes: 10 },
];

// ---------------------------------------------------------------------------------------------------------------
// Stacked operations, rows grouped by model: x [K·M, in].

/** xᵀ per model for x [K, M, in] → [K, in, M], blocked like transpose2d (wasm's Transpose is slow on tall inputs). */
function transposeRows(x: tf.Tensor3D): tf.Tensor3D {
  const [K, M, I] = x.shape;
  const b = 32;
  if (M < 256 || M <= I || M % b !== 0) return tf.transpose(x, [0, 2, 1]);
  return tf.transpose(tf.transpose(x.reshape([K, M / b, b, I]), [0, 1, 3, 2]), [0, 2, 1, 3]).reshape([K, I, M]);
}

/**
 * K equal consecutive pieces of t along its first axis, as 2-D tensors: one call that copies heap views
 * (tf.split's SplitV on wasm copies the whole input to JavaScript once per piece).
 */
function splitRows(t: tf.Tensor, K: number): tf.Tensor[] {
  const rows = t.shape.length === 3 ? t.shape[1] : t.shape[0] / K;
  const cols = t.shape[t.shape.length - 1];
  return unflattenTensor(t.reshape([t.size]) as tf.Tensor1D, Array.from({ length: K }, () => [rows, cols]));
}

/** y[k] = x[k]·W[k] + b[k] via K 2-D matmuls. */
const denseSplit = customGrad((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  const [K, I, O] = w.shape;
  const M = x.shape[0] / K;
  save([x, w]);
  const xs = splitRows(x, K) as tf.Tensor2D[];
  const ws = splitRows(w, K) as tf.Tensor2D[];
  const y = tf.concat(xs.map((xk, k) => tf.matMul(xk, ws[k])), 0);
  return {
    value: tf.add(y.reshape([K, M, O]), b.reshape([K, 1, O])).reshape([K * M, O]),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs0, ws0] = saved;
      const dys = splitRows(dy, K) as tf.Tensor2D[];
      const wts = splitRows(tf.transpose(ws0, [0, 2, 1]), K) as tf.Tensor2D[];
      const dx = tf.concat(dys.map((d, k) => tf.matMul(d, wts[k])), 0);
      const xts = splitRows(transposeRows(xs0.reshape([K, M, I]) as tf.Tensor3D), K) as tf.Tensor2D[];
      const dw = tf.concat(dys.map((d, k) => tf.matMul(xts[k], d)), 0).reshape([K, I, O]);
      // Bias: ones·dy_k reuses the operator XNNPACK just built (and packed) for dy_k as the right operand of dW_k.
      const db = tf.concat(dys.map((d) => tf.matMul(tf.ones([1, M]), d)), 0);
      return [dx, dw, db];
    },
  };
});

/** out[y, c, m] = Σ_k x[y, k, c]·w[k, c, m] as one depthwise convolution (c = model). */
function channelProduct(x: tf.Tensor3D, w: tf.Tensor3D): tf.Tensor3D {
  const [Y, Kd, C] = x.shape;
  const Mo = w.shape[2];
  return tf.depthwiseConv2d(x.reshape([1, Y, Kd, C]) as tf.Tensor4D, w.reshape([1, Kd, C, Mo]) as tf.Tensor4D, 1, 'valid').reshape([Y, C, Mo]);
}

/** y[k] = x[k]·W[k] + b[k] as a depthwise convolution over the model channel. */
const denseGrouped = customGrad((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  const [K, I, O] = w.shape;
  const M = x.shape[0] / K;
  const xc = tf.transpose(x.reshape([K, M, I]), [1, 2, 0]) as tf.Tensor3D; // [M, I, K]
  const wc = tf.transpose(w, [1, 0, 2]) as tf.Tensor3D; // [I, K, O]
  save([xc, wc]);
  const y = channelProduct(xc, wc); // [M, K, O]
  return {
    value: tf.transpose(tf.add(y, b.reshape([1, K, O])), [1, 0, 2]).reshape([K * M, O]),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs0, ws0] = saved as tf.Tensor3D[];
      const dyc = tf.transpose(dy.reshape([K, M, O]), [1, 0, 2]) as tf.Tensor3D; // [M, K, O]
      // dx[m,i,k] = Σ_o dy[m,k,o]·w[i,k,o] → channelProduct(dy as [M, O, K], w as [O, K, I]) = [M, K, I]
      const dx = channelProduct(tf.transpose(dyc, [0, 2, 1]), tf.transpose(ws0, [2, 1, 0])); // [M, K, I]
      // dw[i,k,o] = Σ_m x[m,i,k]·dy[m,k,o] → channelProduct(x as [I, M, K], dy) = [I, K, O]
      const dw = channelProduct(tf.transpose(xs0, [1, 0, 2]), dyc);
      const db = tf.sum(dyc, 0);
      return [tf.transpose(dx, [1, 0, 2]).reshape([K * M, I]), tf.transpose(dw, [1, 0, 2]), db];
    },
  };
});

/** y[k] = x[k]·W[k] + b[k] as one batched matMul. */
function denseBatched(x: tf.Tensor2D, w: tf.Tensor3D, b: tf.Tensor2D): tf.Tensor2D {
  const [K, , O] = w.shape;
  const M = x.shape[0] / K;
  const y = tf.matMul(x.reshape([K, M, w.shape[1]]) as tf.Tensor3D, w);
  return tf.add(y, b.reshape([K, 1, O])).reshape([K * M, O]);
}

/** LayerNorm of rows grouped by model with per-model gain and bias [K, d]; written-out gradient as in ops.ts. */
const layerNormStacked = customGrad((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  const [K, d] = g.shape;
  const M = x.shape[0] / K;
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.mul(centred, centred), -1, true), 1e-5));
  const xhat = tf.mul(centred, rstd);
  save([xhat, rstd, g]);
  return {
    value: tf.add(tf.mul(xhat.reshape([K, M, d]), g.reshape([K, 1, d])), b.reshape([K, 1, d])).reshape([K * M, d]),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xh, rs, gs] = saved;
      const dxhat = tf.mul(dy.reshape([K, M, d]), gs.reshape([K, 1, d])).reshape([K * M, d]);
      const dotTerm = tf.mul(xh, tf.mean(tf.mul(dxhat, xh), -1, true));
      const dx = tf.mul(tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), dotTerm), rs);
      return [dx, groupedColumnSums(tf.mul(dy, xh) as tf.Tensor2D, K), groupedColumnSums(dy as tf.Tensor2D, K)];
    },
  };
});

/** x [K·B, T·d] + pos[k] [T·d] for the rows of model k. */
const addPosStacked = customGrad((x: tf.Tensor, pos: tf.Tensor, _save: tf.GradSaveFunc) => {
  const [K, n] = pos.shape;
  const B = x.shape[0] / K;
  return {
    value: tf.add(x.reshape([K, B, n]), pos.reshape([K, 1, n])).reshape([K * B, n]),
    gradFunc: (dy: tf.Tensor) => [dy, groupedColumnSums(dy as tf.Tensor2D, K)],
  };
});

// ---------------------------------------------------------------------------------------------------------------
// Columns side by side: x [N, K·d].

/** The block-diagonal [K·I, K·O] matrix of W [K, I, O] (gradient: the diagonal blocks of the upstream gradient). */
function blockDiagonal(w: tf.Tensor3D): tf.Tensor2D {
  const [K, I, O] = w.shape;
  const eye = new Float32Array(K * K);
  for (let k = 0; k < K; k++) eye[k * K + k] = 1;
  return tf.mul(w.reshape([K, I, 1, O]), tf.tensor4d(eye, [K, 1, K, 1])).reshape([K * I, K * O]) as tf.Tensor2D;
}

const denseWide = customGrad((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(ws)), tf.matMul(transpose2d(xs), dy2), tf.matMul(tf.ones([1, dy2.shape[0]]), dy2).reshape([dy2.shape[1]])];
    },
  };
});

/** LayerNorm of each model's d columns of x [N, K·d] with gains [K·d]. */
function makeLayerNormWide(K: number, d: number) {
  return customGrad((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const N = x.shape[0];
    const x3 = x.reshape([N * K, d]);
    const centred = tf.sub(x3, tf.mean(x3, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.mul(centred, centred), -1, true), 1e-5));
    const xhat = tf.mul(centred, rstd).reshape([N, K * d]);
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gs] = saved;
        const dxhat = tf.mul(dy, gs).reshape([N * K, d]);
        const xh3 = xh.reshape([N * K, d]);
        const dotTerm = tf.mul(xh3, tf.mean(tf.mul(dxhat, xh3), -1, true));
        const dx = tf.mul(tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), dotTerm), rs).reshape([N, K * d]);
        const ones = tf.ones([1, N]);
        return [dx, tf.matMul(ones, tf.mul(dy, xh) as tf.Tensor2D).reshape([K * d]), tf.matMul(ones, tf.mul(dy, 1) as tf.Tensor2D).reshape([K * d])];
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------

interface StackedBlock {
  ln1g: tf.Variable; ln1b: tf.Variable; wq: tf.Variable; bq: tf.Variable; wk: tf.Variable; bk: tf.Variable;
  wv: tf.Variable; bv: tf.Variable; wo: tf.Variable; bo: tf.Variable; ln2g: tf.Variable; ln2b: tf.Variable;
  w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable;
}

/** K ViTs as one set of variables with a leading model axis, initialised from K ordinary models (same weights). */
class StackedVit {
  readonly variables: tf.Variable[] = [];
  private readonly v: Record<string, tf.Variable> = {};
  readonly tokens: number;
  readonly patchDim: number;

  constructor(readonly shape: Shape, readonly K: number, readonly form: Form, models: Model[]) {
    const [H, W, C] = shape.image;
    const p = shape.cfg.patch;
    this.tokens = (H / p) * (W / p);
    this.patchDim = p * p * C;
    const names = models[0].variables.map((x) => x.name.replace(/^[a-z]+\d+\//, ''));
    names.forEach((name, i) => {
      const stacked = tf.stack(models.map((m) => m.variables[i]));
      const variable = tf.variable(stacked, true, `stacked-${form}-${K}-${Math.random()}/${name}`);
      stacked.dispose();
      this.v[name] = variable;
      this.variables.push(variable);
    });
  }

  private block(l: number): StackedBlock {
    const n = `block${l}/`;
    const g = (s: string) => this.v[n + s];
    return {
      ln1g: g('ln1/g'), ln1b: g('ln1/b'), wq: g('q/w'), bq: g('q/b'), wk: g('k/w'), bk: g('k/b'), wv: g('v/w'), bv: g('v/b'),
      wo: g('o/w'), bo: g('o/b'), ln2g: g('ln2/g'), ln2b: g('ln2/b'), w1: g('mlp1/w'), b1: g('mlp1/b'), w2: g('mlp2/w'), b2: g('mlp2/b'),
    };
  }

  /** Patches of K batches [K·B, H, W, C] → [K·B·T, P]. */
  private patchify(x: tf.Tensor): tf.Tensor2D {
    const [H, W, C] = this.shape.image;
    const p = this.shape.cfg.patch;
    const R = x.shape[0];
    return tf.transpose(x.reshape([R, H / p, p, W / p, p, C]), [0, 1, 3, 2, 4, 5]).reshape([R * this.tokens, this.patchDim]) as tf.Tensor2D;
  }

  /** Per-model mean cross-entropy, summed over models; x [K·B, ...] and one-hot y [K·B, classes], model-major. */
  loss(x: tf.Tensor, y: tf.Tensor2D): tf.Scalar {
    const logits = this.form === 'blockdiag' ? this.forwardWide(x) : this.forwardRows(x);
    const per = softCrossEntropy(logits, y);
    return tf.sum(tf.mean(per.reshape([this.K, -1]), 1)) as tf.Scalar;
  }

  private dense(x: tf.Tensor2D, w: tf.Variable, b: tf.Variable): tf.Tensor2D {
    if (this.form === 'split') return denseSplit(x, w, b) as tf.Tensor2D;
    if (this.form === 'grouped') return denseGrouped(x, w, b) as tf.Tensor2D;
    return denseBatched(x, w as unknown as tf.Tensor3D, b as unknown as tf.Tensor2D);
  }

  private forwardRows(x: tf.Tensor): tf.Tensor2D {
    const { dim, heads } = this.shape.cfg;
    const T = this.tokens;
    const KB = x.shape[0];
    let h = this.dense(this.patchify(x), this.v['patch/w'], this.v['patch/b']);
    h = addPosStacked(h.reshape([KB, T * dim]), this.v.pos).reshape([KB * T, dim]) as tf.Tensor2D;
    for (let l = 0; l < this.shape.cfg.depth; l++) {
      const blk = this.block(l);
      const a = layerNormStacked(h, blk.ln1g, blk.ln1b) as tf.Tensor2D;
      const merged = multiHeadAttention({
        q: this.dense(a, blk.wq, blk.bq), k: this.dense(a, blk.wk, blk.bk), v: this.dense(a, blk.wv, blk.bv),
        batch: KB, tokens: T, heads, layer: l,
      });
      h = tf.add(h, this.dense(merged, blk.wo, blk.bo));
      const m = layerNormStacked(h, blk.ln2g, blk.ln2b) as tf.Tensor2D;
      h = tf.add(h, this.dense(gelu(this.dense(m, blk.w1, blk.b1)), blk.w2, blk.b2));
    }
    const pooled = tf.mean(h.reshape([KB, T, dim]), 1) as tf.Tensor2D;
    return this.dense(layerNormStacked(pooled, this.v['lnf/g'], this.v['lnf/b']) as tf.Tensor2D, this.v['head/w'], this.v['head/b']);
  }

  private forwardWide(x: tf.Tensor): tf.Tensor2D {
    const { K } = this;
    const { dim, heads } = this.shape.cfg;
    const T = this.tokens;
    const B = x.shape[0] / K;
    const N = B * T;
    const ln = makeLayerNormWide(K, dim);
    const dense = (inp: tf.Tensor2D, w: tf.Variable, b: tf.Variable) =>
      denseWide(inp, blockDiagonal(w as unknown as tf.Tensor3D), b.reshape([-1])) as tf.Tensor2D;
    const flat = (t: tf.Variable) => t.reshape([-1]);
    // [K·B·T, P] → [B·T, K·P]
    const patches = tf.transpose(this.patchify(x).reshape([K, N, this.patchDim]), [1, 0, 2]).reshape([N, K * this.patchDim]) as tf.Tensor2D;
    let h = dense(patches, this.v['patch/w'], this.v['patch/b']);
    const pos = tf.transpose(this.v.pos.reshape([K, T, dim]), [1, 0, 2]).reshape([1, T * K * dim]);
    h = tf.add(h.reshape([B, T * K * dim]), pos).reshape([N, K * dim]);
    for (let l = 0; l < this.shape.cfg.depth; l++) {
      const blk = this.block(l);
      const a = ln(h, flat(blk.ln1g), flat(blk.ln1b)) as tf.Tensor2D;
      const merged = multiHeadAttention({ q: dense(a, blk.wq, blk.bq), k: dense(a, blk.wk, blk.bk), v: dense(a, blk.wv, blk.bv), batch: B, tokens: T, heads: heads * K, layer: l });
      h = tf.add(h, dense(merged, blk.wo, blk.bo));
      const m = ln(h, flat(blk.ln2g), flat(blk.ln2b)) as tf.Tensor2D;
      h = tf.add(h, dense(gelu(dense(m, blk.w1, blk.b1)), blk.w2, blk.b2));
    }
    const pooled = tf.mean(h.reshape([B, T, K * dim]), 1) as tf.Tensor2D;
    const logits = dense(ln(pooled, flat(this.v['lnf/g']), flat(this.v['lnf/b'])) as tf.Tensor2D, this.v['head/w'], this.v['head/b']);
    const C = this.shape.classes;
    return tf.transpose(logits.reshape([B, K, C]), [1, 0, 2]).reshape([K * B, C]) as tf.Tensor2D;
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------

interface Data {
  xs: Float32Array[];
  ys: Int32Array[];
}

function data(shape: Shape, K: number, batches: number, rng: Rng): Data[] {
  const size = shape.image.reduce((a, b) => a * b, 1);
  return Array.from({ length: batches }, () => ({
    xs: Array.from({ length: K }, () => new Float32Array(shape.batch * size).map(() => rng.uniform())),
    ys: Array.from({ length: K }, () => Int32Array.from({ length: shape.batch }, () => rng.int(shape.classes))),
  }));
}

interface Contender {
  name: string;
  step(d: Data): void;
  times: number[];
  dispose(): void;
}

function separate(shape: Shape, K: number): Contender {
  const cfg = resolveTrain({ optimizer: 'adamw' });
  const models = Array.from({ length: K }, (_, k) => buildModel(shape.cfg, { modality: 'image', shape: shape.image, numClasses: shape.classes }, 100 + k));
  const opts = models.map((m) => createOptimizer(cfg, m.variables));
  return {
    name: 'separate',
    times: [],
    step(d) {
      models.forEach((model, k) => {
        tf.tidy(() => {
          const x = tf.tensor(d.xs[k], [shape.batch, ...shape.image]);
          const lossFn = makeStepLoss(model, [], { x, y: oneHot(d.ys[k], shape.classes) }, () => 1);
          const { loss, grads } = plainGradients(lossFn, model.variables);
          opts[k].apply(grads, cfg.lr);
          return loss;
        }).dispose();
      });
    },
    dispose() {
      opts.forEach((o) => o.dispose());
      models.forEach((m) => m.dispose());
    },
  };
}

function stackedInputs(shape: Shape, d: Data): { x: tf.Tensor; y: tf.Tensor2D } {
  const size = shape.image.reduce((a, b) => a * b, 1);
  const K = d.xs.length;
  const all = new Float32Array(K * shape.batch * size);
  d.xs.forEach((x, k) => all.set(x, k * shape.batch * size));
  const labels = new Int32Array(K * shape.batch);
  d.ys.forEach((y, k) => labels.set(y, k * shape.batch));
  return { x: tf.tensor(all, [K * shape.batch, ...shape.image]), y: oneHot(labels, shape.classes) };
}

function stacked(shape: Shape, K: number, form: Form): Contender & { net: StackedVit; opt: Optimizer } {
  const cfg = resolveTrain({ optimizer: 'adamw' });
  const models = Array.from({ length: K }, (_, k) => buildModel(shape.cfg, { modality: 'image', shape: shape.image, numClasses: shape.classes }, 100 + k));
  const net = new StackedVit(shape, K, form, models);
  models.forEach((m) => m.dispose());
  const opt = createOptimizer(cfg, net.variables);
  return {
    name: form,
    net,
    opt,
    times: [],
    step(d) {
      tf.tidy(() => {
        const { x, y } = stackedInputs(shape, d);
        const { value, grads } = tf.variableGrads(() => net.loss(x, y), net.variables);
        opt.apply(grads, cfg.lr);
        return value;
      }).dispose();
    },
    dispose() {
      opt.dispose();
      net.dispose();
    },
  };
}

/** Loss and gradients of a stacked form against K separate models (same weights, same batches): max relative error. */
function check(shape: Shape, K: number, form: Form, d: Data): number {
  const models = Array.from({ length: K }, (_, k) => buildModel(shape.cfg, { modality: 'image', shape: shape.image, numClasses: shape.classes }, 100 + k));
  const net = new StackedVit(shape, K, form, models);
  let worst = 0;
  tf.tidy(() => {
    const { x, y } = stackedInputs(shape, d);
    const { value, grads } = tf.variableGrads(() => net.loss(x, y), net.variables);
    let lossSum = 0;
    models.forEach((model, k) => {
      const xk = tf.tensor(d.xs[k], [shape.batch, ...shape.image]);
      const r = plainGradients(makeStepLoss(model, [], { x: xk, y: oneHot(d.ys[k], shape.classes) }, () => 1), model.variables);
      lossSum += r.loss.dataSync()[0];
      model.variables.forEach((v, i) => {
        const g = r.grads[v.name].dataSync();
        const s = grads[net.variables[i].name].dataSync().subarray(k * v.size, (k + 1) * v.size);
        let num = 0;
        let den = 0;
        for (let j = 0; j < g.length; j++) { num = Math.max(num, Math.abs(g[j] - s[j])); den = Math.max(den, Math.abs(g[j])); }
        worst = Math.max(worst, num / (den + 1e-12));
      });
    });
    worst = Math.max(worst, Math.abs(value.dataSync()[0] - lossSum) / lossSum);
  });
  net.dispose();
  models.forEach((m) => m.dispose());
  return worst;
}

/** Kernel calls and CPU time per kernel of one contender's step (`--profile FORM`, first shape and K given). */
function profile(shape: Shape, K: number, form: Form | 'separate', steps: number, backend: string): void {
  const c = form === 'separate' ? separate(shape, K) : stacked(shape, K, form);
  const d = data(shape, K, 2, new Rng(3));
  for (let i = 0; i < 3; i++) c.step(d[i % 2]);
  const prof = instrumentKernels(backend);
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) c.step(d[i % 2]);
  const u = process.cpuUsage(c0);
  const rows = [...prof.table.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const calls = rows.reduce((a, [, e]) => a + e.calls, 0) / steps;
  const kernelMs = rows.reduce((a, [, e]) => a + e.ms, 0) / steps;
  console.log(`${shape.id} K=${K} ${form}: ${((u.user + u.system) / 1000 / steps).toFixed(1)} ms CPU per step, ${kernelMs.toFixed(1)} in kernels, ${calls} kernel calls; load ${os.loadavg()[0].toFixed(1)}`);
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const [key, e] of rows) {
    const n = key.split(' ')[0];
    const b = byName.get(n) ?? { ms: 0, calls: 0 };
    b.ms += e.ms; b.calls += e.calls; byName.set(n, b);
  }
  for (const [n, e] of [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.log(`${(e.ms / steps).toFixed(2).padStart(8)} ms ${String(e.calls / steps).padStart(5)}× ${n}`);
  for (const [key, e] of rows.slice(0, 15)) console.log(`${(e.ms / steps).toFixed(2).padStart(8)} ms ${String(e.calls / steps).padStart(5)}× ${key}`);
  c.dispose();
}

async function main(): Promise<void> {
  const shapes = arg('shapes', 'A,short').split(',').map((id) => SHAPES.find((s) => s.id === id)!);
  const ks = arg('k', '1,2,4,8').split(',').map(Number);
  const forms = arg('forms', 'split,grouped,blockdiag,batched').split(',') as Form[];
  const repeats = Number(arg('repeats', '5'));
  const steps = Number(arg('steps', '4'));
  const info = await loadBackend('wasm');
  configureOps(info.name);
  const profileForm = arg('profile', '');
  if (profileForm) {
    profile(shapes[0], ks[0], profileForm as Form | 'separate', steps, info.name);
    return;
  }
  const load0 = os.loadavg();
  console.log(`backend ${info.name}; ${os.cpus()[0]?.model}, ${os.cpus().length} cores; load average ${formatLoad(load0)}`);
  console.log('CPU ms per model-step (median over repeats; contenders interleaved step by step); ratio = separate ÷ form (> 1: stacking pays)');
  const results: Record<string, unknown>[] = [];
  const rng = new Rng(7);
  for (const shape of shapes) {
    for (const K of ks) {
      const batches = data(shape, K, 3, rng);
      const errors = Object.fromEntries(forms.map((f) => [f, check(shape, K, f, batches[0])]));
      const contenders: Contender[] = [separate(shape, K), ...forms.map((f) => stacked(shape, K, f))];
      for (const c of contenders) for (let i = 0; i < 2; i++) c.step(batches[i % batches.length]);
      for (let r = 0; r < repeats; r++) {
        const sums = new Array(contenders.length).fill(0);
        for (let s = 0; s < steps; s++) {
          for (let j = 0; j < contenders.length; j++) {
            const c = (j + r + s) % contenders.length;
            const c0 = process.cpuUsage();
            contenders[c].step(batches[s % batches.length]);
            const u = process.cpuUsage(c0);
            sums[c] += (u.user + u.system) / 1000;
          }
        }
        contenders.forEach((c, j) => c.times.push(sums[j] / steps / K));
      }
      const sep = median(contenders[0].times);
      const row: Record<string, unknown> = { shape: shape.id, K, separateMs: sep };
      const cells = [`${shape.id} K=${K}: separate ${sep.toFixed(2)} ms`];
      for (const c of contenders.slice(1)) {
        const m = median(c.times);
        const ratios = c.times.map((t, i) => contenders[0].times[i] / t);
        row[c.name] = { ms: m, ratio: median(ratios), maxRelError: errors[c.name] };
        cells.push(`${c.name} ${m.toFixed(2)} ms (${median(ratios).toFixed(2)}×, grad err ${errors[c.name].toExponential(1)})`);
      }
      console.log(cells.join('; '));
      results.push(row);
      contenders.forEach((c) => c.dispose());
    }
  }
  const load1 = os.loadavg();
  console.log(`load average at end ${formatLoad(load1)}`);
  const out = arg('json', '');
  if (out) writeFileSync(out, JSON.stringify({ cpu: os.cpus()[0]?.model, cores: os.cpus().length, load: [load0, load1], repeats, steps, results }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
