/**
 * `mixbench slurm` and `mixbench status` without a cluster: array splitting (property-tested), Slurm time and option
 * checks, the written scripts (bash syntax, sbatch directives), submission order with a recording `sbatch` on PATH,
 * the array script's signal handling run under plain bash (USR1 → mixbench exits 130 → `scontrol requeue`; TERM → no
 * requeue), and status counts from records and lock files. The real cluster is test/slurm.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { UsageError } from '../src/errors';
import { writeRunRecord } from '../src/store/records';
import { selectShard } from '../src/run/shard';
import { checkSettings, compressRanges, resolveMaxArraySize, slurmTimeSeconds, splitArrays, type SlurmSettings } from '../src/run/slurm';
import { sweepStatus } from '../src/run/status';
import { tempDir } from './helpers';
import { fakeRecord } from './report-fixtures';
import { runCli, TINY_MODEL } from './sweep-util';

/** Task ids of a Slurm `--array` value ("0-3,5,7-9%2"), as Slurm expands it. */
function expandArray(spec: string): { ids: number[]; limit: number | null } {
  const [list, limit] = spec.split('%');
  const ids: number[] = [];
  for (const item of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    assert.ok(m, `array item "${item}" of "${spec}"`);
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) ids.push(i);
  }
  return { ids, limit: limit === undefined ? null : Number(limit) };
}

test('split arrays run exactly the shards asked for, with task ids below MaxArraySize, whatever N, M and the subset', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 60 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: 12 }), fc.subarray(Array.from({ length: n }, (_, i) => i + 1), { minLength: 1 }), fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }))),
      ([n, maxArraySize, todo, limit]) => {
        const parts = splitArrays(todo, n, maxArraySize, limit);
        const covered: number[] = [];
        parts.forEach((p, k) => {
          const { ids, limit: pct } = expandArray(p.array);
          assert.deepEqual(ids, p.taskIds, 'the --array value expands to the part\'s task ids');
          for (const id of ids) {
            assert.ok(id >= 0 && id < maxArraySize, `task id ${id} < MaxArraySize ${maxArraySize}`);
            covered.push(p.offset + id + 1); // what the script computes: SLURM_ARRAY_TASK_ID + offset + 1
          }
          assert.equal(pct, limit !== undefined && limit < ids.length ? limit : null);
          assert.equal(p.afterPrevious, limit !== undefined && k > 0, 'with a limit, each part waits for the previous one');
        });
        assert.deepEqual(covered, [...todo].sort((a, b) => a - b), 'the parts run each shard asked for exactly once');
        assert.equal(parts.length, new Set(todo.map((s) => Math.floor((s - 1) / maxArraySize))).size);
      },
    ),
    { numRuns: 300 },
  );
  assert.equal(compressRanges([0, 1, 2, 3, 5, 7, 8]), '0-3,5,7-8');
  assert.deepEqual(splitArrays([1, 2, 3, 4, 5, 6], 6, 4).map((p) => p.array), ['0-3', '0-1']);
  assert.deepEqual(splitArrays([1, 2, 3, 4], 4, 4).map((p) => p.array), ['0-3'], 'an array of exactly MaxArraySize tasks is not split');
});

test('MaxArraySize: the cluster\'s value, a smaller flag, the flag without a cluster, else Slurm\'s default', () => {
  assert.deepEqual(resolveMaxArraySize(undefined, { value: 4 }), { value: 4, source: 'scontrol show config' });
  assert.equal(resolveMaxArraySize(2, { value: 4 }).value, 2);
  assert.match(resolveMaxArraySize(10, { value: 4 }).source, /lowered/);
  assert.equal(resolveMaxArraySize(10, { value: 4 }).value, 4);
  assert.equal(resolveMaxArraySize(7, { why: 'scontrol is not installed here' }).value, 7);
  const dflt = resolveMaxArraySize(undefined, { why: 'scontrol is not installed here' });
  assert.equal(dflt.value, 1001);
  assert.match(dflt.source, /not installed.*--max-array-size/);
});

test('Slurm time limits and options: parsed like Slurm, nonsense refused with the flag named', () => {
  assert.equal(slurmTimeSeconds('90'), 5400);
  assert.equal(slurmTimeSeconds('5:30'), 330);
  assert.equal(slurmTimeSeconds('2:00:00'), 7200);
  assert.equal(slurmTimeSeconds('1-0'), 86400);
  assert.equal(slurmTimeSeconds('1-2:03'), 86400 + 7200 + 180);
  assert.equal(slurmTimeSeconds('1-2:03:04'), 86400 + 7200 + 184);
  assert.equal(slurmTimeSeconds('UNLIMITED'), null);
  assert.throws(() => slurmTimeSeconds('2h'), /--time "2h"/);
  const ok: SlurmSettings = { shards: 4, cpusPerTask: 1, signalSeconds: 120, maxRequeues: 3, retries: 0, sbatchOptions: ['--account=p1', '--qos=short'] };
  checkSettings(ok);
  checkSettings({ ...ok, time: '10', partition: 'gpu,cpu', mem: '4G' });
  for (const [bad, msg] of [
    [{ time: '2' }, /--signal-before 120 s is not shorter than --time 2/],
    [{ partition: 'a b' }, /--partition/],
    [{ mem: '4 GB' }, /--mem/],
    [{ sbatchOptions: ['--array=0-9'] }, /sets this option itself/],
    [{ sbatchOptions: ['account=x'] }, /must be one sbatch option/],
    [{ signalSeconds: 70000 }, /65535/],
  ] as Array<[Partial<SlurmSettings>, RegExp]>) {
    assert.throws(() => checkSettings({ ...ok, ...bad }), (e: unknown) => e instanceof UsageError && msg.test(e.message), JSON.stringify(bad));
  }
});

/** A config of `seeds` × (baseline, mixup) on 300 digits, cpu backend. */
function config(dir: string, seeds: number[]): string {
  const path = join(dir, 'slurm.yaml');
  writeFileSync(path, `name: slurmtest
seeds: [${seeds.join(', ')}]
datasets: [{name: digits, limit: 300}]
methods: [baseline, {mixup: {alpha: 1}}]
model: ${TINY_MODEL}
train: {epochs: 2, batchSize: 32, lr: 0.003}
backend: cpu
output: ${join(dir, 'out')}
`);
  return path;
}

/** Fake `sbatch`, `scontrol` and `squeue` that log their arguments (one line per call) into `log`. */
function fakeSlurm(dir: string, maxArraySize: number): { bin: string; log: string } {
  const bin = join(dir, 'fake-bin');
  mkdirSync(bin, { recursive: true });
  const log = join(dir, 'slurm-calls.log');
  const script = (body: string): string => `#!/bin/bash\necho "$(basename "$0") $*" >> ${log}\n${body}\n`;
  writeFileSync(join(bin, 'sbatch'), script(`n=$(wc -l < ${log}); echo "$((1000 + n));cluster"`));
  writeFileSync(join(bin, 'scontrol'), script(`[ "$1 $2" = "show config" ] && echo "MaxArraySize            = ${maxArraySize}"; exit 0`));
  writeFileSync(join(bin, 'squeue'), script('exit 0'));
  for (const f of ['sbatch', 'scontrol', 'squeue']) chmodSync(join(bin, f), 0o755);
  return { bin, log };
}

test('mixbench slurm writes valid scripts and submits arrays then the merge job with their ids (recording sbatch on PATH)', async () => {
  const dir = tempDir('mixbench-slurm-local-');
  const cfg = config(dir, [1, 2, 3]);
  const { bin, log } = fakeSlurm(dir, 4);
  const env = { PATH: `${bin}:${process.env.PATH}` };
  const written = await runCli(['slurm', cfg, '--shards', '6', '--time', '1:00:00', '--mem', '2G', '--partition', 'debug', '--array-limit', '3', '--sbatch=--account=proj', '--json'], env);
  assert.equal(written.code, 0, written.stderr);
  const w = JSON.parse(written.stdout) as { maxArraySize: { value: number; source: string }; arrays: Array<{ array: string }>; files: { arrays: string[]; merge: string; submit: string }; submitted: null };
  assert.deepEqual(w.maxArraySize, { value: 4, source: 'scontrol show config' });
  assert.deepEqual(w.arrays.map((a) => a.array), ['0-3%3', '0-1']);
  assert.equal(w.submitted, null);
  for (const f of [...w.files.arrays, w.files.merge, w.files.submit]) {
    const r = spawnSync('bash', ['-n', f], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
  }
  const a2 = readFileSync(w.files.arrays[1], 'utf8');
  for (const line of ['#SBATCH --array=0-1', '#SBATCH --time=1:00:00', '#SBATCH --mem=2G', '#SBATCH --partition=debug', '#SBATCH --account=proj', '#SBATCH --signal=B:USR1@120', '#SBATCH --requeue', 'shard=$((SLURM_ARRAY_TASK_ID + 5))', '--shard "$shard/6"']) {
    assert.ok(a2.includes(line), `array-2.sbatch has ${line}`);
  }
  // sbatch reads directives only up to the first command: every #SBATCH line comes before it.
  const firstCommand = a2.split('\n').findIndex((l) => l.trim() && !l.startsWith('#'));
  assert.ok(a2.split('\n').slice(firstCommand).every((l) => !l.startsWith('#SBATCH')));
  assert.match(readFileSync(w.files.merge, 'utf8'), /report \S+ --plan \S+slurm\.yaml\n/);

  // submit.sh (what a user runs by hand) and --submit make the same calls in the same order.
  const bySh = spawnSync('bash', [w.files.submit], { encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(bySh.status, 0, bySh.stderr);
  const shCalls = readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('sbatch'));
  writeFileSync(log, '');
  const sub = await runCli(['slurm', cfg, '--shards', '6', '--time', '1:00:00', '--mem', '2G', '--partition', 'debug', '--array-limit', '3', '--sbatch=--account=proj', '--submit', '--json'], env);
  assert.equal(sub.code, 0, sub.stderr);
  const s = JSON.parse(sub.stdout) as { submitted: { arrays: Array<{ jobId: string; shards: number[] }>; merge: string } };
  const calls = readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('sbatch'));
  const [first, second] = s.submitted.arrays;
  assert.match(calls[0], /^sbatch --parsable \S+array-1\.sbatch$/);
  assert.equal(calls[1], `sbatch --parsable --dependency=afterany:${first.jobId} ${w.files.arrays[1]}`, 'with --array-limit the second array waits for the first');
  assert.equal(calls[2], `sbatch --parsable --dependency=afterany:${first.jobId}:${second.jobId} ${w.files.merge}`);
  assert.deepEqual([first.shards, second.shards], [[1, 2, 3, 4], [5, 6]]);
  assert.equal(shCalls.length, 3);
  for (let k = 0; k < 3; k++) assert.equal(shCalls[k].replace(/\d{4}/g, 'ID'), calls[k].replace(/\d{4}/g, 'ID'), 'submit.sh makes the same sbatch calls');
  assert.match(readFileSync(join(dir, 'out', 'slurm', 'jobs.jsonl'), 'utf8'), new RegExp(`"merge":"${s.submitted.merge}"`));

  // Bad input: exit 2, nothing submitted.
  writeFileSync(log, '');
  for (const bad of [['--shards', '7'], ['--time', '1', '--signal-before', '60'], ['--submit', '--dry-run'], ['--cpus-per-task', '0']]) {
    const r = await runCli(['slurm', cfg, ...bad, '--submit'], env);
    assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^mixbench: /m);
  }
  assert.equal(readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('sbatch')).length, 0);
});

/** Run an array script under plain bash as Slurm would (task environment, its own process group). */
const startedTasks: Array<ReturnType<typeof spawn>> = [];

function startTask(script: string, env: NodeJS.ProcessEnv): { child: ReturnType<typeof spawn>; out: () => string; done: Promise<number | null> } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SLURM_|MIXBENCH_|NODE_TEST)/.test(k)));
  const child = spawn('bash', [script], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  startedTasks.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out, done: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
}

/** `p`, or a failure naming `what` after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(what: string, pred: () => boolean, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('array script: the time-limit warning (USR1 to the shell) reaches mixbench, which exits 130; the task requeues itself; TERM does not requeue', { timeout: 240_000 }, async (t) => {
  // A failing variant must not leave its task (a hanging mixbench) behind.
  t.after(() => {
    for (const c of startedTasks) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, 'SIGKILL');
  });
  const dir = tempDir('mixbench-slurm-signal-');
  const cfg = config(dir, [1, 2]);
  const { bin, log } = fakeSlurm(dir, 1001);
  const w = await runCli(['slurm', cfg, '--shards', '2', '--json'], { PATH: `${bin}:${process.env.PATH}` });
  assert.equal(w.code, 0, w.stderr);
  const script = (JSON.parse(w.stdout) as { files: { arrays: string[] } }).files.arrays[0];
  const out = join(dir, 'out');
  const runsOf = (shard: number): string[] => {
    const ids = (JSON.parse(readFileSync(join(out, 'slurm', 'plan.json'), 'utf8')) as { runs: string[] }).runs;
    return selectShard(ids.map((id) => ({ id })), { index: shard, count: 2 }).map((r) => r.id);
  };
  // Shard 1's second run waits (testing hook) until mixbench is told to stop, so the signal always lands mid-run.
  const [firstRun, secondRun] = runsOf(1);
  const env = { PATH: `${bin}:${process.env.PATH}`, SLURM_ARRAY_TASK_ID: '0', SLURM_JOB_ID: '4242', SLURM_ARRAY_JOB_ID: '4240', SLURM_CPUS_PER_TASK: '1', MIXBENCH_TEST_FAULT: `${secondRun}:hang` };
  writeFileSync(log, '');
  const task = startTask(script, env);
  await until(`${firstRun} complete`, () => existsSync(join(out, 'runs', firstRun, 'done')));
  await until('shard 1 working on its second run', () => /\[2\/2\] start/.test(task.out()));
  const kept = readFileSync(join(out, 'runs', firstRun, 'result.json'), 'utf8');
  task.child.kill('SIGUSR1'); // what --signal=B:USR1@s does: the batch shell only
  const code = await within(task.done, 60_000, 'the task to exit after USR1');
  assert.equal(code, 130, task.out());
  assert.match(task.out(), /interrupted: complete runs are kept/);
  assert.match(task.out(), /mixbench: exit 130/);
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['scontrol requeue 4242'], 'the task requeued itself');
  assert.equal(readFileSync(join(out, 'runs', firstRun, 'result.json'), 'utf8'), kept, 'the complete run is kept');
  assert.ok(!existsSync(join(out, 'runs', secondRun, 'done')), 'the run in flight is left incomplete');

  // scancel / preemption: every process of the job gets TERM; mixbench exits 130 and the script does not requeue.
  writeFileSync(log, '');
  const cancelled = startTask(script, env);
  await until('shard 1 resumed at its second run', () => /\[1\/1\] start/.test(cancelled.out()));
  process.kill(-cancelled.child.pid!, 'SIGTERM');
  assert.equal(await within(cancelled.done, 60_000, 'the task to exit after TERM'), 130, cancelled.out());
  assert.match(cancelled.out(), /1 already complete/);
  assert.equal(readFileSync(log, 'utf8'), '', 'no requeue after TERM');

  // A task that has used up its requeues says so and stays down.
  writeFileSync(log, '');
  const last = startTask(script, { ...env, SLURM_RESTART_COUNT: '3' });
  await until('shard 1 resumed again', () => /\[1\/1\] start/.test(last.out()));
  last.child.kill('SIGUSR1');
  assert.equal(await within(last.done, 60_000, 'the task to exit after USR1'), 130);
  assert.match(last.out(), /after 3 requeues; not requeueing again/);
  assert.equal(readFileSync(log, 'utf8'), '');
});

test('status: complete, diverged, failed, running (live lock, by heartbeat or pid) and missing runs, per shard', async () => {
  const out = tempDir('mixbench-status-');
  const record = (seed: number, status?: 'ok' | 'failed' | 'diverged') => fakeRecord({ method: 'baseline', seed, curve: [0.5, 0.6], status });
  const ids = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => record(seed).id);
  const shard = (i: number): string[] => selectShard(ids.map((id) => ({ id })), { index: i, count: 4 }).map((r) => r.id);
  const write = (id: string, status: 'ok' | 'failed' | 'diverged'): void => writeRunRecord(out, record(ids.indexOf(id) + 1, status));
  // Shard 1: ok and diverged. Shard 2: failed, and one not started (no process). Shard 3: one ok, one in flight on
  // another host (fresh heartbeat). Shard 4: nothing written, and a lock left by a process of this host that is gone.
  write(shard(1)[0], 'ok');
  write(shard(1)[1], 'diverged');
  write(shard(2)[0], 'failed');
  write(shard(3)[0], 'ok');
  const now = new Date().toISOString();
  writeFileSync(join(out, '.mixbench-lock-3of4'), JSON.stringify({ pid: 1, host: 'node-17', started: now, heartbeat: now, command: 'run' }));
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  writeFileSync(join(out, '.mixbench-lock-4of4'), JSON.stringify({ pid: Number(dead), host: hostname(), started: now, heartbeat: now, command: 'run' }));
  const s = sweepStatus(out, { experiment: 'synthetic', ids, shards: 4, source: 'test' });
  assert.deepEqual(
    s.perShard.map((p) => [p.shard, p.runs, p.complete, p.diverged, p.running, p.failed, p.missing, p.lock?.live ?? null]),
    [
      ['1/4', 2, 2, 1, 0, 0, 0, null],
      ['2/4', 2, 0, 0, 0, 1, 1, null],
      ['3/4', 2, 1, 0, 1, 0, 0, true],
      ['4/4', 2, 0, 0, 0, 0, 2, false],
    ],
  );
  assert.deepEqual(s.counts, { runs: 8, complete: 3, diverged: 1, failed: 1, running: 1, missing: 3 });
  assert.deepEqual(s.running, [shard(3)[1]]);
  assert.deepEqual(s.failed, [{ id: shard(2)[0], error: 'boom' }]);
  assert.match(s.perShard[3].lock!.stale!, /is gone/);
  // An old heartbeat (the lock file's time and the time in it) makes another host's lock stale too.
  const old = new Date(Date.now() - 120_000);
  writeFileSync(join(out, '.mixbench-lock-3of4'), JSON.stringify({ pid: 1, host: 'node-17', started: old.toISOString(), heartbeat: old.toISOString(), command: 'run' }));
  utimesSync(join(out, '.mixbench-lock-3of4'), old, old);
  const s2 = sweepStatus(out, { experiment: 'synthetic', ids, shards: 4, source: 'test' });
  assert.equal(s2.counts.running, 0);
  assert.match(s2.perShard[2].lock!.stale!, /no heartbeat/);
  writeFileSync(join(out, '.mixbench-lock-3of4'), JSON.stringify({ pid: 1, host: 'node-17', started: now, heartbeat: new Date().toISOString(), command: 'run' }));

  // The CLI: a directory without a saved plan counts what it finds; --shards breaks it down.
  const human = await runCli(['status', out, '--shards', '4']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /plan unknown/);
  assert.match(human.stdout, /3\/4 .*running: pid 1 on node-17, heartbeat \d+ s ago/);
  assert.match(human.stdout, /4\/4 .*stale lock \(process \d+ on .* is gone/);
  assert.match(human.stdout, /failed runs[^\n]*\n  \S+: boom/);
  const json = JSON.parse((await runCli(['status', out, '--shards', '4', '--json'])).stdout) as { counts: { runs: number }; planKnown: boolean };
  assert.equal(json.planKnown, false);
  assert.equal(json.counts.runs, 4, 'without a plan only the run directories found are counted');
  assert.equal((await runCli(['status', join(out, 'nope')])).code, 2);
});
