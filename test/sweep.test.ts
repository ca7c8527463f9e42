/**
 * Sweeps with real subprocesses: interruption (kill -9, SIGTERM) and resume ≡ an uninterrupted sweep; shards in
 * parallel into one directory, and shards copied back into several, report ≡ one process; corrupt records are redone.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers';
import { runCli, startCli, tableWithoutTimings, writeConfig } from './sweep-util';

let root: string;
let config: string;
let reference: string;

const ids = (dir: string): string[] => readdirSync(join(dir, 'runs')).sort();
const complete = (dir: string): string[] => ids(dir).filter((id) => existsSync(join(dir, 'runs', id, 'done')));

function assertSameTables(dir: string, ref: string): void {
  for (const f of ['runs.csv', 'summary.csv']) {
    assert.deepEqual(tableWithoutTimings(join(dir, f)), tableWithoutTimings(join(ref, f)), `${f} of ${dir} differs from the uninterrupted sweep`);
  }
}

before(async () => {
  root = tempDir('mixbench-sweep-');
  config = writeConfig(root, { seeds: [1, 2, 3], epochs: 2 });
  reference = join(root, 'reference');
  const r = await runCli(['run', config, '-o', reference, '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(complete(reference).length, 6);
});

test('kill -9 of a --jobs 2 sweep midway, then resume: the final tables equal the uninterrupted sweep', async () => {
  const out = join(root, 'killed');
  const s = startCli(['run', config, '-o', out, '--jobs', '2', '--json', '-q']);
  await s.waitFor((e) => e.type === 'run_finished');
  s.child.kill('SIGKILL');
  const killed = await s.done;
  assert.equal(killed.signal, 'SIGKILL');
  const after = complete(out);
  assert.ok(after.length >= 1 && after.length < 6, `some runs complete, some not: ${after.length}`);
  // The workers notice that their parent is gone and exit; the lock is stale (dead pid) and is taken over.
  const resumed = await runCli(['run', config, '-o', out, '--jobs', '2', '--json', '-q']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const plan = resumed.events.find((e) => e.type === 'plan')!;
  assert.equal(plan.complete, after.length);
  assert.ok(resumed.events.some((e) => e.type === 'notice' && /stale lock/.test(String(e.message))), 'took over the dead sweep\'s lock');
  const started = resumed.events.filter((e) => e.type === 'run_started').map((e) => e.id);
  assert.deepEqual(started.filter((id) => after.includes(String(id))), [], 'complete runs are not redone');
  assert.equal(started.length, 6 - after.length);
  assert.equal(complete(out).length, 6);
  assertSameTables(out, reference);
});

test('SIGTERM stops an in-process sweep between steps: exit 130, partial run left incomplete, next run finishes', async () => {
  const out = join(root, 'sigterm');
  const s = startCli(['run', config, '-o', out, '--jobs', '1', '--json', '-q']);
  // Interrupt as the second run starts: all its epochs are still to come, so the signal lands between its steps.
  await s.waitFor((e) => e.type === 'run_finished');
  await s.waitFor((e) => e.type === 'run_started' && e.index === 2);
  s.child.kill('SIGTERM');
  const r = await s.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted: complete runs are kept/);
  const partial = r.events.filter((e) => e.type === 'run_started').map((e) => String(e.id)).pop()!;
  assert.ok(!existsSync(join(out, 'runs', partial, 'done')), 'the interrupted run has no done marker');
  assert.ok(!existsSync(join(out, '.mixbench-lock-1of1')), 'the lock is released');
  const doneBefore = complete(out);
  assert.ok(doneBefore.length >= 1 && doneBefore.length < 6);
  const resumed = await runCli(['run', config, '-o', out, '--json', '-q']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(resumed.events.some((e) => e.type === 'run_started' && e.id === partial), 'the interrupted run is redone');
  assertSameTables(out, reference);
});

test('two shards in parallel into one directory, then report = the single-process tables; copied-back shards merge too', async () => {
  const out = join(root, 'shared');
  const [a, b] = await Promise.all([
    runCli(['run', config, '-o', out, '--shard', '1/2', '--json', '-q']),
    // The second shard from a Slurm array whose ids start at 1.
    runCli(['run', config, '-o', out, '--json', '-q'], { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '2' }),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const ranA = a.events.filter((e) => e.type === 'run_started').map((e) => String(e.id));
  const ranB = b.events.filter((e) => e.type === 'run_started').map((e) => String(e.id));
  assert.equal(ranA.length + ranB.length, 6);
  assert.deepEqual(ranA.filter((id) => ranB.includes(id)), [], 'shards are disjoint');
  assert.deepEqual([...ranA, ...ranB].sort(), complete(reference));
  assert.equal(b.events.find((e) => e.type === 'plan')!.shardSource, 'SLURM_ARRAY_TASK_ID=2');

  // A shard re-run is idempotent: nothing to do, nothing rewritten.
  const again = await runCli(['run', config, '-o', out, '--shard', '1/2', '--json', '-q']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.events.filter((e) => e.type === 'run_started').length, 0);

  const rep = await runCli(['report', out, '--plan', config]);
  assert.equal(rep.code, 0, rep.stderr);
  assert.match(rep.stderr, /6 of 6 runs of sweeptest found/);
  const refReport = join(root, 'reference-report');
  cpSync(reference, refReport, { recursive: true });
  assert.equal((await runCli(['report', refReport])).code, 0);
  assertSameTables(out, refReport);

  // Copied back from two machines: each directory holds one shard's runs; report merges without copying.
  const d1 = join(root, 'copy1');
  const d2 = join(root, 'copy2');
  for (const [d, ran] of [[d1, ranA], [d2, ranB]] as const) {
    mkdirSync(join(d, 'runs'), { recursive: true });
    for (const id of ran) cpSync(join(out, 'runs', id), join(d, 'runs', id), { recursive: true });
  }
  const merged = join(root, 'merged');
  const partial = await runCli(['report', d1, '--plan', config, '-o', join(root, 'partial')]);
  assert.equal(partial.code, 1, 'a missing shard fails the --plan check');
  assert.match(partial.stderr, /3 of 6 runs .* found; missing: /);
  const severalWithoutOutput = await runCli(['report', d1, d2]);
  assert.equal(severalWithoutOutput.code, 2);
  const m = await runCli(['report', d1, d2, '-o', merged, '--plan', config]);
  assert.equal(m.code, 0, m.stderr);
  assertSameTables(merged, refReport);
});

test('a corrupt, half-written or foreign record is detected and redone, never used', async () => {
  const out = join(root, 'corrupt');
  cpSync(reference, out, { recursive: true });
  const [truncated, noDone, foreign, ...rest] = ids(out);
  const res = join(out, 'runs', truncated, 'result.json');
  writeFileSync(res, readFileSync(res, 'utf8').slice(0, 200)); // half-written
  rmSync(join(out, 'runs', noDone, 'done')); // result.json without its done marker
  const other = JSON.parse(readFileSync(join(out, 'runs', rest[0], 'result.json'), 'utf8'));
  writeFileSync(join(out, 'runs', foreign, 'result.json'), JSON.stringify(other)); // a valid record, of another run
  const r = await runCli(['run', config, '-o', out, '--json', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const plan = r.events.find((e) => e.type === 'plan')!;
  assert.equal(plan.incomplete, 3);
  assert.deepEqual(r.events.filter((e) => e.type === 'run_started').map((e) => String(e.id)).sort(), [truncated, noDone, foreign].sort());
  for (const id of [truncated, noDone, foreign]) assert.equal(JSON.parse(readFileSync(join(out, 'runs', id, 'result.json'), 'utf8')).id, id);
  assertSameTables(out, reference);
  // --force redoes complete runs (here the two of seed 1, with --only).
  const forced = await runCli(['run', config, '-o', out, '--force', '--only', 'seed=1', '--jobs', '2', '--json', '-q']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(forced.events.filter((e) => e.type === 'run_started').map((e) => String(e.id).replace(/-[0-9a-f]{10}$/, '')).sort(), ['digits-baseline-none-s1', 'digits-mixup-none-s1']);
  assertSameTables(out, reference);
});
