/**
 * Golden step tests: mixbench agrees with its PyTorch twin (reference/) on one training step of every golden
 * fixture (test/golden/steps, `npm run golden`) — logits, losses, every gradient, SAM's ε̂, the AdamW and SGD steps
 * and the over-smoothing cosines — on wasm, on cpu, and on cpu with the tensorflow backends' op formulations. The
 * fixtures must cover every catalogue method on every modality and model it takes and every value of its enumerated
 * options, and every method of the paper configs on their data and network: a method without one fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { loadConfigFile } from '../src/config/load';
import { modalityOf } from '../src/data/spec';
import { methodInfo, methodNames } from '../src/methods';
import { checkGoldenCase, loadGoldenCases, useGoldenBackend, type Deviation, type GoldenCase } from './golden-util';
import { REPO_ROOT } from './golden/format';

const cases = loadGoldenCases();
const ADD_CASE = 'add a case to test/golden/cases.ts and run `npm run golden`';

/** The values an option can take when it is an enumeration or a boolean (else null: a number, list, ...). */
function enumerated(schema: z.ZodType): string[] | null {
  let t = schema as unknown as { def: { type: string; innerType?: unknown; entries?: Record<string, string> } };
  while (t.def.type === 'default' || t.def.type === 'optional') t = t.def.innerType as typeof t;
  if (t.def.type === 'boolean') return ['false', 'true'];
  if (t.def.type === 'enum') return Object.values(t.def.entries ?? {});
  return null;
}

function withPart(name: string): { c: GoldenCase; options: Record<string, unknown> }[] {
  return cases.flatMap((c) => c.fixture.method.filter((p) => p.method === name).map((p) => ({ c, options: p.options })));
}

test('golden fixtures cover every catalogue method on every modality and model it takes, and every enumerated option value', () => {
  for (const name of methodNames()) {
    const info = methodInfo(name)!;
    const mine = withPart(name);
    assert.ok(mine.length, `method "${name}" has no golden fixture; ${ADD_CASE}`);
    for (const modality of info.modalities) {
      assert.ok(mine.some(({ c }) => c.fixture.data.modality === modality), `method "${name}" has no golden fixture on ${modality} data; ${ADD_CASE}`);
    }
    for (const model of info.models) {
      assert.ok(mine.some(({ c }) => c.fixture.model.type === model), `method "${name}" has no golden fixture with model.type ${model}; ${ADD_CASE}`);
    }
    for (const [option, schema] of Object.entries(info.options.shape)) {
      for (const value of enumerated(schema as z.ZodType) ?? []) {
        assert.ok(mine.some(({ options }) => String(options[option]) === value), `method "${name}" has no golden fixture with ${option}: ${value}; ${ADD_CASE}`);
      }
    }
  }
  for (const pool of ['mean', 'cls']) {
    assert.ok(cases.some((c) => c.fixture.model.type === 'transformer' && c.fixture.model.pool === pool), `no golden fixture with pool ${pool}`);
  }
});

function paperConfigs(dir = join(REPO_ROOT, 'configs', 'papers')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? paperConfigs(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : []);
}

test('golden fixtures cover every method (and composition) of the paper configs on their data and network', () => {
  const files = paperConfigs();
  assert.ok(files.length > 0, 'configs/papers holds configs');
  for (const file of files) {
    const exp = loadConfigFile(file);
    // Every point of the model × training grid (a depth axis gives several models; type and pooling are what count).
    for (const { model } of exp.grid) for (const method of exp.methods) {
      const names = method.parts.map((p) => p.method).sort();
      for (const ds of exp.datasets) {
        const modality = modalityOf(ds);
        const found = cases.some(({ fixture: f }) => {
          const same = [...f.method.map((p) => p.method)].sort();
          if (same.join('+') !== names.join('+') || f.data.modality !== modality || f.model.type !== model.type) return false;
          if (f.model.type === 'transformer' && model.type === 'transformer' && f.model.pool !== model.pool) return false;
          // Options that choose a code path (enumerations, booleans) must match; numbers are only values.
          return method.parts.every((p) => {
            const fp = f.method.find((q) => q.method === p.method)!;
            return Object.entries(p.options).every(([k, v]) => !(typeof v === 'string' || typeof v === 'boolean') || fp.options[k] === v);
          });
        });
        const what = method.parts.map((p) => `${p.method} ${JSON.stringify(p.options)}`).join(' + ');
        assert.ok(found, `${file}: method ${method.name} (${what}) on ${ds.name} (${modality}, ${model.type}) has no golden fixture; ${ADD_CASE}`);
      }
    }
  }
});

for (const backend of ['wasm', 'cpu', 'cpu-tensorflow-ops'] as const) {
  test(`golden steps agree with the PyTorch twin on ${backend}`, async (t) => {
    await useGoldenBackend(backend);
    const worst: [string, Deviation][] = [];
    for (const c of cases) {
      await t.test(c.fixture.case, () => {
        const devs = checkGoldenCase(backend, c);
        worst.push([c.fixture.case, devs.reduce((a, b) => (b.rel > a.rel ? b : a))]);
      });
    }
    // GOLDEN_REPORT=1 prints the largest deviation of every case (for the docs and for calibrating a new backend).
    if (process.env.GOLDEN_REPORT) for (const [n, d] of worst) console.log(`${backend}\t${n}\t${d.rel.toExponential(2)}\t${d.what}`);
  });
}
