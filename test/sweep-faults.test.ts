/**
 * Faults with real subprocesses: a run that throws, a run whose loss is NaN, a worker killed with SIGKILL, --retries,
 * --fail-fast, and the per-shard lock (a second sweep of the same shard exits 2; other shards share the directory;
 * stale locks are taken over). Faults are injected with the MIXBENCH_TEST_FAULT testing hook (src/run/faults.ts).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tempDir } from './helpers';
import { parseCsv, runCli, startCli, writeConfig } from './sweep-util';

let root: string;
let config: string;

interface Rec {
  id: string;
  status: string;
  error: string | null;
  attempt?: number;
}

function records(out: string): Map<string, Rec> {
  const rows = parseCsv(readFileSync(join(out, 'runs.csv'), 'utf8'));
  const m = new Map<string, Rec>();
  for (const row of rows.slice(1)) {
    const id = row[rows[0].indexOf('run_id')];
    const rec = JSON.parse(readFileSync(join(out, 'runs', id, 'result.json'), 'utf8')) as Rec;
    assert.equal(row[rows[0].indexOf('status')], rec.status, 'runs.csv shows the recorded status');
    m.set(id.replace(/-[0-9a-f]{10}$/, ''), rec);
  }
  return m;
}

before(() => {
  root = tempDir('mixbench-faults-');
  config = writeConfig(root, { seeds: [1, 2], epochs: 2, name: 'faults' });
});

test('with --jobs 2: an exception is retried, a NaN loss is recorded as diverged, a killed worker as failed; the sweep goes on', async () => {
  const out = join(root, 'faults');
  const r = await runCli(['run', config, '-o', out, '--jobs', '2', '--retries', '1', '--json', '-q'], {
    MIXBENCH_TEST_FAULT: 'baseline-none-s2:throw:1,mixup-none-s1:nan,mixup-none-s2:kill',
  });
  assert.equal(r.code, 1, r.stderr);
  const recs = records(out);
  assert.equal(recs.size, 4);
  assert.equal(recs.get('digits-baseline-none-s1')!.status, 'ok');
  assert.equal(recs.get('digits-baseline-none-s2')!.status, 'ok', 'the exception happened on the first attempt only');
  assert.equal(recs.get('digits-baseline-none-s2')!.attempt, 2);
  assert.equal(recs.get('digits-mixup-none-s1')!.status, 'diverged');
  assert.match(recs.get('digits-mixup-none-s1')!.error!, /NaN\/Inf at epoch 1/);
  assert.equal(recs.get('digits-mixup-none-s2')!.status, 'failed');
  assert.match(recs.get('digits-mixup-none-s2')!.error!, /worker \d+ \(pid \d+\) was killed by SIGKILL during this run/);
  assert.equal(recs.get('digits-mixup-none-s2')!.attempt, 2, 'the killed run was retried once');
  const fin = r.events.filter((e) => e.type === 'run_finished');
  assert.equal(fin.filter((e) => e.willRetry).length, 2, 'one retry for the exception, one for the killed worker');

  // The next sweep redoes the failed run only (a divergence is a result and is kept).
  const again = await runCli(['run', config, '-o', out, '--jobs', '2', '--json', '-q']);
  assert.equal(again.code, 1, 'a diverged run still makes the exit code 1');
  assert.deepEqual(again.events.filter((e) => e.type === 'run_started').map((e) => String(e.id).replace(/-[0-9a-f]{10}$/, '')), ['digits-mixup-none-s2']);
  assert.equal(records(out).get('digits-mixup-none-s2')!.status, 'ok');
});

test('in one process: a run that throws is recorded with its error and the sweep goes on; --fail-fast stops at the first', async () => {
  const out = join(root, 'throw');
  const r = await runCli(['run', config, '-o', out, '--jobs', '1', '--json', '-q'], { MIXBENCH_TEST_FAULT: 'baseline-none-s1:throw' });
  assert.equal(r.code, 1, r.stderr);
  const recs = records(out);
  assert.equal(recs.size, 4);
  assert.equal(recs.get('digits-baseline-none-s1')!.status, 'failed');
  assert.match(recs.get('digits-baseline-none-s1')!.error!, /exception injected into digits-baseline-none-s1-\w+ after epoch 1/);
  assert.deepEqual([...recs.values()].filter((x) => x.status === 'ok').length, 3);

  const ff = join(root, 'failfast');
  const f = await runCli(['run', config, '-o', ff, '--jobs', '1', '--fail-fast', '--json'], { MIXBENCH_TEST_FAULT: 'baseline-none-s1:throw' });
  assert.equal(f.code, 1);
  assert.match(f.stderr, /stopped at the first failure \(--fail-fast\): digits-baseline-none-s1/);
  assert.equal(f.events.filter((e) => e.type === 'run_started').length, 1, 'no run started after the failure');
  assert.equal(records(ff).size, 1);
});

test('the lock: same shard → exit 2; another shard shares the directory; a mismatched split is refused; stale locks are taken over', async () => {
  const out = join(root, 'locked');
  // Shard 1/2 (two workers) hangs in its runs until interrupted.
  const first = startCli(['run', config, '-o', out, '--shard', '1/2', '--jobs', '2', '--json', '-q'], { MIXBENCH_TEST_FAULT: 'digits:hang' });
  await first.waitFor((e) => e.type === 'run_started');
  const same = await runCli(['run', config, '-o', out, '--shard', '1/2', '-q']);
  assert.equal(same.code, 2);
  assert.match(same.stderr, /is locked: shard 1\/2 of this sweep is already running \(pid \d+/);
  const unsharded = await runCli(['run', config, '-o', out, '-q']);
  assert.equal(unsharded.code, 2);
  assert.match(unsharded.stderr, /split into 2 shards/);
  const other = await runCli(['run', config, '-o', out, '--shard', '2/2', '--json', '-q']);
  assert.equal(other.code, 0, other.stderr);
  assert.equal(other.events.filter((e) => e.type === 'run_finished').length, 2);
  first.child.kill('SIGINT');
  const stopped = await first.done;
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.equal(stopped.events.filter((e) => e.type === 'run_finished').length, 0, 'the interrupted runs are not recorded');
  assert.equal(stopped.events.find((e) => e.type === 'done')!.incomplete, 2);
  assert.ok(!existsSync(join(out, '.mixbench-lock-1of2')));
  assert.ok(!existsSync(join(out, '.mixbench-lock-2of2')));

  // A lock left by a dead process on this host is taken over.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  const lock = join(out, '.mixbench-lock-1of2');
  const now = new Date().toISOString();
  writeFileSync(lock, JSON.stringify({ pid: Number(dead), host: hostname(), started: now, heartbeat: now, command: 'x' }));
  const resumed = await runCli(['run', config, '-o', out, '--shard', '1/2', '--json', '-q']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(resumed.events.some((e) => e.type === 'notice' && /stale lock \(process \d+ on .* is gone\)/.test(String(e.message))));

  // A lock held on another host counts while its heartbeat is fresh, and is stale once the heartbeat is old.
  writeFileSync(lock, JSON.stringify({ pid: 1, host: 'elsewhere', started: now, heartbeat: now, command: 'x' }));
  const busy = await runCli(['run', config, '-o', out, '--shard', '1/2', '-q']);
  assert.equal(busy.code, 2);
  assert.match(busy.stderr, /pid 1 on elsewhere/);
  const old = new Date(Date.now() - 10_000).toISOString();
  writeFileSync(lock, JSON.stringify({ pid: 1, host: 'elsewhere', started: old, heartbeat: old, command: 'x' }));
  const { utimesSync } = await import('node:fs');
  utimesSync(lock, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
  const taken = await runCli(['run', config, '-o', out, '--shard', '1/2', '--json', '-q'], { MIXBENCH_LOCK_STALE_SECONDS: '5' });
  assert.equal(taken.code, 0, taken.stderr);
  assert.ok(taken.events.some((e) => e.type === 'notice' && /no heartbeat for \d+ s/.test(String(e.message))));
  assert.ok(!existsSync(lock));
});
