/**
 * model.head and model.init: the settings, the run ids they leave alone, and the initial weights of each scheme
 * against its formulas (per parameter role: bounds, mean, standard deviation). The head's forward pass is checked
 * against the PyTorch twin by the golden fixtures (`*-token-norm` cases, test/golden.test.ts).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as tf from '../src/tf';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import type { ModelInit, ResolvedTransformer } from '../src/core/experiment';
import { ConfigError } from '../src/errors';
import { Mlp } from '../src/model/mlp';
import { Transformer } from '../src/model/transformer';
import { useBackend } from './helpers';

before(() => useBackend('cpu'));

const BASE = 'name: x\nseeds: [1]\ndatasets: [digits]\nmethods: [baseline]\n';
const MODEL = 'type: transformer, dim: 16, depth: 1, heads: 2, mlpDim: 32';

test('model.head and model.init at their defaults leave the run ids as they were; other values change them', () => {
  const ids = (model: string) => planRuns(parseConfig(`${BASE}model: {${model}}\n`, 'c.yaml')).runs.map((r) => r.id);
  const before = ids(MODEL);
  // The id of this run before model.head and model.init existed (main at 0e3bbf2).
  assert.deepEqual(before, ['digits-baseline-none-s1-f9bd0689dd']);
  assert.deepEqual(ids(`${MODEL}, head: pooled-norm, init: glorot`), before);
  assert.notDeepEqual(ids(`${MODEL}, head: token-norm`), before);
  assert.notDeepEqual(ids(`${MODEL}, init: timm`), before);
  assert.notDeepEqual(ids(`${MODEL}, init: torch-default`), ids(`${MODEL}, init: timm`));
  const spec = planRuns(parseConfig(`${BASE}model: {${MODEL}, head: token-norm, init: torch-default}\n`, 'c.yaml')).runs[0];
  assert.equal(spec.model.type === 'transformer' && spec.model.head, 'token-norm');
  assert.equal(spec.model.init, 'torch-default');
});

test('bad model.head / model.init values and a head on the MLP are refused at their place in the file', () => {
  const refused = (model: string, pattern: RegExp) => assert.throws(() => parseConfig(`${BASE}model: {${model}}\n`, 'c.yaml'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, pattern);
    return true;
  });
  refused(`${MODEL}, head: cls-norm`, /c\.yaml:5.*head/s);
  refused(`${MODEL}, init: xavier`, /c\.yaml:5.*init/s);
  refused('type: mlp, head: token-norm', /c\.yaml:5.*the MLP has none: remove model\.head/s);
});

/** sha256 of every variable's float32 bytes, in order. */
function weightsHash(vars: tf.Variable[]): string {
  const h = createHash('sha256');
  for (const v of vars) h.update(Buffer.from((v.dataSync() as Float32Array).buffer));
  return h.digest('hex').slice(0, 16);
}

test('glorot (the default) draws the weights mixbench drew before model.init existed, bit for bit', () => {
  // Hashes of the initial weights of main at 0e3bbf2 (before the init schemes) for these models and seed 12345.
  const cfg: ResolvedTransformer = { type: 'transformer', dim: 16, depth: 2, heads: 2, mlpDim: 32, patch: 2, pool: 'mean', dropout: 0 };
  const image = new Transformer(cfg, { image: { height: 8, width: 8, channels: 1 } }, 10, 12345);
  const text = new Transformer({ ...cfg, pool: 'cls' }, { text: { length: 7, vocab: 20 } }, 3, 12345);
  const mlp = new Mlp({ type: 'mlp', hidden: [12, 10], dropout: 0 }, 5, 3, 12345);
  assert.equal(weightsHash(image.variables), '63445005e0f4567d');
  assert.equal(weightsHash(text.variables), '0d6fa55eda3048c0');
  assert.equal(weightsHash(mlp.variables), '530f83f0b1c73014');
  const explicit = new Transformer({ ...cfg, init: 'glorot', head: 'pooled-norm' }, { image: { height: 8, width: 8, channels: 1 } }, 10, 12345);
  assert.equal(weightsHash(explicit.variables), '63445005e0f4567d');
  for (const m of [image, text, mlp, explicit]) m.dispose();
});

interface Stats { n: number; mean: number; std: number; maxAbs: number; zeros: number }
function stats(v: tf.Variable): Stats {
  const a = v.dataSync() as Float32Array;
  let s = 0, s2 = 0, maxAbs = 0, zeros = 0;
  for (const x of a) {
    s += x;
    s2 += x * x;
    maxAbs = Math.max(maxAbs, Math.abs(x));
    if (x === 0) zeros++;
  }
  const mean = s / a.length;
  return { n: a.length, mean, std: Math.sqrt(s2 / a.length - mean * mean), maxAbs, zeros };
}

/** U(±bound): inside the bound, reaching close to it, mean ≈ 0, std ≈ bound/√3. */
function assertUniform(name: string, st: Stats, bound: number): void {
  assert.ok(st.maxAbs <= bound * (1 + 1e-6), `${name}: |x| ≤ ${bound}, got ${st.maxAbs}`);
  assert.ok(st.maxAbs > bound * (1 - 20 / st.n), `${name}: reaches near ${bound}, max ${st.maxAbs}`);
  const sd = bound / Math.sqrt(3);
  assert.ok(Math.abs(st.mean) < 5 * sd / Math.sqrt(st.n), `${name}: mean ${st.mean} ≈ 0`);
  assert.ok(Math.abs(st.std / sd - 1) < 5 * 0.9 / Math.sqrt(st.n) + 0.01, `${name}: std ${st.std} ≈ ${sd}`);
}

/** N(0, std²) cut at ±cut·std (Infinity: not cut): within the cut, mean ≈ 0, std as the (truncated) normal's. */
function assertNormal(name: string, st: Stats, std: number, cut: number): void {
  // Standard deviation of a standard normal truncated at ±c: √(1 − 2cφ(c)/(2Φ(c) − 1)); 0.8796 at c = 2.
  const truncSd = cut === 2 ? 0.8796 : 1;
  const sd = std * truncSd;
  assert.ok(st.maxAbs <= cut * std * (1 + 1e-6), `${name}: |x| ≤ ${cut}·${std}, got ${st.maxAbs}`);
  if (cut > 2) assert.ok(st.maxAbs > 2.4 * std, `${name}: not cut at 2 std (max |x| ${st.maxAbs} with n ${st.n})`);
  assert.ok(Math.abs(st.mean) < 5 * sd / Math.sqrt(st.n), `${name}: mean ${st.mean} ≈ 0`);
  assert.ok(Math.abs(st.std / sd - 1) < 5 / Math.sqrt(2 * st.n) + 0.01, `${name}: std ${st.std} ≈ ${sd}`);
}

function assertConstant(name: string, st: Stats, value: number, v: tf.Variable): void {
  assert.ok((v.dataSync() as Float32Array).every((x) => x === value), `${name}: all ${value}`);
  assert.ok(st.n > 0);
}

const DIM = 64, MLP = 256, PATCH = 2, CH = 3, CLASSES = 10;

/** Every parameter of an image ViT (8×8×3 → 64 tokens with CLS: 65·64 position values) and a text ViT, by role. */
function checkScheme(init: ModelInit): void {
  const cfg: ResolvedTransformer = { type: 'transformer', dim: DIM, depth: 2, heads: 4, mlpDim: MLP, patch: PATCH, pool: 'cls', dropout: 0, init };
  const image = new Transformer({ ...cfg, patch: 1 }, { image: { height: 8, width: 8, channels: CH } }, CLASSES, 7);
  const text = new Transformer(cfg, { text: { length: 16, vocab: 300 } }, CLASSES, 8);
  const fans: Record<string, [number, number]> = {
    patch: [CH, DIM], q: [DIM, DIM], k: [DIM, DIM], v: [DIM, DIM], o: [DIM, DIM], mlp1: [DIM, MLP], mlp2: [MLP, DIM], head: [DIM, CLASSES],
  };
  const roles = new Set<string>();
  for (const m of [image, text]) {
    for (const v of m.variables) {
      const name = v.name.split('/').slice(1).join('/');
      const parts = name.split('/');
      const layer = parts.length >= 2 ? parts[parts.length - 2] : '';
      const st = stats(v);
      const where = `${init} ${name}`;
      if (name.endsWith('/g')) { assertConstant(where, st, 1, v); roles.add('gain'); continue; }
      if (/ln\d?\/b$|lnf\/b$/.test(name)) { assertConstant(where, st, 0, v); roles.add('ln bias'); continue; }
      if (name === 'pos' || name === 'cls') {
        // cls is one row of 64: too few values for a standard-deviation test, so only its bound is checked.
        if (name === 'cls') assert.ok(st.maxAbs <= (init === 'timm' ? 2 : 0.04), where);
        else assertNormal(where, st, 0.02, init === 'timm' ? 100 : 2);
        roles.add(name);
        continue;
      }
      if (name === 'tokens/table') {
        if (init === 'glorot') assertUniform(where, st, Math.sqrt(6 / (300 + DIM)));
        else if (init === 'timm') assertNormal(where, st, 0.02, 100);
        else assertNormal(where, st, 1, Infinity);
        roles.add('table');
        continue;
      }
      if (name === 'patch/b' && m === text) { assertConstant(where, st, 0, v); continue; }
      const [fanIn, fanOut] = fans[layer];
      // timm leaves the patch embedding (a Conv2d) at PyTorch's default.
      const scheme = layer === 'patch' && init === 'timm' ? 'torch-default' : init;
      if (name.endsWith('/w')) {
        assert.deepEqual(v.shape, [fanIn, fanOut], where);
        if (scheme === 'glorot') assertUniform(where, st, Math.sqrt(6 / (fanIn + fanOut)));
        else if (scheme === 'torch-default') assertUniform(where, st, 1 / Math.sqrt(fanIn));
        else assertNormal(where, st, 0.02, 100);
        roles.add(`${layer === 'patch' ? 'patch' : 'linear'} weight`);
      } else {
        if (scheme === 'torch-default') {
          // A bias has fanOut values: bounds and "not zero" are testable, its std only roughly (n ≥ 64 here).
          assert.ok(st.maxAbs <= 1 / Math.sqrt(fanIn) && st.zeros === 0, `${where}: U(±1/√${fanIn}), none 0`);
          assert.ok(st.std > 0.3 / Math.sqrt(fanIn), `${where}: spread (std ${st.std})`);
        } else assertConstant(where, st, 0, v);
        roles.add(`${layer === 'patch' ? 'patch' : 'linear'} bias`);
      }
    }
  }
  assert.deepEqual([...roles].sort(), ['cls', 'gain', 'linear bias', 'linear weight', 'ln bias', 'patch bias', 'patch weight', 'pos', 'table']);
  image.dispose();
  text.dispose();
}

for (const init of ['glorot', 'torch-default', 'timm'] as const) {
  test(`model.init ${init}: every parameter role has the distribution of its formula`, () => checkScheme(init));
}

test('model.init applies to the MLP: torch-default biases U(±1/√fan_in), timm weights N(0, 0.02²)', () => {
  const torch = new Mlp({ type: 'mlp', hidden: [256], dropout: 0, init: 'torch-default' }, 128, 10, 3);
  assertUniform('mlp dense0/w', stats(torch.variables[0]), 1 / Math.sqrt(128));
  assertUniform('mlp dense0/b', stats(torch.variables[1]), 1 / Math.sqrt(128));
  const timm = new Mlp({ type: 'mlp', hidden: [256], dropout: 0, init: 'timm' }, 128, 10, 3);
  assertNormal('mlp dense0/w', stats(timm.variables[0]), 0.02, 100);
  assertConstant('mlp dense0/b', stats(timm.variables[1]), 0, timm.variables[1]);
  torch.dispose();
  timm.dispose();
});

test('model.head token-norm normalises every token before pooling: logits equal the head applied to mean(LN(h))', () => {
  // With CLS pooling the two heads read the same token, and LayerNorm of one token is the same either way.
  const cfg: ResolvedTransformer = { type: 'transformer', dim: 8, depth: 1, heads: 2, mlpDim: 16, patch: 2, pool: 'cls', dropout: 0 };
  const input = { image: { height: 4, width: 4, channels: 1 } };
  const x = tf.randomNormal([3, 4, 4, 1], 0, 1, 'float32', 5);
  const a = new Transformer(cfg, input, 3, 9);
  const b = new Transformer({ ...cfg, head: 'token-norm' }, input, 3, 9);
  const ya = a.forward(x, { training: false }).arraySync();
  const yb = b.forward(x, { training: false }).arraySync();
  ya.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - yb[i][j]) < 1e-5, `cls pooling: ${v} vs ${yb[i][j]}`)));
  // With mean pooling they differ: the mean of normalised tokens is not a normalised mean.
  const c = new Transformer({ ...cfg, pool: 'mean' }, input, 3, 9);
  const d = new Transformer({ ...cfg, pool: 'mean', head: 'token-norm' }, input, 3, 9);
  const yc = c.forward(x, { training: false }).arraySync().flat();
  const yd = d.forward(x, { training: false }).arraySync().flat();
  assert.ok(yc.some((v, i) => Math.abs(v - yd[i]) > 1e-3), 'mean pooling: the heads differ');
  for (const m of [a, b, c, d]) m.dispose();
  x.dispose();
});
