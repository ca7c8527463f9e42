/**
 * AdamW, Adam and SGD with momentum, written over tfjs variables so that methods (SAM) can compute the gradient
 * any way they like and hand it to the same update.
 *
 * Weight decay by tensor role, as timm does (it decays tensors of rank ≥ 2 except those a model lists as no-decay,
 * ViT's position embedding and class token): decayed are the weight matrices of dense layers and projections
 * (variables named `.../w`: attention q/k/v/o, MLP, head, the image patch projection, the tabular feature
 * projection); not decayed are biases, LayerNorm gains and biases, the position embedding, the CLS token and the
 * text token-embedding table (a lookup table, `tokens/table`). The names are given by src/model/init.ts's callers.
 * `decays` is the one place that decides; the fused optimizer turns it into a mask over its flat buffer.
 *   adamw: decoupled decay, w ← w − lr·(m̂/(√v̂+ε) + wd·w)    (Loshchilov & Hutter)
 *   adam:  L2 added to the gradient, g ← g + wd·w
 *   sgd:   g ← g + wd·w; buf ← μ·buf + g; w ← w − lr·buf (or the Nesterov form)
 *
 * The update runs once over one flat buffer holding every parameter (`createOptimizer`): about 20 kernel calls a step
 * instead of ~15 per variable (on wasm each call costs ~7 µs of engine overhead, and a small model has ~40
 * variables). Every element goes through the same float32 operations in the same order as the per-variable form
 * (`createPerVariableOptimizer`, kept as the reference the tests compare against), so the two agree bit for bit.
 */
import * as tf from '../tf';
import type { ResolvedTrain } from '../core/experiment';
import { flattenTensors, unflattenTensor } from '../model/ops';

export interface Optimizer {
  /**
   * Apply one update with the given gradients (keyed by variable name) and learning rate. With `clipNorm`, the
   * gradients are first scaled so that their joint L2 norm is at most clipNorm (as `clipByGlobalNorm`).
   */
  apply(grads: tf.NamedTensorMap, lr: number, clipNorm?: number | null): void;
  dispose(): void;
}

/** Whether weight decay applies to a variable: the weight matrix of a dense layer or projection. */
export function decays(v: Pick<tf.Variable, 'name'>): boolean {
  return v.name.endsWith('/w');
}

/** The decay mask as data: one flag per variable, in the order given. */
export function decayMask(variables: tf.Variable[]): boolean[] {
  return variables.map(decays);
}

/** One update step of the fused optimizer in one flat buffer. */
export function createOptimizer(cfg: ResolvedTrain, variables: tf.Variable[]): Optimizer {
  return new FlatOptimizer(cfg, variables);
}

interface Segment {
  variable: tf.Variable;
  offset: number;
  size: number;
}

class FlatOptimizer implements Optimizer {
  private readonly segments: Segment[];
  private readonly total: number;
  private readonly slots: tf.Variable[] = [];
  /** wd on elements of decaying parameters, 0 elsewhere; null when nothing decays. */
  private readonly decay: tf.Tensor1D | null;
  /** The parameters as one flat buffer, valid while every variable still holds the tensor this optimizer assigned. */
  private flat: tf.Tensor1D | null = null;
  private assigned: object[] = [];
  private t = 0;

  constructor(private readonly cfg: ResolvedTrain, variables: tf.Variable[]) {
    let offset = 0;
    this.segments = variables.map((variable) => {
      const s = { variable, offset, size: variable.size };
      offset += variable.size;
      return s;
    });
    this.total = offset;
    const mask = decayMask(variables);
    if (cfg.weightDecay && mask.some(Boolean)) {
      const values = new Float32Array(this.total);
      this.segments.forEach((s, i) => { if (mask[i]) values.fill(cfg.weightDecay, s.offset, s.offset + s.size); });
      this.decay = tf.keep(tf.tensor1d(values));
    } else {
      this.decay = null;
    }
  }

  private slot(i: number): tf.Variable {
    while (this.slots.length <= i) this.slots.push(tf.variable(tf.zeros([this.total]), false));
    return this.slots[i];
  }

  /** The parameters as one flat tensor: the buffer of the last update, or gathered again if a variable changed since. */
  private parameters(): tf.Tensor1D {
    const valid = this.flat && this.segments.every((s, i) => s.variable.dataId === this.assigned[i]);
    if (valid) return this.flat!;
    return flatten(this.segments.map((s) => s.variable));
  }

  apply(grads: tf.NamedTensorMap, lr: number, clipNorm?: number | null): void {
    this.t += 1;
    const { cfg, t } = this;
    const present = this.segments.map((s) => !!grads[s.variable.name]);
    const all = present.every(Boolean);
    if (!present.some(Boolean)) return;
    const next = tf.tidy(() => {
      const w = this.parameters();
      let g = flatten(this.segments.map((s) => grads[s.variable.name] ?? tf.zeros(s.variable.shape)));
      if (clipNorm) g = tf.mul(g, clipScale(Object.values(grads), clipNorm));
      // Elements of variables without a gradient keep their weights and optimizer state (as the per-variable form).
      const active = all ? null : flatMask(this.segments, present);
      const masked = <T extends tf.Tensor>(updated: T, old: T): T => (active ? (tf.where(active, updated, old) as T) : updated);
      let nw: tf.Tensor1D;
      if (cfg.optimizer === 'sgd') {
        if (this.decay) g = tf.add(g, tf.mul(w, this.decay));
        const buf = this.slot(0);
        const nextBuf = masked(tf.add(tf.mul(buf, cfg.momentum), g), buf);
        buf.assign(nextBuf);
        const dir = cfg.nesterov ? tf.add(g, tf.mul(nextBuf, cfg.momentum)) : nextBuf;
        nw = tf.sub(w, tf.mul(dir, lr));
      } else {
        if (cfg.optimizer === 'adam' && this.decay) g = tf.add(g, tf.mul(w, this.decay));
        const m = this.slot(0);
        const s = this.slot(1);
        const nm = masked(tf.add(tf.mul(m, cfg.beta1), tf.mul(g, 1 - cfg.beta1)), m);
        const ns = masked(tf.add(tf.mul(s, cfg.beta2), tf.mul(tf.mul(g, g), 1 - cfg.beta2)), s);
        m.assign(nm);
        s.assign(ns);
        const mHat = tf.div(nm, 1 - Math.pow(cfg.beta1, t));
        const sHat = tf.div(ns, 1 - Math.pow(cfg.beta2, t));
        let update = tf.div(mHat, tf.add(tf.sqrt(sHat), cfg.eps));
        if (cfg.optimizer === 'adamw' && this.decay) update = tf.add(update, tf.mul(w, this.decay));
        nw = tf.sub(w, tf.mul(update, lr));
      }
      if (active) nw = tf.where(active, nw, w);
      return tf.keep(nw);
    });
    const pieces = tf.tidy(() => unflatten(next, this.segments));
    this.segments.forEach((s, i) => {
      s.variable.assign(pieces[i]);
      pieces[i].dispose();
    });
    this.flat?.dispose();
    this.flat = next;
    this.assigned = this.segments.map((s) => s.variable.dataId);
  }

  dispose(): void {
    for (const v of this.slots) v.dispose();
    this.slots.length = 0;
    this.decay?.dispose();
    this.flat?.dispose();
    this.flat = null;
  }
}

function flatten(tensors: tf.Tensor[]): tf.Tensor1D {
  return flattenTensors(tensors);
}

/** The segments of a flat vector, in the shapes of their variables. */
function unflatten(flat: tf.Tensor1D, segments: Segment[]): tf.Tensor[] {
  return unflattenTensor(flat, segments.map((s) => s.variable.shape));
}

/** 1 on the elements of variables with a gradient, 0 elsewhere (boolean, for tf.where). */
function flatMask(segments: Segment[], present: boolean[]): tf.Tensor1D {
  const total = segments.reduce((a, s) => a + s.size, 0);
  const mask = new Uint8Array(total);
  segments.forEach((s, i) => { if (present[i]) mask.fill(1, s.offset, s.offset + s.size); });
  return tf.tensor1d(mask, 'bool');
}

/**
 * min(maxNorm / (‖g‖₂ + 1e-12), 1) as a scalar tensor: the factor `clipByGlobalNorm` multiplies every gradient by.
 * The norm is summed per tensor, then across tensors, in the same order as there (so the factor is the same float).
 */
export function clipScale(grads: tf.Tensor[], maxNorm: number): tf.Scalar {
  return tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(globalNorm(grads), 1e-12)), 1) as tf.Scalar);
}

/** Scale gradients so that their joint L2 norm is at most maxNorm. Returns new tensors. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  return tf.tidy(() => {
    const scale = clipScale(Object.values(grads), maxNorm);
    const out: tf.NamedTensorMap = {};
    for (const [k, g] of Object.entries(grads)) out[k] = tf.mul(g, scale);
    return out;
  });
}

/** ‖(g₁, g₂, …)‖₂ over all tensors jointly, as a scalar tensor. */
export function globalNorm(tensors: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(tensors.map((g) => tf.sum(tf.mul(g, g))))) as tf.Scalar);
}

/**
 * The per-variable formulation: one update per variable (~15 kernel calls each). The reference that the fused
 * optimizer is tested against bit for bit, and the "before" of the benchmark's optimizer comparison.
 */
export function createPerVariableOptimizer(cfg: ResolvedTrain, variables: tf.Variable[]): Optimizer {
  const slots = new Map<string, tf.Variable[]>();
  let t = 0;
  const slot = (v: tf.Variable, n: number): tf.Variable[] => {
    let s = slots.get(v.name);
    if (!s) {
      s = Array.from({ length: n }, () => tf.variable(tf.zerosLike(v), false));
      slots.set(v.name, s);
    }
    return s;
  };

  return {
    apply(grads, lr, clipNorm) {
      t += 1;
      tf.tidy(() => {
        const clipped = clipNorm ? clipByGlobalNorm(grads, clipNorm) : grads;
        for (const v of variables) {
          let g = clipped[v.name];
          if (!g) continue;
          const wd = decays(v) ? cfg.weightDecay : 0;
          if (cfg.optimizer === 'sgd') {
            if (wd) g = tf.add(g, tf.mul(v, wd));
            const [buf] = slot(v, 1);
            const nextBuf = tf.add(tf.mul(buf, cfg.momentum), g);
            buf.assign(nextBuf);
            const dir = cfg.nesterov ? tf.add(g, tf.mul(nextBuf, cfg.momentum)) : nextBuf;
            v.assign(tf.sub(v, tf.mul(dir, lr)));
          } else {
            if (cfg.optimizer === 'adam' && wd) g = tf.add(g, tf.mul(v, wd));
            const [m, s] = slot(v, 2);
            const nm = tf.add(tf.mul(m, cfg.beta1), tf.mul(g, 1 - cfg.beta1));
            const ns = tf.add(tf.mul(s, cfg.beta2), tf.mul(tf.mul(g, g), 1 - cfg.beta2));
            m.assign(nm);
            s.assign(ns);
            const mHat = tf.div(nm, 1 - Math.pow(cfg.beta1, t));
            const sHat = tf.div(ns, 1 - Math.pow(cfg.beta2, t));
            let update = tf.div(mHat, tf.add(tf.sqrt(sHat), cfg.eps));
            if (cfg.optimizer === 'adamw' && wd) update = tf.add(update, tf.mul(v, wd));
            v.assign(tf.sub(v, tf.mul(update, lr)));
          }
        }
      });
    },
    dispose() {
      for (const s of slots.values()) for (const v of s) v.dispose();
      slots.clear();
    },
  };
}
