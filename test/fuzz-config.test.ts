/**
 * Property: no config text makes mixbench fail with an internal error or hang. Every config is either accepted (and
 * its plan is well formed) or refused with a ConfigError whose every issue is `file:line:col`. Inputs: the shipped
 * configs mutated as text (bytes, lines, indentation, YAML syntax) and as data (a value replaced, removed or added at
 * a random place), and configs generated from the config's zod schema (z.toJSONSchema) with the method catalogue's
 * option schemas. In-process for speed; a sample goes through the real CLI (`mixbench validate`).
 * Seed and length: test/fuzz-util.ts (MIXBENCH_FUZZ_SEED, MIXBENCH_FUZZ_RUNS).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import { ExperimentFileSchema } from '../src/config/schema';
import { ConfigError } from '../src/errors';
import { methodInfo, methodNames } from '../src/methods';
import { CLI, tempDir } from './helpers';
import { arbitraryFromJsonSchema, FUZZ_SEED, fuzzParams, fuzzRuns, mutateText, wildValue } from './fuzz-util';

const FILE = 'fuzz.yaml';
const root = join(__dirname, '..', '..');

function shippedConfigs(dir = join(root, 'configs')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? shippedConfigs(join(dir, e.name)) : e.name.endsWith('.yaml') ? [readFileSync(join(dir, e.name), 'utf8')] : [],
  );
}
const SHIPPED = shippedConfigs();

/** Parse, and when accepted, plan (bounded plans only: the plan's own invariants are fuzzed in fuzz-plan). */
function outcome(text: string): 'accepted' | 'refused' {
  let exp;
  try {
    exp = parseConfig(text, FILE);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    assert.ok(err.issues.length > 0);
    for (const i of err.issues) {
      assert.equal(i.file, FILE);
      assert.ok(Number.isInteger(i.line) && i.line! >= 1 && Number.isInteger(i.col) && i.col! >= 1, `issue without line:col: ${JSON.stringify(i)}`);
      assert.ok(i.message.trim().length > 0);
    }
    return 'refused';
  }
  const members = exp.ensemble?.members ?? 1;
  const count = exp.datasets.length * exp.noise.length * exp.grid.length * exp.methods.length * exp.seeds.length * members;
  if (count <= 5000) {
    const plan = planRuns(exp);
    assert.equal(plan.runs.length, count);
    assert.equal(new Set(plan.runs.map((r) => r.id)).size, count, 'run ids are unique');
  }
  return 'accepted';
}

/** Set, delete or add a value at a random place of a parsed config. */
function mutateData(base: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(base, []);
  return fc.tuple(fc.constantFrom(...paths), fc.constantFrom('set', 'delete', 'add'), wildValue, fc.constantFrom('extra', 'seeds', 'epochs', 'type', 'alpha', '0')).map(([path, op, value, key]) => {
    const copy = structuredClone(base) as Record<string | number, unknown>;
    if (path.length === 0) return op === 'set' ? value : copy;
    let parent: Record<string | number, unknown> = copy;
    for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
    const last = path[path.length - 1];
    if (op === 'set') parent[last] = value;
    else if (op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else {
      const target = parent[last];
      if (Array.isArray(target)) target.push(value);
      else if (target && typeof target === 'object') (target as Record<string, unknown>)[key] = value;
      else parent[last] = value;
    }
    return copy;
  });
}

const toYaml = (v: unknown, flow: boolean): string => {
  try {
    return stringify(v, { collectionStyle: flow ? 'flow' : 'block', aliasDuplicateObjects: false });
  } catch {
    return String(v);
  }
};

const methodEntry: fc.Arbitrary<unknown> = fc.constantFrom(...methodNames()).chain((name) => {
  const options = arbitraryFromJsonSchema(z.toJSONSchema(methodInfo(name)!.options, { io: 'input', unrepresentable: 'any' }) as never, 1);
  return fc.oneof(
    fc.constant(name),
    options.map((o) => ({ [name]: o })),
    fc.tuple(options, fc.option(fc.constantFrom('a', 'my-name', name), { nil: undefined })).map(([o, display]) => ({ method: name, ...(display ? { name: display } : {}), ...(o as object) })),
    fc.tuple(options, fc.constantFrom(...methodNames())).map(([o, other]) => ({ method: name, ...(o as object), [other]: {} })),
    wildValue,
  );
});

const noiseEntry: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant('none'),
  fc.record({ label: fc.record({ type: fc.constantFrom('symmetric', 'uniform', 'asymmetric', 'bogus'), rate: fc.oneof(fc.double({ min: -0.5, max: 1.5, noNaN: true }), fc.array(fc.double({ min: 0, max: 0.9, noNaN: true }), { maxLength: 3 })) }, { requiredKeys: ['type'] }) }),
  fc.record({ input: fc.record({ type: fc.constantFrom('gaussian', 'outliers'), std: fc.double({ min: -1, max: 3, noNaN: true }), rate: fc.double({ min: 0, max: 1, noNaN: true }) }, { requiredKeys: [] }) }),
  fc.record({ text: fc.record({ type: fc.constantFrom('replace', 'delete'), rate: fc.double({ min: 0, max: 1, noNaN: true }) }) }),
  fc.record({ label: fc.record({ type: fc.constant('asymmetric'), rate: fc.constant(0.2), map: fc.oneof(fc.array(fc.integer({ min: -1, max: 12 }), { maxLength: 12 }), fc.dictionary(fc.constantFrom('0', '1', '9', 'x'), fc.integer({ min: -1, max: 30 }))) }) }),
  wildValue,
);

const fileSchema = z.toJSONSchema(ExperimentFileSchema, { io: 'input', unrepresentable: 'any' }) as never;
/** Whole configs from the schema, with method and noise entries from the catalogue. */
const schemaConfig: fc.Arbitrary<unknown> = fc
  .tuple(arbitraryFromJsonSchema(fileSchema, 0), fc.array(methodEntry, { minLength: 1, maxLength: 3 }), fc.option(fc.array(noiseEntry, { minLength: 1, maxLength: 3 }), { nil: undefined }), fc.boolean())
  .map(([cfg, methods, noise, wild]) => {
    const c: Record<string, unknown> = { ...(cfg as Record<string, unknown>), methods };
    if (noise) c.noise = noise;
    else delete c.noise;
    // Keep datasets mostly built-in (user files are fuzzed in fuzz-data), sometimes anything the schema allows.
    if (!wild && Array.isArray(c.datasets)) c.datasets = (c.datasets as unknown[]).map((d) => (typeof d === 'object' && d ? { ...d, name: 'digits', format: undefined, path: undefined } : 'digits'));
    return JSON.parse(JSON.stringify(c)) as unknown;
  });

const configText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SHIPPED).chain(mutateText),
  fc.constantFrom(...SHIPPED).chain((t) => mutateData(parse(t))).chain((v) => fc.boolean().map((flow) => toYaml(v, flow))),
  fc.tuple(schemaConfig, fc.boolean()).map(([v, flow]) => toYaml(v, flow)),
  fc.tuple(schemaConfig, fc.boolean()).chain(([v, flow]) => mutateText(toYaml(v, flow))),
);

test('every shipped config is accepted as it is', () => {
  for (const text of SHIPPED) assert.equal(outcome(text), 'accepted');
});

test('fuzz: mutated and schema-generated configs are accepted or refused with file:line:col, never an internal error', { timeout: 300_000 }, () => {
  const seen = { accepted: 0, refused: 0 };
  const t0 = Date.now();
  fc.assert(
    fc.property(configText, (text) => {
      seen[outcome(text)]++;
    }),
    fuzzParams(1000),
  );
  // Both outcomes must occur, or the generators have gone stale (e.g. everything refused for one early mistake).
  assert.ok(seen.accepted > fuzzRuns(1000) * 0.05 && seen.refused > fuzzRuns(1000) * 0.2, JSON.stringify(seen));
  process.stderr.write(`fuzz-config: ${JSON.stringify(seen)} in ${((Date.now() - t0) / 1000).toFixed(1)} s (seed ${FUZZ_SEED})\n`);
});

function runCli(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

test('fuzz through the CLI: a sample of the same configs gives exit 0 or 2 from `mixbench validate`, never an internal error', { timeout: 600_000 }, async () => {
  const dir = tempDir('mixbench-fuzz-cli-');
  const sample = fc.sample(configText, { seed: FUZZ_SEED, numRuns: Math.max(12, Math.round(fuzzRuns(1000) / 60)) });
  const queue = sample.map((text, i) => ({ text, path: join(dir, `fuzz-${i}.yaml`) }));
  const work = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      writeFileSync(c.path, c.text);
      const inProcess = (() => {
        try {
          return outcome(c.text);
        } catch {
          return 'crashed';
        }
      })();
      const r = await runCli(['validate', c.path]);
      const where = `config:\n${c.text}\nstderr:\n${r.stderr}`;
      assert.equal(r.signal, null, `killed (hang?): ${where}`);
      assert.doesNotMatch(r.stderr, /internal error|This is a bug/, where);
      assert.ok(r.code === 0 || r.code === 2, `exit ${r.code}: ${where}`);
      if (inProcess === 'refused') {
        assert.equal(r.code, 2, where);
        assert.ok(r.stderr.includes(`${c.path}:`) && new RegExp(`${c.path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: `).test(r.stderr), where);
      }
    }
  };
  await Promise.all([work(), work()]);
});
