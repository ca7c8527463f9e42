/**
 * The method test matrix: every method of the list (src/methods/index.ts) must have a limit case that is its
 * reference bit for bit, docs, and (once the PyTorch twin's fixtures exist) a golden fixture. A method added to the
 * list without them fails here.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useBackend } from './helpers';
import type { ResolvedModel } from '../src/core/experiment';
import { FAMILIES, type MethodModule } from '../src/methods/define';
import { regenerateDocs } from '../src/methods/docs';
import { formatMethods } from '../src/methods/describe';
import { METHODS } from '../src/methods/index';
import { optionDocs } from '../src/methods/options';
import { FORCE_LAMBDA, lossAndGrads, parts, tinyBatch, tinyConfig, tinyModel, trainSteps } from './methods-util';

const ROOT = resolve(__dirname, '..', '..');

before(async () => {
  await useBackend('cpu');
});

/** The tiny model the matrix runs a method on: a Transformer where it can, else an MLP. */
function modelFor(m: MethodModule): ResolvedModel {
  if (!m.models.includes('transformer')) return { type: 'mlp', hidden: [8, 8], dropout: 0 };
  // A method that refuses mean pooling (TransMix reads the class token) runs on the CLS Transformer.
  return m.checkModel({}, tinyConfig()) ? tinyConfig({ pool: 'cls' }) : tinyConfig();
}

test('limit case: every method with its limit options is its reference bit for bit (one step; two AdamW steps), and not with its defaults', () => {
  for (const m of METHODS) {
    // The matrix's batch is images; a method that cannot act on images needs its own fixture data here.
    assert.ok(m.modalities.includes('image'), `${m.name}: the matrix only has image batches; add one for ${m.modalities.join(', ')}`);
    const reference = m.limit.equals ?? 'baseline';
    assert.ok(METHODS.some((r) => r.name === reference), `${m.name}: limit reference ${reference} is not in the list`);
    const cfg = modelFor(m);
    const limitSpec = { [m.name]: { ...m.limit.options, ...(m.limit.forceLambda === undefined ? {} : { [FORCE_LAMBDA]: m.limit.forceLambda }) } };
    const model = tinyModel(cfg);
    const { x, labels } = tinyBatch();
    let differs = 0;
    for (const seed of [11, 12, 13]) {
      const want = lossAndGrads(model, parts({ [reference]: {} }, cfg), x, labels, seed);
      const got = lossAndGrads(model, parts(limitSpec, cfg), x, labels, seed);
      assert.equal(got.loss, want.loss, `${m.name} limit: loss (seed ${seed})`);
      assert.deepEqual(Object.keys(got.grads), Object.keys(want.grads), `${m.name} limit: gradient variables`);
      for (const k of Object.keys(want.grads)) assert.deepEqual(got.grads[k], want.grads[k], `${m.name} limit: gradient of ${k} (seed ${seed})`);
      // With its default options the method must do something (a draw may do nothing, e.g. an empty CutMix box).
      const plain = lossAndGrads(model, parts({ [m.name]: {} }, cfg), x, labels, seed);
      if (plain.loss !== want.loss || Object.keys(want.grads).some((k) => plain.grads[k].some((v, i) => v !== want.grads[k][i]))) differs++;
    }
    // Methods whose draw often does nothing on the matrix's 4×4 images (ResizeMix: a thumbnail under 2 pixels is
    // empty) get more seeds for this check.
    for (let seed = 14; seed < 24 && differs === 0 && m.name !== reference; seed++) {
      const want = lossAndGrads(model, parts({ [reference]: {} }, cfg), x, labels, seed);
      if (lossAndGrads(model, parts({ [m.name]: {} }, cfg), x, labels, seed).loss !== want.loss) differs++;
    }
    if (m.name !== reference) assert.ok(differs > 0, `${m.name} with its default options equals ${reference} on every seed: the limit check is vacuous`);
    model.dispose();
    assert.deepEqual(trainSteps(parts(limitSpec, cfg), 2, 'adamw', cfg), trainSteps(parts({ [reference]: {} }, cfg), 2, 'adamw', cfg), `${m.name} limit: weights after two AdamW steps`);
  }
});

test('metadata: every method has a family, summary, paper, cost, kinds, models and data, and every option a description', () => {
  for (const m of METHODS) {
    assert.ok(FAMILIES.includes(m.family), `${m.name}: family ${m.family}`);
    assert.ok(m.summary.length > 10 && m.actsOn.length > 3 && m.paper.length > 0 && m.cost.text.length > 0, `${m.name}: summary, actsOn, paper, cost`);
    assert.ok(m.models.length > 0 && m.modalities.length > 0, `${m.name}: models and data`);
    assert.equal(m.kinds.length === 0, m.name === 'baseline', `${m.name}: only the baseline changes nothing`);
    assert.ok(m.limit.why.length > 0, `${m.name}: the limit case says why`);
    for (const o of optionDocs(m.options)) {
      assert.ok(o.description.length > 10, `${m.name}.${o.name}: describe() the option in its schema`);
      assert.notEqual(o.range, 'any', `${m.name}.${o.name}: its range cannot be stated`);
    }
    for (const text of [m.summary, m.actsOn, m.paper, m.notes ?? '', m.cost.text, m.limit.why, ...optionDocs(m.options).map((o) => o.description)]) {
      assert.doesNotMatch(text, /shared\/|shared docs/, `${m.name} cites files outside the project: ${text}`);
    }
  }
});

test('docs: the generated method tables of README.md and docs/methods.md are current, and every method has its own section', () => {
  const state = regenerateDocs(ROOT);
  assert.deepEqual([...state.readme.problems, ...state.methods.problems], []);
  assert.ok(state.readme.text === state.readmeText, 'README.md: the method table is not current; run npm run docs:methods');
  assert.ok(state.methods.text === state.methodsText, 'docs/methods.md: the method tables are not current; run npm run docs:methods');
  for (const m of METHODS) assert.match(state.readmeText, new RegExp(`^\\| \`${m.name}\` \\| ${m.family.replace('/', '\\/')} \\|`, 'm'), `README row of ${m.name}`);
  assert.doesNotMatch(state.methodsText, /shared\/docs|shared docs/, 'docs/methods.md cites files outside the project');
  assert.doesNotMatch(formatMethods(), /shared\//, '`mixbench methods` cites files outside the project');
});

// GOLDEN FIXTURES — enabled by the directory itself: the PyTorch twin (branch `twin`) writes the per-step fixtures
// as test/golden/steps/<case>.json, each naming its method parts (`method: [{method, options}, ...]`). Until that
// directory exists this check is skipped, saying so; from then on a listed method that no fixture exercises fails it.
const GOLDEN = join(ROOT, 'test', 'golden', 'steps');
test('golden fixtures: every listed method is a part of some fixture in test/golden/steps/', {
  skip: existsSync(GOLDEN) ? false : 'test/golden/steps/ does not exist yet: the PyTorch twin (branch twin) commits it; this check turns on when it does',
}, () => {
  const covered = new Set<string>();
  for (const file of readdirSync(GOLDEN).filter((f) => f.endsWith('.json'))) {
    const fixture: unknown = JSON.parse(readFileSync(join(GOLDEN, file), 'utf8'));
    const parts = (fixture as { method?: unknown }).method;
    assert.ok(Array.isArray(parts), `${file}: a golden fixture names its method parts in "method"`);
    for (const p of parts) covered.add(String((p as { method?: unknown }).method));
  }
  const missing = METHODS.map((m) => m.name).filter((n) => !covered.has(n));
  assert.deepEqual(missing, [], `methods without a golden fixture in test/golden/steps/: ${missing.join(', ')}`);
});
