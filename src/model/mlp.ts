/** A small MLP for tabular rows: [Linear → GELU → Dropout] × n → Linear. */
import * as tf from '../tf';
import { MODEL_DEFAULTS, type ResolvedMlp } from '../core/experiment';
import { ParamFactory, uniquePrefix } from './init';
import { dense, dropout, gelu } from './ops';
import type { ForwardOptions, Model } from './types';

export class Mlp implements Model {
  readonly kind = 'mlp' as const;
  readonly variables: tf.Variable[];
  readonly parameterCount: number;
  private readonly layers: { w: tf.Variable; b: tf.Variable }[] = [];

  constructor(readonly config: ResolvedMlp, readonly inputSize: number, readonly numClasses: number, seed: number) {
    const f = new ParamFactory(seed, uniquePrefix('mlp'), config.init ?? MODEL_DEFAULTS.init);
    let fanIn = inputSize;
    config.hidden.forEach((width, i) => {
      this.layers.push(f.linear(`dense${i}`, fanIn, width));
      fanIn = width;
    });
    this.layers.push(f.linear('head', fanIn, numClasses));
    this.variables = f.variables;
    this.parameterCount = this.variables.reduce((s, v) => s + v.size, 0);
  }

  forward(x: tf.Tensor, opts: ForwardOptions): tf.Tensor2D {
    const B = x.shape[0];
    let h = x.reshape([B, this.inputSize]) as tf.Tensor2D;
    if (opts.hooks?.hidden) h = opts.hooks.hidden({ kind: 'embed' }, h) as tf.Tensor2D;
    const last = this.layers.length - 1;
    this.layers.forEach(({ w, b }, i) => {
      h = dense(h, w as tf.Tensor2D, b as tf.Tensor1D);
      if (i < last) {
        h = dropout(gelu(h), this.config.dropout, opts.training, opts.nextSeed);
        if (opts.hooks?.hidden) h = opts.hooks.hidden({ kind: 'block', layer: i }, h) as tf.Tensor2D;
      }
    });
    return h;
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
