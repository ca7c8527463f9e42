/**
 * Property: random bytes in a run's result.json or done marker, or in a lock file, never make a sweep misread a run.
 * A record is either read back exactly as mixbench wrote it, or treated as incomplete (redone by the next sweep and
 * counted as such); older records (status-only markers) that pass the shape check never crash the tables. Lock files
 * with any content are taken over or reported (exit 2), never a crash or a hang. The records are real: one tiny sweep
 * runs first. A sample of corrupted directories then goes through `mixbench run` itself.
 * Seed and length: test/fuzz-util.ts.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { planRuns } from '../src/config/plan';
import { loadConfigFile } from '../src/config/load';
import { resolveReport } from '../src/config/resolve';
import type { RunRecord } from '../src/core/record';
import type { RunSpec } from '../src/core/run';
import { writeReport } from '../src/report/write';
import { LockedError, acquireSweepLock, withTablesLock } from '../src/store/lock';
import { readRunRecord } from '../src/store/records';
import { WHOLE } from '../src/run/shard';
import { tempDir } from './helpers';
import { FUZZ_SEED, fuzzParams, fuzzRuns, mutateBytes, wildValue } from './fuzz-util';
import { runCli, TINY_MODEL } from './sweep-util';

const root = tempDir('mixbench-fuzz-records-');
const pristine = join(root, 'pristine');
let specs: RunSpec[];
let originals: Map<string, { json: Buffer; done: Buffer; record: RunRecord }>;
let config: string;

before(async () => {
  config = join(root, 'rec.yaml');
  writeFileSync(config, `name: fuzzrec
seeds: [1]
datasets: [{name: digits, limit: 100}]
methods: [baseline, {mixup: {alpha: 1}}]
noise: [none, {label: {type: symmetric, rate: 0.2}}]
model: ${TINY_MODEL}
train: {epochs: 2, batchSize: 32}
backend: cpu
output: ${pristine}
`);
  const r = await runCli(['run', config, '-q']);
  assert.equal(r.code, 0, r.stderr);
  specs = planRuns(loadConfigFile(config)).runs;
  originals = new Map(specs.map((s) => {
    const dir = join(pristine, 'runs', s.id);
    return [s.id, { json: readFileSync(join(dir, 'result.json')), done: readFileSync(join(dir, 'done')), record: readRunRecord(pristine, s)! }];
  }));
  for (const [id, o] of originals) assert.ok(o.record, `${id} was written and reads back`);
});

let copies = 0;
function freshCopy(): string {
  const dir = join(root, `copy-${copies++}`);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

/** Structural damage: a field set to a wrong value, deleted, or the status changed, then written back as JSON. */
function mutateJson(json: Buffer): fc.Arbitrary<Buffer> {
  const rec = JSON.parse(json.toString('utf8')) as Record<string, unknown>;
  const paths: string[][] = [];
  const walk = (v: unknown, p: string[]) => {
    if (p.length) paths.push(p);
    if (v && typeof v === 'object' && p.length < 4) for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(rec, []);
  return fc.tuple(fc.constantFrom(...paths), fc.boolean(), wildValue).map(([path, del, value]) => {
    const copy = structuredClone(rec);
    let parent: Record<string, unknown> = copy;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string, unknown>;
    if (del) delete parent[path[path.length - 1]];
    else parent[path[path.length - 1]] = value;
    return Buffer.from(`${JSON.stringify(copy, null, 1)}\n`);
  });
}

interface Damage {
  spec: RunSpec;
  json?: Buffer;
  done?: Buffer | null;
}

const damage: fc.Arbitrary<Damage> = fc.constantFrom(0, 1, 2, 3).chain((k) => {
  const o = () => originals.get(specs[k].id)!;
  const legacy = () => Buffer.from(`${o().record.status}\n`);
  return fc.oneof(
    mutateBytes(o().json).map((json) => ({ spec: specs[k], json })),
    mutateJson(o().json).map((json) => ({ spec: specs[k], json })),
    // With an older, status-only marker, nothing vouches for the bytes: the shape check must.
    mutateJson(o().json).map((json) => ({ spec: specs[k], json, done: legacy() })),
    mutateBytes(o().json).map((json) => ({ spec: specs[k], json, done: legacy() })),
    mutateBytes(o().done).map((done) => ({ spec: specs[k], done })),
    fc.constant({ spec: specs[k], done: null }),
    // Harmless changes (a marker without its newline, a file rewritten with the same bytes) must read back exactly;
    // listed so that the "exact" side of the property is exercised whatever the seed.
    fc.constant({ spec: specs[k], done: Buffer.from(o().done.toString('latin1').trimEnd(), 'latin1') }),
    fc.constant({ spec: specs[k], json: Buffer.from(o().json) }),
  );
});

function apply(dir: string, d: Damage): void {
  const run = join(dir, 'runs', d.spec.id);
  if (d.json) writeFileSync(join(run, 'result.json'), d.json);
  if (d.done === null) rmSync(join(run, 'done'));
  else if (d.done) writeFileSync(join(run, 'done'), d.done);
}

test('fuzz: a damaged result.json or done marker reads back exactly as written, or as incomplete; tables never crash', { timeout: 300_000 }, () => {
  const seen = { exact: 0, incomplete: 0, legacyAccepted: 0 };
  const dir = freshCopy();
  fc.assert(
    fc.property(damage, (d) => {
      const run = join(dir, 'runs', d.spec.id);
      const o = originals.get(d.spec.id)!;
      try {
        apply(dir, d);
        const rec = readRunRecord(dir, d.spec);
        if (!rec) {
          seen.incomplete++;
          return;
        }
        const legacy = d.done !== undefined && d.done !== null && !d.done.includes('sha256');
        if (!legacy || !d.json) {
          // A hashed marker vouches for exactly the bytes written.
          assert.deepEqual(rec, o.record);
          seen.exact++;
          return;
        }
        seen.legacyAccepted++;
        assert.equal(rec.id, d.spec.id);
        const others = specs.filter((s) => s.id !== d.spec.id).map((s) => originals.get(s.id)!.record);
        writeReport(join(dir, 'report'), [rec, ...others], resolveReport());
      } finally {
        writeFileSync(join(run, 'result.json'), o.json);
        writeFileSync(join(run, 'done'), o.done);
      }
    }),
    fuzzParams(200),
  );
  assert.ok(seen.exact > 0 && seen.incomplete > 0, JSON.stringify(seen));
  process.stderr.write(`fuzz-records: ${JSON.stringify(seen)} (seed ${FUZZ_SEED})\n`);
});

test('fuzz: any bytes in the sweep lock or the tables lock are taken over or reported, never a crash or a hang', { timeout: 300_000 }, () => {
  const dir = freshCopy();
  const lockPath = join(dir, '.mixbench-lock-1of1');
  const tablesPath = join(dir, '.mixbench-tables.lock');
  const content = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.record({ pid: wildValue, host: wildValue, started: wildValue, heartbeat: wildValue, command: wildValue }, { requiredKeys: [] }).map((o) => Buffer.from(JSON.stringify(o))),
    fc.record({ pid: fc.constantFrom(process.pid, 1, 999999, -1, 0, 1.5), host: fc.constantFrom(require('node:os').hostname(), 'elsewhere'), heartbeat: fc.constantFrom(new Date().toISOString(), '2000-01-01T00:00:00Z', 'x') }).map((o) => Buffer.from(JSON.stringify(o))),
  );
  const seen = { acquired: 0, reported: 0 };
  fc.assert(
    fc.property(content, fc.boolean(), (bytes, old) => {
      writeFileSync(lockPath, bytes);
      writeFileSync(tablesPath, bytes);
      // Old files (a minute) are judged stale by age; fresh unreadable ones look like a lock being written.
      const t = new Date(Date.now() - (old ? 60_000 : 0));
      utimesSync(lockPath, t, t);
      utimesSync(tablesPath, old ? t : new Date(Date.now() - 60_000), old ? t : new Date(Date.now() - 60_000));
      try {
        const held = acquireSweepLock(dir, WHOLE, 60_000);
        held.release();
        seen.acquired++;
      } catch (err) {
        if (!(err instanceof LockedError)) throw new Error(`not a LockedError: ${String(err)}`);
        assert.match(err.message, /is locked: this sweep is already running/);
        seen.reported++;
      }
      const t0 = Date.now();
      assert.equal(withTablesLock(dir, () => 42), 42);
      assert.ok(Date.now() - t0 < 10_000, 'an abandoned tables lock is taken over promptly');
      rmSync(lockPath, { force: true });
    }),
    fuzzParams(150),
  );
  assert.ok(seen.acquired > 0 && seen.reported > 0, JSON.stringify(seen));
});

test('fuzz through the sweep: `mixbench run` on directories with damaged records redoes exactly the runs that do not read back, then the tables cover all', { timeout: 900_000 }, async () => {
  const sample = fc.sample(damage, { seed: FUZZ_SEED, numRuns: Math.max(3, Math.round(fuzzRuns(200) / 70)) });
  for (const d of sample) {
    const dir = freshCopy();
    apply(dir, d);
    const expectRedo = readRunRecord(dir, d.spec) ? [] : [d.spec.id];
    const r = await runCli(['run', config, '-o', dir, '--json', '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|This is a bug/);
    assert.deepEqual(r.events.filter((e) => e.type === 'run_started').map((e) => e.id), expectRedo);
    const plan = r.events.find((e) => e.type === 'plan')!;
    assert.equal(plan.todo, expectRedo.length, 'the sweep reports how many runs it redoes');
    for (const s of specs) assert.ok(readRunRecord(dir, s), `${s.id} complete after the sweep`);
    const rows = readFileSync(join(dir, 'runs.csv'), 'utf8').trim().split('\n');
    assert.equal(rows.length, 1 + specs.length);
  }
});
