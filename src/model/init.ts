/**
 * Seeded parameter initialisation on the host: identical weights on every backend for one seed. A variable's name
 * ends in its role, which decides weight decay (src/train/optimizers.ts): `/w` the weight matrix of a dense layer or
 * projection (decayed); `/b` biases, `/g` gains, `pos`, `cls` and `tokens/table` embeddings (not decayed).
 *
 * The scheme (`model.init`) decides each role's distribution; the draws are taken in creation order, one stream:
 *
 * | role | glorot | torch-default | timm |
 * |---|---|---|---|
 * | linear weight [fanIn, fanOut] | U(±√(6/(fanIn+fanOut))) | U(±1/√fanIn) (nn.Linear: kaiming_uniform, a = √5) | N(0, 0.02²) cut at ±2 |
 * | linear bias | 0 | U(±1/√fanIn) (nn.Linear) | 0 |
 * | patch / feature projection | as a linear layer | as a linear layer (nn.Conv2d's default is the same) | torch-default: timm leaves PatchEmbed's conv at PyTorch's default |
 * | text token table [V, d] | U(±√(6/(V+d))) | N(0, 1) (nn.Embedding) | N(0, 0.02²) cut at ±2 |
 * | pos, cls | N(0, 0.02²) cut at ±0.04 | N(0, 0.02²) cut at ±0.04 | N(0, 0.02²) cut at ±2 (timm's trunc_normal_(std=.02)) |
 * | LayerNorm gain, bias | 1, 0 | 1, 0 | 1, 0 |
 *
 * timm's `trunc_normal_(t, std=.02)` cuts at the absolute values ±2 (its `a`, `b`), i.e. at 100 standard deviations:
 * in effect a plain normal. glorot is mixbench's original scheme, and its embeddings cut at ±2 std.
 */
import type { ModelInit } from '../core/experiment';
import { Rng } from '../util/rng';
import * as tf from '../tf';

/** What a parameter is, for the init scheme. */
export type LinearRole = 'linear' | 'patch';

export class ParamFactory {
  private readonly rng: Rng;
  readonly variables: tf.Variable[] = [];

  constructor(seed: number, private readonly prefix: string, readonly scheme: ModelInit = 'glorot') {
    this.rng = new Rng(seed);
  }

  /** The weight [fanIn, fanOut] and bias [fanOut] of an affine map x·W + b, drawn by the scheme (weight first). */
  linear(name: string, fanIn: number, fanOut: number, role: LinearRole = 'linear'): { w: tf.Variable; b: tf.Variable } {
    const scheme = role === 'patch' && this.scheme === 'timm' ? 'torch-default' : this.scheme;
    if (scheme === 'glorot') return { w: this.glorot(`${name}/w`, fanIn, fanOut), b: this.constant(`${name}/b`, [fanOut], 0) };
    if (scheme === 'timm') return { w: this.normal(`${name}/w`, [fanIn, fanOut], 0.02, 2), b: this.constant(`${name}/b`, [fanOut], 0) };
    const bound = 1 / Math.sqrt(fanIn);
    return { w: this.uniform(`${name}/w`, [fanIn, fanOut], bound), b: this.uniform(`${name}/b`, [fanOut], bound) };
  }

  /** The text token table [vocab, dim]: a lookup, initialised as the scheme initialises embeddings. */
  tokenTable(name: string, vocab: number, dim: number): tf.Variable {
    if (this.scheme === 'glorot') return this.glorot(name, vocab, dim);
    if (this.scheme === 'timm') return this.normal(name, [vocab, dim], 0.02, 2);
    return this.normal(name, [vocab, dim], 1, Infinity);
  }

  /** Position embedding and CLS token: N(0, 0.02²), cut at ±2 std (glorot, torch-default) or at ±2 (timm). */
  positional(name: string, shape: number[]): tf.Variable {
    return this.scheme === 'timm' ? this.normal(name, shape, 0.02, 2) : this.truncNormal(name, shape, 0.02);
  }

  /** U(±bound). */
  uniform(name: string, shape: number[], bound: number): tf.Variable {
    const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < v.length; i++) v[i] = (this.rng.uniform() * 2 - 1) * bound;
    return this.add(name, tf.tensor(v, shape));
  }

  /** N(0, std²) redrawn outside the absolute bounds ±cut (Infinity: not cut). */
  normal(name: string, shape: number[], std: number, cut: number): tf.Variable {
    const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < v.length; i++) {
      let x: number;
      do x = this.rng.normal() * std;
      while (Math.abs(x) > cut);
      v[i] = x;
    }
    return this.add(name, tf.tensor(v, shape));
  }

  /** Glorot/Xavier uniform for a [fanIn, fanOut] matrix. */
  glorot(name: string, fanIn: number, fanOut: number): tf.Variable {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const v = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < v.length; i++) v[i] = (this.rng.uniform() * 2 - 1) * limit;
    return this.add(name, tf.tensor2d(v, [fanIn, fanOut]));
  }

  /** Normal(0, std) truncated at ±2 std, as ViT implementations initialise embeddings. */
  truncNormal(name: string, shape: number[], std: number): tf.Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      let z: number;
      do z = this.rng.normal();
      while (Math.abs(z) > 2);
      v[i] = z * std;
    }
    return this.add(name, tf.tensor(v, shape));
  }

  constant(name: string, shape: number[], value: number): tf.Variable {
    return this.add(name, tf.fill(shape, value));
  }

  private add(name: string, t: tf.Tensor): tf.Variable {
    // Variable names are global in tfjs: a prefix unique to the model instance avoids clashes.
    const v = tf.variable(t, true, `${this.prefix}/${name}`);
    t.dispose();
    this.variables.push(v);
    return v;
  }
}

let modelCounter = 0;
export function uniquePrefix(kind: string): string {
  modelCounter += 1;
  return `${kind}${modelCounter}`;
}
