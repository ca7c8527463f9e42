/**
 * AdamW, Adam and SGD with momentum, written over tfjs variables so that methods (SAM) can compute the gradient
 * any way they like and hand it to the same update.
 *
 * Weight decay by tensor role, as timm does (it decays tensors of rank ≥ 2 except those a model lists as no-decay,
 * ViT's position embedding and class token): decayed are the weight matrices of dense layers and projections
 * (variables named `.../w`: attention q/k/v/o, MLP, head, the image patch projection, the tabular feature
 * projection); not decayed are biases, LayerNorm gains and biases, the position embedding, the CLS token and the
 * text token-embedding table (a lookup table, `tokens/table`). The names are given by src/model/init.ts's callers.
 *   adamw: decoupled decay, w ← w − lr·(m̂/(√v̂+ε) + wd·w)    (Loshchilov & Hutter)
 *   adam:  L2 added to the gradient, g ← g + wd·w
 *   sgd:   g ← g + wd·w; buf ← μ·buf + g; w ← w − lr·buf (or the Nesterov form)
 */
import * as tf from '../tf';
import type { ResolvedTrain } from '../core/experiment';

export interface Optimizer {
  /** Apply one update with the given gradients (keyed by variable name) and learning rate. */
  apply(grads: tf.NamedTensorMap, lr: number): void;
  dispose(): void;
}

/** Whether weight decay applies to a variable: the weight matrix of a dense layer or projection. */
export function decays(v: Pick<tf.Variable, 'name'>): boolean {
  return v.name.endsWith('/w');
}

export function createOptimizer(cfg: ResolvedTrain, variables: tf.Variable[]): Optimizer {
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
    apply(grads, lr) {
      t += 1;
      tf.tidy(() => {
        for (const v of variables) {
          let g = grads[v.name];
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

/** Scale gradients so that their joint L2 norm is at most maxNorm. Returns new tensors. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  return tf.tidy(() => {
    const norm = globalNorm(Object.values(grads));
    const scale = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-12)), 1);
    const out: tf.NamedTensorMap = {};
    for (const [k, g] of Object.entries(grads)) out[k] = tf.mul(g, scale);
    return out;
  });
}

/** ‖(g₁, g₂, …)‖₂ over all tensors jointly, as a scalar tensor. */
export function globalNorm(tensors: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(tensors.map((g) => tf.sum(tf.mul(g, g))))) as tf.Scalar);
}
