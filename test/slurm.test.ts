/**
 * mixbench on a real Slurm cluster (the single-node one .ci/setup-slurm.sh starts; Slurm 22.05 from Debian):
 *
 * - a 4-task array plus its merge job, submitted with `mixbench slurm --submit`, which returns while the tasks are
 *   still queued; one task is cancelled (scancel) in the middle of its shard and requeued (scontrol requeue);
 * - a 5-shard submission on a cluster whose MaxArraySize is 4: split into two arrays; one of its tasks gets the
 *   time-limit warning (USR1 to the batch shell, as --signal=B:USR1@s sends it), stops with exit 130 and requeues itself;
 * - when every job has ended, both merged runs.csv and summary.csv equal a single-process run of the same config
 *   (timing columns aside), complete runs were kept across the interruptions, and `mixbench status` agrees;
 * - submitting again submits nothing; after one run's record is deleted, only its shard is submitted and only that
 *   run is redone.
 *
 * Runs when a cluster answers (`scontrol show config`) and it is the throwaway test cluster (ClusterName mixbench-ci),
 * or whenever MIXBENCH_TEST_SLURM=required (set by .ci/setup-slurm.sh, so CI fails loudly when the cluster is down).
 * Otherwise skipped, with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectShard } from '../src/run/shard';
import { sweepStatus } from '../src/run/status';
import { tempDir } from './helpers';
import { runCli, startCli, tableWithoutTimings, TINY_MODEL } from './sweep-util';

interface Cluster {
  skip: string | false;
  problem?: string;
  maxArraySize?: number;
  version?: string;
}

function probe(): Cluster {
  const required = process.env.MIXBENCH_TEST_SLURM === 'required';
  const r = spawnSync('scontrol', ['show', 'config'], { encoding: 'utf8', timeout: 10_000 });
  const down = r.error ? `scontrol: ${r.error.message}` : r.status !== 0 ? `scontrol show config: ${(r.stderr || r.stdout).trim().split('\n')[0]}` : undefined;
  const start = 'as root: eval "$(.ci/setup-slurm.sh)" starts a single-node test cluster';
  if (down) {
    if (required) return { skip: false, problem: `MIXBENCH_TEST_SLURM=required but no Slurm cluster answers (${down}); see the output of .ci/setup-slurm.sh` };
    return { skip: `no Slurm cluster reachable (${down}); ${start}` };
  }
  const name = /^ClusterName\s*=\s*(\S+)/m.exec(r.stdout)?.[1];
  if (name !== 'mixbench-ci' && !required) {
    return { skip: `the reachable Slurm cluster "${name}" is not the throwaway test cluster of .ci/setup-slurm.sh; MIXBENCH_TEST_SLURM=required runs the test on it anyway` };
  }
  const idle = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8', timeout: 20_000 });
  if (!/\b(idle|mix|alloc)\b/.test(idle.stdout ?? '')) return { skip: false, problem: `the Slurm cluster has no usable node (sinfo: ${idle.stdout?.trim() || idle.stderr?.trim()})` };
  return { skip: false, maxArraySize: Number(/^MaxArraySize\s*=\s*(\d+)/m.exec(r.stdout)?.[1]), version: /^SLURM_VERSION\s*=\s*(\S+)/m.exec(r.stdout)?.[1] };
}

const cluster = probe();

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.error?.message ?? ''}${r.stderr}`);
  return r.stdout;
}

/** State of every task of these jobs still in the queue: "<array job>_<task>" (or the job id) → state. */
function queue(jobIds: string[]): Map<string, string> {
  const r = spawnSync('squeue', ['-h', '-r', '-j', jobIds.join(','), '-o', '%F_%K|%T'], { encoding: 'utf8', timeout: 30_000 });
  const out = new Map<string, string>();
  if (r.status !== 0 && /invalid job id/i.test(r.stderr)) return out;
  assert.equal(r.status, 0, `squeue: ${r.stderr}`);
  for (const line of r.stdout.trim().split('\n').filter(Boolean)) {
    const [id, state] = line.split('|');
    out.set(id.replace(/_N\/A$/, ''), state);
  }
  return out;
}

/** `scontrol show job -o <id>` as key → value. */
function job(id: string): Record<string, string> {
  const line = sh('scontrol', ['show', 'job', '-o', id]).split('\n')[0];
  return Object.fromEntries([...line.matchAll(/(\S+?)=(\S*)/g)].map((m) => [m[1], m[2]]));
}

async function until<T>(what: string, probeFn: () => T | undefined | false, ms = 360_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probeFn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

interface SlurmJson {
  maxArraySize: { value: number; source: string };
  todo: number[];
  arrays: Array<{ array: string; shards: number[]; offset: number }>;
  submitted: { arrays: Array<{ jobId: string; shards: number[]; offset: number }>; merge: string } | null;
}

const jobIds = (s: SlurmJson): string[] => [...s.submitted!.arrays.map((a) => a.jobId), s.submitted!.merge];
/** Every job the test submitted (cancelled if it fails). */
const submittedJobs: string[] = [];

async function submit(args: string[]): Promise<{ res: SlurmJson; ms: number }> {
  const t0 = Date.now();
  const r = await runCli(['slurm', ...args, '--time', '10', '--mem', '1G', '--submit', '--json']);
  const ms = Date.now() - t0;
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as SlurmJson;
  if (res.submitted) submittedJobs.push(...jobIds(res));
  return { res, ms };
}


const snapshot = (dir: string): Map<string, string> =>
  new Map(readdirSync(join(dir, 'runs')).filter((id) => existsSync(join(dir, 'runs', id, 'done'))).map((id) => [id, readFileSync(join(dir, 'runs', id, 'result.json'), 'utf8')]));

function assertSameTables(dir: string, ref: string): void {
  for (const f of ['runs.csv', 'summary.csv']) {
    assert.deepEqual(tableWithoutTimings(join(dir, f)), tableWithoutTimings(join(ref, f)), `${f} of ${dir} differs from the single-process run`);
  }
}

test('Slurm: arrays + merge job, a cancelled-and-requeued task, a split array with a time-limit requeue, resubmission: tables equal one process', { skip: cluster.skip, timeout: 15 * 60_000 }, async (t) => {
  if (cluster.problem) assert.fail(cluster.problem);
  const started = Date.now();
  t.diagnostic(`Slurm ${cluster.version}, MaxArraySize ${cluster.maxArraySize}`);
  const dir = tempDir('mixbench-slurm-');
  const cfg = join(dir, 'slurm.yaml');
  writeFileSync(cfg, `name: slurmtest
seeds: [1, 2, 3, 4]
datasets: [{name: digits, limit: 300}]
methods: [baseline, {mixup: {alpha: 1}}]
model: ${TINY_MODEL}
train: {epochs: 2, batchSize: 32, lr: 0.003}
backend: cpu
output: ${join(dir, 'default-out')}
`);
  const ref = join(dir, 'reference');
  const A = join(dir, 'array4');
  const B = join(dir, 'split');
  // The single-process reference runs alongside the cluster's work.
  const reference = startCli(['run', cfg, '-o', ref, '-q']);
  // A failure leaves nothing behind: the test's own jobs are cancelled, its reference run stopped.
  t.after(() => {
    if (submittedJobs.length) spawnSync('scancel', submittedJobs, { timeout: 30_000 });
    if (reference.child.exitCode === null && reference.child.signalCode === null) reference.child.kill('SIGKILL');
  });

  // --- A: 4 tasks + merge; returns while the tasks are still queued.
  const a = await submit([cfg, '--shards', '4', '-o', A]);
  const aQueued = queue(jobIds(a.res));
  t.diagnostic(`mixbench slurm --submit (4 shards) returned in ${a.ms} ms`);
  assert.equal(a.res.maxArraySize.source, 'scontrol show config');
  assert.equal(a.res.maxArraySize.value, cluster.maxArraySize);
  assert.deepEqual(a.res.arrays.map((x) => x.array), ['0-3']);
  const aArray = a.res.submitted!.arrays[0].jobId;
  assert.ok([0, 1, 2, 3].some((k) => aQueued.has(`${aArray}_${k}`)), `the command returned before the array ended: ${[...aQueued]}`);
  assert.match(aQueued.get(a.res.submitted!.merge) ?? '', /PENDING/, 'the merge job waits for the array');

  // --- B: MaxArraySize + 1 shards: split into two arrays that still partition the plan.
  const m = Math.min(cluster.maxArraySize!, 4);
  const b = await submit([cfg, '--shards', String(m + 1), '-o', B, ...(m < cluster.maxArraySize! ? ['--max-array-size', String(m)] : [])]);
  t.diagnostic(`mixbench slurm --submit (${m + 1} shards, ${b.res.arrays.length} arrays) returned in ${b.ms} ms`);
  assert.deepEqual(b.res.arrays.map((x) => x.array), [`0-${m - 1}`, '0']);
  assert.deepEqual(b.res.submitted!.arrays.map((x) => x.shards), [Array.from({ length: m }, (_, k) => k + 1), [m + 1]]);

  const plan = JSON.parse(readFileSync(join(A, 'slurm', 'plan.json'), 'utf8')) as { runs: string[] };
  const shardRuns = (count: number, index: number): string[] => selectShard(plan.runs.map((id) => ({ id })), { index, count }).map((r) => r.id);

  // --- Cancel one of A's tasks between two of its runs (one complete, the next in flight), then requeue it.
  const target = await until('an A task with one run complete and its next one running', () => {
    const s = sweepStatus(A, { experiment: 'slurmtest', ids: plan.runs, shards: 4, source: 'test' });
    return s.perShard.find((p) => p.lock?.live && p.complete >= 1 && p.complete < p.runs);
  });
  const shardA = Number(target.shard.split('/')[0]);
  const taskA = `${aArray}_${shardA - 1}`;
  assert.equal(queue([aArray]).get(taskA), 'RUNNING', `status says shard ${target.shard} is running; so does squeue`);
  const keptA = snapshot(A);
  const cancelledAt = new Date().toISOString();
  sh('scancel', [taskA]);
  await until(`${taskA} to end after scancel`, () => !queue([aArray]).has(taskA));
  assert.match(job(taskA).JobState, /CANCELLED/);
  sh('scontrol', ['requeue', taskA]);
  // Slurm holds a requeued job ~2 min (its credentials expire first); the test lets it start at once.
  sh('scontrol', ['update', `jobid=${taskA}`, 'StartTime=now']);
  assert.ok(queue([aArray]).has(taskA), 'the requeued task is back in the queue');
  t.diagnostic(`cancelled and requeued ${taskA} (shard ${target.shard}, ${target.complete} of ${target.runs} runs complete)`);

  // --- The time-limit warning to one of B's tasks: it stops (exit 130) and requeues itself.
  const bArray = b.res.submitted!.arrays[0].jobId;
  const targetB = await until('a B task with one run complete and its next one running', () => {
    const s = sweepStatus(B, { experiment: 'slurmtest', ids: plan.runs, shards: m + 1, source: 'test' });
    return s.perShard.find((p) => Number(p.shard.split('/')[0]) <= m && p.lock?.live && p.complete >= 1 && p.complete < p.runs);
  });
  const shardB = Number(targetB.shard.split('/')[0]);
  const taskB = `${bArray}_${shardB - 1}`;
  const keptB = snapshot(B);
  // Not awaited: when the task requeues itself within a second, scancel's follow-up request meets a job in transition
  // ("Job can not be altered now") and scancel retries until the task runs again; the signal itself was delivered.
  const signaller = spawn('scancel', ['--batch', '--signal=USR1', taskB], { stdio: 'ignore' });
  await until(`${taskB} to requeue itself`, () => queue([bArray]).get(taskB) === 'PENDING' && job(taskB).Restarts === '1');
  if (signaller.exitCode === null) signaller.kill();
  sh('scontrol', ['update', `jobid=${taskB}`, 'StartTime=now']);

  // --- Everything ends; the merge jobs ran and succeeded.
  const all = [...jobIds(a.res), ...jobIds(b.res)];
  await until('every job to leave the queue', () => queue(all).size === 0);
  const refDone = await reference.done;
  assert.equal(refDone.code, 0, refDone.stderr);
  for (const merge of [a.res.submitted!.merge, b.res.submitted!.merge]) {
    const info = job(merge);
    assert.equal(info.JobState, 'COMPLETED', `merge job ${merge}: ${JSON.stringify(info)}`);
    assert.equal(info.ExitCode, '0:0');
  }
  assertSameTables(A, ref);
  assertSameTables(B, ref);

  // The cancelled task: complete runs kept byte for byte, the interrupted run redone after the requeue.
  const logA = readFileSync(join(A, 'slurm', 'logs', `mixbench-slurmtest-${aArray}_${shardA - 1}.out`), 'utf8');
  assert.match(logA, /interrupted: complete runs are kept/);
  assert.match(logA, /attempt 1,[\s\S]*mixbench: exit 130[\s\S]*attempt 2,[\s\S]*mixbench: exit 0/);
  assert.equal(job(taskA).Restarts, '1');
  const afterA = snapshot(A);
  for (const id of shardRuns(4, shardA)) {
    if (keptA.has(id)) assert.equal(afterA.get(id), keptA.get(id), `${id} was complete before scancel and is kept`);
    else assert.ok((JSON.parse(afterA.get(id)!) as { finishedAt: string }).finishedAt > cancelledAt, `${id} was redone after the requeue`);
  }
  const logB = readFileSync(join(B, 'slurm', 'logs', `mixbench-slurmtest-${bArray}_${shardB - 1}.out`), 'utf8');
  assert.match(logB, /interrupted: complete runs are kept[\s\S]*mixbench: exit 130[\s\S]*requeueing this task to finish shard[\s\S]*attempt 2,[\s\S]*mixbench: exit 0/);
  const afterB = snapshot(B);
  for (const id of shardRuns(m + 1, shardB)) if (keptB.has(id)) assert.equal(afterB.get(id), keptB.get(id), `${id} kept across the time-limit requeue`);

  const status = await runCli(['status', A, '--json']);
  const st = JSON.parse(status.stdout) as { counts: Record<string, number>; slurm: { queue: unknown[] } };
  assert.deepEqual(st.counts, { runs: 8, complete: 8, diverged: 0, failed: 0, running: 0, missing: 0 });
  assert.deepEqual(st.slurm.queue, []);

  // --- Submitting again redoes nothing; with one record deleted, only its shard runs, and only that run.
  const again = await submit([cfg, '--shards', '4', '-o', A]);
  assert.deepEqual([again.res.todo, again.res.submitted], [[], null]);
  const victim = shardRuns(4, 3)[0];
  rmSync(join(A, 'runs', victim), { recursive: true });
  const before = snapshot(A);
  const redo = await submit([cfg, '--shards', '4', '-o', A]);
  assert.deepEqual(redo.res.todo, [3]);
  assert.deepEqual(redo.res.arrays.map((x) => x.array), ['2']);
  await until('the resubmitted shard and its merge job to end', () => queue(jobIds(redo.res)).size === 0);
  assert.equal(job(redo.res.submitted!.merge).ExitCode, '0:0');
  const after = snapshot(A);
  assert.deepEqual([...after.keys()].sort(), [...plan.runs].sort());
  for (const [id, text] of before) assert.equal(after.get(id), text, `${id} is not redone`);
  assertSameTables(A, ref);
  t.diagnostic(`whole Slurm test: ${((Date.now() - started) / 1000).toFixed(0)} s`);
});
