/** Text in the Transformer on wasm: token embedding that trains, padding mask, masked mean pooling. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import { resolveModel } from '../src/config/resolve';
import type { ResolvedTransformer } from '../src/core/experiment';
import { loadDataset } from '../src/data/load';
import { Transformer } from '../src/model/transformer';
import { embedTokens } from '../src/model/embedding';
import { setAttentionImpl } from '../src/model/attention';
import { oneHot } from '../src/model/ops';
import { trainRun } from '../src/train/loop';
import { ConfigError } from '../src/errors';
import { useBackend } from './helpers';

before(() => useBackend('wasm'));

const cfg = (pool: 'mean' | 'cls'): ResolvedTransformer => ({ ...(resolveModel({ type: 'transformer', dim: 16, depth: 2, heads: 2, mlpDim: 32, pool }) as ResolvedTransformer) });

for (const [pool, impl] of [['mean', 'depthwise'], ['cls', 'depthwise'], ['mean', 'batched']] as const) {
  test(`padding is invisible (${pool} pooling, ${impl} attention): changing the PAD embedding row leaves real sequences' logits unchanged`, () => {
    setAttentionImpl(impl);
    const m = new Transformer(cfg(pool), { text: { length: 6, vocab: 10 } }, 3, 11);
    const x = tf.tensor2d([[2, 3, 4, 0, 0, 0], [5, 1, 6, 7, 8, 9], [9, 0, 0, 0, 0, 0]]);
    const before = m.forward(x, { training: false }).arraySync();
    const table = m.variables.find((v) => v.name.includes('tokens/table'))!;
    const bumped = tf.tidy(() => tf.add(table, tf.concat([tf.randomNormal([1, 16], 0, 3, 'float32', 1), tf.zeros([9, 16])], 0)));
    table.assign(bumped);
    const after = m.forward(x, { training: false }).arraySync();
    for (let b = 0; b < 3; b++) for (let k = 0; k < 3; k++) assert.ok(Math.abs(before[b][k] - after[b][k]) < 1e-4, `row ${b}`);
    // Changing a real token's row does change the output of the sequences that use it.
    table.assign(tf.tidy(() => tf.add(table, tf.concat([tf.zeros([3, 16]), tf.randomNormal([1, 16], 0, 1, 'float32', 2), tf.zeros([6, 16])], 0))));
    const moved = m.forward(x, { training: false }).arraySync();
    assert.ok(Math.abs(moved[0][0] - after[0][0]) > 1e-4, 'token 3 is read');
    assert.ok(Math.abs(moved[2][0] - after[2][0]) < 1e-4, 'sequence 2 does not contain token 3');
    tf.dispose([x, bumped]);
    m.dispose();
    setAttentionImpl(null);
  });
}

test('the embedding gradient (host scatter-add on wasm) equals the one-hot × table gradient', () => {
  const ids = Int32Array.from([3, 1, 3, 0, 4, 3]);
  const table = tf.variable(tf.randomNormal([6, 4], 0, 1, 'float32', 5));
  const w = tf.randomNormal([6, 4], 0, 1, 'float32', 6);
  const f1 = () => tf.sum(tf.mul(embedTokens(ids, table as tf.Tensor2D), w)) as tf.Scalar;
  const f2 = () => tf.sum(tf.mul(tf.matMul(oneHot(ids, 6), table as tf.Tensor2D), w)) as tf.Scalar;
  const g1 = tf.variableGrads(f1, [table]).grads[table.name].arraySync() as number[][];
  const g2 = tf.variableGrads(f2, [table]).grads[table.name].arraySync() as number[][];
  for (let r = 0; r < 6; r++) for (let c = 0; c < 4; c++) assert.ok(Math.abs(g1[r][c] - g2[r][c]) < 1e-5);
  assert.deepEqual(g1[2], [0, 0, 0, 0], 'an unused id gets no gradient');
  tf.dispose([table, w]);
});

test('a text Transformer learns spam-subjects on wasm (2 epochs on 1,024 subjects beat the majority class)', async () => {
  const exp = parseConfig(`name: t
seeds: [1]
datasets: [{name: spam-subjects, maxLength: 16, limit: 1024}]
methods: [baseline]
model: {type: transformer, dim: 32, depth: 1, heads: 2, mlpDim: 64}
train: {epochs: 2, batchSize: 32, lr: 0.002, warmupEpochs: 0}
`, 't.yaml');
  const spec = planRuns(exp).runs[0];
  const ds = loadDataset(spec.dataset, spec.splitSeed);
  const majority = Math.max(...[0, 1].map((k) => ds.test.y.filter((y) => y === k).length)) / ds.test.n;
  const out = await trainRun(spec, ds);
  const acc = out.curve[out.curve.length - 1].testAccuracy;
  assert.ok(out.curve[1].trainLoss < out.curve[0].trainLoss, 'loss falls');
  assert.ok(acc > majority + 0.05, `accuracy ${acc} vs majority ${majority}`);
});

test('config: the MLP on text, text options on other data and cutting-based mixing of text are config errors', () => {
  const bad = (yaml: string) => assert.throws(() => parseConfig(yaml, 'c.yaml'), ConfigError);
  bad('name: t\ndatasets: [spam-subjects]\nmethods: [baseline]\nmodel: {type: mlp}\n');
  bad('name: t\ndatasets: [{name: digits, maxLength: 8}]\nmethods: [baseline]\n');
  bad('name: t\ndatasets: [spam-subjects]\nmethods: [cutmix]\n');
  // mixup acts on text (wordMixup / senMixup, issue 13)
  assert.doesNotThrow(() => parseConfig('name: t\ndatasets: [spam-subjects]\nmethods: [mixup]\n', 'c.yaml'));
});
