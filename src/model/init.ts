/**
 * Seeded parameter initialisation on the host: identical weights on every backend for one seed. A variable's name
 * ends in its role, which decides weight decay (src/train/optimizers.ts): `/w` the weight matrix of a dense layer or
 * projection (decayed); `/b` biases, `/g` gains, `pos`, `cls` and `tokens/table` embeddings (not decayed).
 */
import { Rng } from '../util/rng';
import * as tf from '../tf';

export class ParamFactory {
  private readonly rng: Rng;
  readonly variables: tf.Variable[] = [];

  constructor(seed: number, private readonly prefix: string) {
    this.rng = new Rng(seed);
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
