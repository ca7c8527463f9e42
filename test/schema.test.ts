/**
 * The editor schema (`mixbench schema`, committed as schema/mixbench.schema.json): current, named by every shipped
 * config, and a real JSON Schema that accepts every shipped config and refuses what mixbench refuses (ajv, 2020-12).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse as parseYaml } from 'yaml';
import { configJsonSchema, configJsonSchemaText } from '../src/config/editor-schema';
import { parseConfig } from '../src/config/load';
import { METHODS } from '../src/methods/index';
import { CLI } from './helpers';

const ROOT = join(__dirname, '..', '..');
const COMMITTED = join(ROOT, 'schema', 'mixbench.schema.json');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
  });
}

/** The shipped configs: configs/**, and the examples that are mixbench configs (not Kubernetes or CI files). */
function shippedConfigs(): string[] {
  const examples = yamlFiles(join(ROOT, 'examples')).filter((f) => {
    const doc = parseYaml(readFileSync(f, 'utf8')) as Record<string, unknown>;
    return !('apiVersion' in doc) && !('jobs' in doc);
  });
  return [...yamlFiles(join(ROOT, 'configs')), ...examples].sort();
}

const validator = () => new Ajv2020({ allErrors: true, strict: true }).compile(configJsonSchema());

test('schema/mixbench.schema.json is the current output of `mixbench schema` (regenerate: npm run schema)', () => {
  assert.equal(readFileSync(COMMITTED, 'utf8'), configJsonSchemaText());
  const r = spawnSync(process.execPath, [CLI, 'schema'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, configJsonSchemaText());
});

test('every shipped config names the committed schema in its first line and validates against it', () => {
  const files = shippedConfigs();
  assert.ok(files.some((f) => f.endsWith('configs/quick.yaml')) && files.some((f) => f.endsWith('examples/noise-sweep.yaml')), files.join(', '));
  const validate = validator();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const expected = `# yaml-language-server: $schema=${relative(join(f, '..'), COMMITTED)}`;
    assert.equal(text.split('\n')[0], expected, `${relative(ROOT, f)}: first line`);
    assert.ok(validate(parseYaml(text)), `${relative(ROOT, f)}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  }
});

const OK_BASE = { name: 'x', datasets: ['digits'], methods: ['baseline'] };

test('the schema takes the sweep forms and refuses what mixbench refuses', () => {
  const validate = validator();
  const good: Record<string, unknown>[] = [
    { ...OK_BASE, model: { depth: [2, 4, 8], hidden: { sweep: [[64], [32, 32]] } }, train: { lr: { sweep: [0.001, 0.003] } } },
    { ...OK_BASE, methods: ['baseline', { method: 'neutreno', lambda: [0.2, 0.6] }, { mixup: null }, { mixup: { alpha: [0.2, 1] } }] },
    { ...OK_BASE, methods: [{ method: 'amplify', name: 'amp-{alpha}', alpha: [0.1, 0.2], neutreno: { lambda: [0.2, 0.6] } }] },
    { ...OK_BASE, methods: [{ method: 'manifold-mixup', layers: ['embed', 0] }, { method: 'manifold-mixup', name: 'mm', layers: { sweep: [['embed'], [0]] } }] },
    { ...OK_BASE, noise: ['none', { label: { type: 'symmetric', rate: [0.2, 0.4] } }], zip: [['model.dim', 'model.mlpDim']], model: { dim: [16, 32], mlpDim: [32, 64] } },
    { ...OK_BASE, report: { plots: [{ x: 'model.depth', y: 'oversmoothing' }] }, model: { depth: [1, 2] }, claims: [{ better: 'baseline', than: 'baseline', where: { 'model.depth': 2 } }] },
  ];
  for (const c of good) assert.ok(validate(c), `${JSON.stringify(c)}: ${JSON.stringify(validate.errors?.slice(0, 2))}`);
  const bad: Record<string, unknown>[] = [
    { ...OK_BASE, epochs: 3 },
    { ...OK_BASE, model: { depth: [2, 'x'] } },
    { ...OK_BASE, model: { hidden: [[64], [32, 32]] } },
    { ...OK_BASE, model: { depth: { sweep: [] } } },
    { ...OK_BASE, train: { lr: { sweep: [0.1], extra: 1 } } },
    { ...OK_BASE, methods: ['frobnicate'] },
    { ...OK_BASE, methods: [{ method: 'mixup', alpha: -1 }] },
    { ...OK_BASE, methods: [{ method: 'mixup', beta: 1 }] },
    { ...OK_BASE, methods: [{ mixup: { alpha: [-1, 1] } }] },
    { ...OK_BASE, methods: [{ method: 'manifold-mixup', layers: [['embed'], [0]] }] },
    { ...OK_BASE, noise: [{ label: { type: 'gaussian', rate: 0.2 } }] },
  ];
  for (const c of bad) {
    assert.ok(!validate(c), `the schema refuses ${JSON.stringify(c)}`);
    assert.throws(() => parseConfig(JSON.stringify(c), 'c.yaml'), `mixbench refuses ${JSON.stringify(c)}`);
  }
});

test('every method of the list has its options in the schema, with descriptions and defaults', () => {
  const schema = configJsonSchema() as { $defs: Record<string, { properties: Record<string, { description?: string; default?: unknown }> }>; properties: Record<string, { properties?: Record<string, { default?: unknown; description?: string }> }> };
  for (const m of METHODS) {
    const def = schema.$defs[`options-${m.name}`];
    assert.ok(def, m.name);
    assert.deepEqual(Object.keys(def.properties), Object.keys(m.options.shape), m.name);
    for (const [k, p] of Object.entries(def.properties)) assert.ok(p.description, `${m.name}.${k} has a description`);
  }
  assert.equal(schema.$defs['options-mixup'].properties.alpha.default, 1);
  assert.equal(schema.properties.model.properties!.depth.default, 2);
  assert.equal(schema.properties.train.properties!.lr.default, 0.001);
  assert.match(schema.properties.train.properties!.lr.description!, /sgd: 0\.05/);
});
