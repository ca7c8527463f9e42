/**
 * Properties of plan expansion and shard splitting for random (valid) configs and shard counts:
 *  - the plan is the full product datasets × noise × methods × seeds (× members), ids unique and well formed;
 *  - ids are stable: the same config plans the same ids, and a run's id and spec do not depend on the other entries
 *    (a config with fewer datasets, methods, noise settings or seeds plans a subset with identical ids and specs);
 *  - under one (dataset, noise, seed) every method gets the same initSeed (paired comparisons);
 *  - shards 1..N are disjoint, cover the plan, keep plan order, differ in size by at most one, and do not depend on
 *    the order of the input; `--only` filters keep ids.
 * Seed and length: test/fuzz-util.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import type { Plan } from '../src/core/run';
import { ConfigError } from '../src/errors';
import { filterPlan } from '../src/run/filter';
import { selectShard } from '../src/run/shard';
import { slug } from '../src/util/slug';
import { FUZZ_SEED, fuzzParams } from './fuzz-util';

const DATASETS: unknown[] = ['digits', 'letters', { name: 'digits', trainSize: 300, limit: 400 }, { name: 'digits', trainFraction: 0.5 }, { name: 'letters', trainSize: 500 }, { name: 'spam-subjects', maxLength: 16 }];
const METHODS: unknown[] = ['baseline', { mixup: { alpha: 0.4 } }, { method: 'mixup', name: 'mixup-a2', alpha: 2 }, { 'label-smoothing': { epsilon: 0.2 } }, { sam: { rho: 0.1 } }, 'gmix'];
const NOISE: unknown[] = ['none', { label: { type: 'symmetric', rate: [0.2, 0.4] } }, { label: { type: 'asymmetric', rate: 0.3 } }, { label: { type: 'uniform', rate: 0.1 } }];

interface Cfg {
  datasets: unknown[];
  methods: unknown[];
  noise: unknown[];
  seeds: number[] | number;
  ensemble?: { members: number };
}

const subset = (xs: unknown[]) => fc.subarray(xs, { minLength: 1 });
const cfgArb: fc.Arbitrary<Cfg> = fc.record(
  {
    // Text and image/tabular datasets need compatible methods: keep spam-subjects with text-capable methods only.
    datasets: subset(DATASETS.slice(0, 5)),
    methods: subset(METHODS),
    noise: subset(NOISE.slice(0, 3)),
    seeds: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.uniqueArray(fc.integer({ min: -3, max: 40 }), { minLength: 1, maxLength: 4 })),
    ensemble: fc.option(fc.record({ members: fc.integer({ min: 1, max: 2 }) }), { nil: undefined }),
  },
  { requiredKeys: ['datasets', 'methods', 'noise', 'seeds'] },
);

function plan(c: Cfg): Plan {
  const text = stringify({ name: 'fuzzplan', ...c, model: { dim: 16, depth: 1, heads: 2 }, ...(c.ensemble ? {} : {}) });
  try {
    return planRuns(parseConfig(text, 'fuzz-plan.yaml'));
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(`a valid config was refused:\n${text}\n${err.message}`);
    throw err;
  }
}

const seedList = (s: Cfg['seeds']) => (typeof s === 'number' ? Array.from({ length: s }, (_, i) => i + 1) : s);

test('fuzz: plans are the full product with unique, well-formed ids; stable under re-planning and under dropping entries', { timeout: 300_000 }, () => {
  fc.assert(
    fc.property(cfgArb, fc.nat(), (c, pick) => {
      const p = plan(c);
      const noiseSettings = c.noise.reduce<number>((n, x) => n + (typeof x === 'object' && x && 'label' in x && Array.isArray((x as { label: { rate: unknown } }).label.rate) ? ((x as { label: { rate: unknown[] } }).label.rate.length) : 1), 0);
      const seeds = seedList(c.seeds);
      const members = c.ensemble?.members ?? 1;
      assert.equal(p.runs.length, c.datasets.length * noiseSettings * c.methods.length * seeds.length * members);
      const ids = p.runs.map((r) => r.id);
      assert.equal(new Set(ids).size, ids.length, 'unique ids');
      for (const r of p.runs) {
        const member = r.member ? `-m${r.member.index}` : '';
        assert.equal(r.id, `${slug(r.dataset.name)}-${slug(r.method.name)}-${slug(r.noise.label)}-s${r.seed}${member}-${r.id.slice(-10)}`);
        assert.match(r.id.slice(-10), /^[0-9a-f]{10}$/);
        assert.ok(r.initSeed !== 0 && r.methodSeed !== 0);
      }
      assert.deepEqual(plan(c), p, 'the same config plans the same runs');
      // Paired design: one initSeed per (dataset, noise, seed, member), shared by every method.
      const init = new Map<string, number>();
      for (const r of p.runs) {
        const key = JSON.stringify([r.dataset, r.noise, r.seed, r.member?.index]);
        if (!init.has(key)) init.set(key, r.initSeed);
        assert.equal(r.initSeed, init.get(key));
      }
      // Drop entries from one axis: the remaining runs keep their ids and specs.
      const axis = (['datasets', 'methods', 'noise'] as const)[pick % 3];
      if (c[axis].length > 1) {
        const smaller = { ...c, [axis]: c[axis].filter((_, i) => i !== pick % c[axis].length) };
        const byId = new Map(p.runs.map((r) => [r.id, r]));
        for (const r of plan(smaller).runs) assert.deepEqual(r, byId.get(r.id), `${r.id} is the same run in the smaller plan`);
      }
      if (seeds.length > 1) {
        const fewer = { ...c, seeds: seeds.slice(0, -1) };
        const byId = new Map(p.runs.map((r) => [r.id, r]));
        for (const r of plan(fewer).runs) assert.deepEqual(r, byId.get(r.id));
      }
    }),
    fuzzParams(100),
  );
});

test('fuzz: shards are disjoint, cover the plan, keep its order, are balanced, and do not depend on the input order', { timeout: 300_000 }, () => {
  fc.assert(
    fc.property(cfgArb, fc.integer({ min: 1, max: 40 }), fc.nat(), (c, count, rot) => {
      const runs = plan(c).runs;
      const shards = Array.from({ length: count }, (_, k) => selectShard(runs, { index: k + 1, count }));
      const all = shards.flat().map((r) => r.id);
      assert.equal(all.length, runs.length, 'no run in two shards');
      assert.deepEqual([...all].sort(), runs.map((r) => r.id).sort(), 'every run in a shard');
      const pos = new Map(runs.map((r, i) => [r.id, i]));
      for (const s of shards) for (let i = 1; i < s.length; i++) assert.ok(pos.get(s[i].id)! > pos.get(s[i - 1].id)!, 'plan order');
      const sizes = shards.map((s) => s.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `balanced: ${sizes.join(',')}`);
      // Another machine may list the runs in another order: the split is the same.
      const rotated = [...runs.slice(rot % runs.length), ...runs.slice(0, rot % runs.length)];
      for (let k = 0; k < count; k++) {
        assert.deepEqual(selectShard(rotated, { index: k + 1, count }).map((r) => r.id).sort(), shards[k].map((r) => r.id).sort());
      }
    }),
    fuzzParams(100),
  );
});

test('fuzz: --only filters keep ids and select exactly the matching runs', { timeout: 300_000 }, () => {
  fc.assert(
    fc.property(cfgArb, fc.nat(), (c, pick) => {
      const p = plan(c);
      const r0 = p.runs[pick % p.runs.length];
      const f = filterPlan(p, [`method=${r0.method.name}`, `seed=${r0.seed}`]);
      assert.ok(f.runs.length >= 1 && f.runs.every((r) => r.method.name === r0.method.name && r.seed === r0.seed));
      assert.equal(f.runs.length, p.runs.filter((r) => r.method.name === r0.method.name && r.seed === r0.seed).length);
      const ids = new Set(p.runs.map((r) => r.id));
      for (const r of f.runs) assert.ok(ids.has(r.id));
    }),
    fuzzParams(80),
  );
  process.stderr.write(`fuzz-plan: seed ${FUZZ_SEED}\n`);
});
