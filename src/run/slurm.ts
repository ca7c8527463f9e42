/**
 * `mixbench slurm`: a sweep as Slurm job arrays (one shard of the plan per task, all writing into one shared output
 * directory) plus a merge job that runs `mixbench report` once every task has ended (`--dependency=afterany`).
 *
 * - Submission returns at once (`sbatch --parsable`); nothing here waits for the jobs. `mixbench status` follows them.
 * - Arrays larger than the cluster's MaxArraySize are split: part p runs shards p·M+1 … (p+1)·M as task ids 0 … M−1,
 *   and its script maps a task id back to its shard with the part's offset, so the parts still partition the plan.
 * - Shards that are complete, running (live lock) or still queued from an earlier submission are not submitted again.
 * - The time-limit warning is SIGUSR1 to the batch shell only (`--signal=B:USR1@s`): the script passes it to mixbench
 *   as SIGTERM (mixbench stops between steps, keeps complete runs, exits 130) and then requeues its own task. A
 *   separate signal keeps that apart from scancel and preemption, which signal every process of the job and must not
 *   lead to a requeue by the script.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { writeFileAtomic } from '../util/fs';
import { sweepStatus, type SweepStatus } from './status';

/** Slurm's own default MaxArraySize, assumed when neither the cluster nor --max-array-size says otherwise. */
export const SLURM_DEFAULT_MAX_ARRAY_SIZE = 1001;

export interface SlurmSettings {
  shards: number;
  cpusPerTask: number;
  partition?: string;
  time?: string;
  mem?: string;
  /** At most this many tasks at once (`%k`); split arrays are chained so that the cap holds over all of them. */
  arrayLimit?: number;
  /** Seconds before the time limit at which Slurm sends the warning. */
  signalSeconds: number;
  /** How often a task may requeue itself after the time-limit warning (SLURM_RESTART_COUNT counts). */
  maxRequeues: number;
  retries: number;
  backend?: string;
  /** Extra sbatch options for every job (account, qos, constraint, ...). */
  sbatchOptions: string[];
}

export interface SweepContext {
  experiment: string;
  /** Absolute paths; the scripts run with these on the compute nodes (a shared file system). */
  config: string;
  output: string;
  workDir: string;
  node: string;
  cli: string;
  /** The plan's run ids, in plan order. */
  runIds: string[];
}

export interface ArrayPart {
  /** 1-based. */
  part: number;
  /** Shard = offset + array task id + 1. */
  offset: number;
  /** 1-based shards this part runs. */
  shards: number[];
  taskIds: number[];
  /** The `--array` value. */
  array: string;
  /** Whether this part waits for the previous one (keeps an --array-limit cap over split arrays). */
  afterPrevious: boolean;
}

export interface SlurmFiles {
  dir: string;
  arrays: string[];
  merge: string;
  submit: string;
}

// ---------------------------------------------------------------------------------------------------- validation

/** Seconds in a Slurm time limit ("minutes", "m:s", "h:m:s", "d-h", "d-h:m", "d-h:m:s"); null for unlimited. */
export function slurmTimeSeconds(text: string): number | null {
  const t = text.trim();
  if (/^(unlimited|infinite)$/i.test(t)) return null;
  let m = /^(\d+)-(\d+)(?::(\d+)(?::(\d+))?)?$/.exec(t);
  if (m) return ((Number(m[1]) * 24 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0);
  m = /^(\d+)(?::(\d+)(?::(\d+))?)?$/.exec(t);
  if (!m) throw new UsageError(`--time "${text}" is not a Slurm time limit; use minutes, h:m:s or d-h:m:s (e.g. 90, 2:00:00, 1-12:00:00)`);
  if (m[3] !== undefined) return (Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3]);
  if (m[2] !== undefined) return Number(m[1]) * 60 + Number(m[2]);
  return Number(m[1]) * 60;
}

export function checkSettings(s: SlurmSettings): void {
  if (s.partition !== undefined && !/^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/.test(s.partition)) {
    throw new UsageError(`--partition "${s.partition}" is not a partition name (letters, digits, . _ -; several separated by commas)`);
  }
  if (s.mem !== undefined && !/^\d+[KMGT]?$/i.test(s.mem)) throw new UsageError(`--mem "${s.mem}" is not a Slurm memory size; use e.g. 4G or 4000M`);
  if (s.signalSeconds < 1 || s.signalSeconds > 65535) throw new UsageError(`--signal-before must be between 1 and 65535 seconds (Slurm's range), got ${s.signalSeconds}`);
  if (s.time !== undefined) {
    const limit = slurmTimeSeconds(s.time);
    if (limit !== null && s.signalSeconds >= limit) {
      throw new UsageError(`--signal-before ${s.signalSeconds} s is not shorter than --time ${s.time} (${limit} s): mixbench would be told to stop as it starts; lower --signal-before or raise --time`);
    }
  }
  for (const o of s.sbatchOptions) {
    if (!/^--?[A-Za-z]/.test(o) || /[\n\r]/.test(o)) throw new UsageError(`--sbatch "${o}" must be one sbatch option such as --account=myproj (written as --sbatch=--account=myproj)`);
    if (/^--?(array|a|output|o|error|e|chdir|D|dependency|d|signal|job-name|J)([= ]|$)/.test(o)) {
      throw new UsageError(`--sbatch ${o}: mixbench sets this option itself; use the matching mixbench slurm flag`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------- arrays

/** "0-3,5,7-8" from sorted distinct integers. */
export function compressRanges(ids: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    out.push(i === j ? String(ids[i]) : `${ids[i]}-${ids[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/**
 * The arrays that run `todo` (1-based shards of `count`), each within the cluster's MaxArraySize: task ids must stay
 * below it, so part p covers shards p·M+1 … (p+1)·M with task ids 0 … M−1. Parts without a shard to run are left out.
 */
export function splitArrays(todo: number[], count: number, maxArraySize: number, arrayLimit?: number): ArrayPart[] {
  if (!Number.isInteger(maxArraySize) || maxArraySize < 1) throw new UsageError(`MaxArraySize must be a positive integer, got ${maxArraySize}`);
  const byPart = new Map<number, number[]>();
  for (const shard of [...new Set(todo)].sort((a, b) => a - b)) {
    if (!Number.isInteger(shard) || shard < 1 || shard > count) throw new Error(`shard ${shard} is not in 1..${count}`);
    const p = Math.floor((shard - 1) / maxArraySize);
    byPart.set(p, [...(byPart.get(p) ?? []), shard]);
  }
  const parts = [...byPart.entries()].sort((a, b) => a[0] - b[0]);
  return parts.map(([p, shards], k) => {
    const offset = p * maxArraySize;
    const taskIds = shards.map((s) => s - 1 - offset);
    const limit = arrayLimit !== undefined && arrayLimit < taskIds.length ? `%${arrayLimit}` : '';
    return { part: k + 1, offset, shards, taskIds, array: `${compressRanges(taskIds)}${limit}`, afterPrevious: arrayLimit !== undefined && k > 0 };
  });
}

// ---------------------------------------------------------------------------------------------------- scripts

/** A word for bash, single-quoted. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_/.,:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function resourceLines(s: SlurmSettings): string[] {
  const lines = [`#SBATCH --cpus-per-task=${s.cpusPerTask}`];
  if (s.mem) lines.push(`#SBATCH --mem=${s.mem}`);
  if (s.time) lines.push(`#SBATCH --time=${s.time}`);
  if (s.partition) lines.push(`#SBATCH --partition=${s.partition}`);
  return lines;
}

export function logDir(output: string): string {
  return join(output, 'slurm', 'logs');
}

export function arrayScript(ctx: SweepContext, s: SlurmSettings, part: ArrayPart, parts: number): string {
  const cmd = [ctx.node, ctx.cli, 'run', ctx.config, '--output', ctx.output].map(shellQuote);
  const extra = [...(s.retries ? ['--retries', String(s.retries)] : []), ...(s.backend ? ['--backend', s.backend] : [])];
  const shards = compressRanges(part.shards).replace(/,/g, ', ');
  return `#!/bin/bash
# mixbench sweep "${ctx.experiment}" on Slurm: array ${part.part} of ${parts}, shard${part.shards.length === 1 ? '' : 's'} ${shards} of ${s.shards} (${ctx.runIds.length} runs in the plan).
# Written by \`mixbench slurm\`; submit with the submit.sh next to it, or \`mixbench slurm <config> --submit\`.
#
# Each task runs one shard of the plan into the shared output directory. Complete runs are skipped, so a requeued or
# resubmitted task redoes only what is incomplete. Slurm's warning ${s.signalSeconds} s before the time limit (SIGUSR1, to this shell
# only) is passed to mixbench as SIGTERM: it stops between training steps, keeps the complete runs, exits 130, and the
# task requeues itself (at most ${s.maxRequeues} times). scancel and preemption signal mixbench directly; then no requeue here.
#
#SBATCH --job-name=mixbench-${ctx.experiment}
#SBATCH --array=${part.array}
${resourceLines(s).join('\n')}
#SBATCH --signal=B:USR1@${s.signalSeconds}
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=${logDir(ctx.output)}/%x-%A_%a.out
#SBATCH --chdir=${ctx.workDir}
${s.sbatchOptions.map((o) => `#SBATCH ${o}\n`).join('')}
shard=$((SLURM_ARRAY_TASK_ID + ${part.offset + 1}))
echo "mixbench: shard $shard/${s.shards}, job $SLURM_JOB_ID (\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}), attempt $((\${SLURM_RESTART_COUNT:-0} + 1)), $(hostname), $(date -Is)"
warned=0
child=
trap 'warned=1; if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; fi' USR1
trap ':' TERM
${cmd.join(' ')} \\
  --shard "$shard/${s.shards}" --jobs "\${SLURM_CPUS_PER_TASK:-1}"${extra.length ? ` ${extra.map(shellQuote).join(' ')}` : ''} &
child=$!
# A trapped signal interrupts \`wait\`: wait again until mixbench has exited, then take its exit status.
while kill -0 "$child" 2>/dev/null; do wait "$child"; done
wait "$child"
rc=$?
echo "mixbench: exit $rc, $(date -Is)"
if [ "$rc" -eq 130 ] && [ "$warned" -eq 1 ]; then
  if [ "\${SLURM_RESTART_COUNT:-0}" -lt ${s.maxRequeues} ]; then
    echo "mixbench: stopped before the time limit; requeueing this task to finish shard $shard"
    scontrol requeue "$SLURM_JOB_ID"
  else
    echo "mixbench: stopped before the time limit after ${s.maxRequeues} requeues; not requeueing again (raise --time or --shards)"
  fi
fi
exit "$rc"
`;
}

export function mergeScript(ctx: SweepContext, s: SlurmSettings): string {
  const cmd = [ctx.node, ctx.cli, 'report', ctx.output, '--plan', ctx.config].map(shellQuote);
  return `#!/bin/bash
# mixbench sweep "${ctx.experiment}" on Slurm: the merge job. Submitted with --dependency=afterany on the arrays, so it
# runs once every task has ended, whatever their exit; it rebuilds the tables, plots and claim checks from the run records
# and exits 1 if a run of the plan is missing or failed (\`mixbench status ${ctx.output}\` says which).
#
#SBATCH --job-name=mixbench-${ctx.experiment}-merge
${resourceLines({ ...s, cpusPerTask: 1 }).join('\n')}
#SBATCH --open-mode=append
#SBATCH --output=${logDir(ctx.output)}/%x-%j.out
#SBATCH --chdir=${ctx.workDir}
${s.sbatchOptions.map((o) => `#SBATCH ${o}\n`).join('')}
exec ${cmd.join(' ')}
`;
}

/** The sbatch argument lists, in order: one per array part, then the merge job (`$1`, `$2`, ... = earlier job ids). */
export function sbatchCommands(files: SlurmFiles, parts: ArrayPart[]): string[][] {
  const cmds = parts.map((p, k) => [...(p.afterPrevious ? [`--dependency=afterany:$${k}`] : []), files.arrays[k]]);
  cmds.push([`--dependency=afterany:${parts.map((_, k) => `$${k + 1}`).join(':')}`, files.merge]);
  return cmds;
}

export function submitScript(ctx: SweepContext, files: SlurmFiles, parts: ArrayPart[]): string {
  const cmds = sbatchCommands(files, parts);
  const lines = cmds.map((args, k) => {
    const name = k < parts.length ? `a${k + 1}` : 'merge';
    const words = args.map((a) => a.replace(/\$(\d+)/g, (_, i: string) => `\${a${i}}`)).map((a) => (a.includes('${') ? `"${a}"` : shellQuote(a)));
    return `${name}=$(sbatch --parsable ${words.join(' ')})\n${name}=\${${name}%%;*}`;
  });
  const arrays = parts.map((_, k) => `$a${k + 1}`).join(' ');
  return `#!/bin/bash
# Submit the mixbench sweep "${ctx.experiment}": ${parts.length} array job${parts.length === 1 ? '' : 's'}, then the merge job once they have all ended.
# Written by \`mixbench slurm\`; \`mixbench slurm <config> --submit\` does the same and keeps the job ids for \`mixbench status\`.
# sbatch returns at once; nothing here waits for the jobs.
set -euo pipefail
${lines.join('\n')}
echo "array job${parts.length === 1 ? '' : 's'} ${arrays}; merge job $merge"
echo "follow: squeue -j ${parts.map((_, k) => `$a${k + 1}`).join(',')},$merge; mixbench status ${shellQuote(ctx.output)}"
`;
}

// ---------------------------------------------------------------------------------------------------- the cluster

export interface MaxArraySize {
  value: number;
  source: string;
}

/** MaxArraySize from `scontrol show config`, or why it could not be read. */
export function clusterMaxArraySize(): { value?: number; why?: string } {
  const r = spawnSync('scontrol', ['show', 'config'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return { why: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'scontrol is not installed here' : r.error.message };
  if (r.status !== 0) return { why: `scontrol show config failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}` };
  const m = /^MaxArraySize\s*=\s*(\d+)/m.exec(r.stdout);
  return m ? { value: Number(m[1]) } : { why: 'scontrol show config did not list MaxArraySize' };
}

/** The cluster's value when scontrol answers (a smaller --max-array-size wins); else the flag; else Slurm's default. */
export function resolveMaxArraySize(flag: number | undefined, cluster: { value?: number; why?: string }): MaxArraySize {
  if (cluster.value !== undefined) {
    if (flag !== undefined && flag < cluster.value) return { value: flag, source: `--max-array-size (the cluster allows ${cluster.value})` };
    const note = flag !== undefined && flag > cluster.value ? `; --max-array-size ${flag} is above it and was lowered` : '';
    return { value: cluster.value, source: `scontrol show config${note}` };
  }
  if (flag !== undefined) return { value: flag, source: `--max-array-size (${cluster.why})` };
  return { value: SLURM_DEFAULT_MAX_ARRAY_SIZE, source: `Slurm's default; ${cluster.why}; pass --max-array-size if your cluster differs` };
}

export interface QueuedTask {
  /** The array's job id (or the job id of a job that is not an array). */
  arrayJobId: string;
  taskId: number | null;
  jobId: string;
  state: string;
  reason: string;
}

/** The tasks of these jobs still in the queue (pending, running, ...), or why squeue could not tell. */
export function queuedTasks(jobIds: string[]): { tasks: QueuedTask[] } | { why: string } {
  if (!jobIds.length) return { tasks: [] };
  const r = spawnSync('squeue', ['-h', '-r', '-j', jobIds.join(','), '-o', '%F|%K|%i|%T|%r'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return { why: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'squeue is not installed here' : r.error.message };
  // Jobs that have left slurmctld's memory make squeue fail with "Invalid job id": none of them is queued.
  if (r.status !== 0) return /invalid job id/i.test(r.stderr) ? { tasks: [] } : { why: `squeue failed: ${r.stderr.trim().split('\n')[0]}` };
  const tasks: QueuedTask[] = [];
  for (const line of r.stdout.split('\n')) {
    const [arrayJobId, task, jobId, state, reason] = line.trim().split('|');
    if (!jobId) continue;
    tasks.push({ arrayJobId, taskId: /^\d+$/.test(task) ? Number(task) : null, jobId, state, reason });
  }
  return { tasks };
}

// ---------------------------------------------------------------------------------------------------- submissions

export interface SubmittedArray {
  jobId: string;
  part: number;
  offset: number;
  shards: number[];
  array: string;
}

export interface Submission {
  submittedAt: string;
  experiment: string;
  shardCount: number;
  arrays: SubmittedArray[];
  merge: string;
}

export interface SlurmPlanFile {
  format: 'mixbench-slurm-plan/1';
  experiment: string;
  config: string;
  output: string;
  shards: number;
  runs: string[];
}

export function slurmDir(output: string): string {
  return join(output, 'slurm');
}

export function readSlurmPlan(output: string): SlurmPlanFile | undefined {
  try {
    const p = JSON.parse(readFileSync(join(slurmDir(output), 'plan.json'), 'utf8')) as SlurmPlanFile;
    return p.format === 'mixbench-slurm-plan/1' && Array.isArray(p.runs) && Number.isInteger(p.shards) ? p : undefined;
  } catch {
    return undefined;
  }
}

export function readSubmissions(output: string): Submission[] {
  const path = join(slurmDir(output), 'jobs.jsonl');
  if (!existsSync(path)) return [];
  const out: Submission[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    try {
      if (line.trim()) out.push(JSON.parse(line) as Submission);
    } catch {
      // a torn last line from an interrupted append: the others still count
    }
  }
  return out;
}

/** Shards of earlier submissions that are still in the queue, and queued tasks of submissions split another way. */
export function queuedShards(subs: Submission[], shardCount: number, queue: QueuedTask[]): { shards: Map<number, string>; otherSplit: QueuedTask[] } {
  const shards = new Map<number, string>();
  const otherSplit: QueuedTask[] = [];
  for (const sub of subs) {
    for (const a of sub.arrays) {
      for (const t of queue.filter((q) => q.arrayJobId === a.jobId && q.taskId !== null)) {
        if (sub.shardCount === shardCount) shards.set(a.offset + t.taskId! + 1, `${t.arrayJobId}_${t.taskId} ${t.state.toLowerCase()}`);
        else otherSplit.push(t);
      }
    }
  }
  return { shards, otherSplit };
}

export interface SlurmPlanResult {
  ctx: SweepContext;
  settings: SlurmSettings;
  maxArraySize: MaxArraySize;
  status: SweepStatus;
  todo: number[];
  skipped: { complete: number[]; running: number[]; queued: Array<{ shard: number; job: string }> };
  parts: ArrayPart[];
  notes: string[];
}

/** Which shards to submit and how to split them into arrays (reads the output directory and the queue; writes nothing). */
export function planSubmission(ctx: SweepContext, settings: SlurmSettings, maxArraySize: MaxArraySize, queue: { tasks: QueuedTask[] } | { why: string }): SlurmPlanResult {
  checkSettings(settings);
  const n = settings.shards;
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--shards must be a positive integer, got ${n}`);
  if (n > ctx.runIds.length) throw new UsageError(`--shards ${n} is more than the plan's ${ctx.runIds.length} runs; use at most ${ctx.runIds.length}`);
  const status = sweepStatus(ctx.output, { experiment: ctx.experiment, ids: ctx.runIds, shards: n, source: ctx.config });
  const notes: string[] = [];
  const subs = readSubmissions(ctx.output);
  let queued = new Map<number, string>();
  if ('why' in queue) {
    if (subs.length) notes.push(`could not check the queue for tasks of earlier submissions (${queue.why}); shards still queued would run twice (harmless: the second finds them complete)`);
  } else {
    const q = queuedShards(subs, n, queue.tasks);
    if (q.otherSplit.length) {
      const jobs = [...new Set(q.otherSplit.map((t) => t.arrayJobId))];
      throw new UsageError(
        `an earlier submission of this sweep split into ${subs.find((s) => s.arrays.some((a) => jobs.includes(a.jobId)))?.shardCount} shards still has ` +
          `${q.otherSplit.length} task${q.otherSplit.length === 1 ? '' : 's'} in the queue (job${jobs.length === 1 ? '' : 's'} ${jobs.join(', ')}); shards of two splits would overlap. ` +
          `Wait for ${jobs.length === 1 ? 'it' : 'them'}, cancel (scancel ${jobs.join(' ')}), or submit with the same --shards.`,
      );
    }
    queued = q.shards;
  }
  const todo: number[] = [];
  const skipped: SlurmPlanResult['skipped'] = { complete: [], running: [], queued: [] };
  for (const p of status.perShard) {
    const shard = Number(p.shard.split('/')[0]);
    if (p.complete === p.runs) skipped.complete.push(shard);
    else if (p.lock?.live) skipped.running.push(shard);
    else if (queued.has(shard)) skipped.queued.push({ shard, job: queued.get(shard)! });
    else todo.push(shard);
  }
  const otherLive = status.locks.filter((l) => l.live && l.count !== n);
  if (otherLive.length && todo.length) {
    throw new UsageError(
      `${ctx.output} is in use by a sweep split into ${otherLive[0].count} shards (shard ${otherLive[0].shard}, pid ${otherLive[0].pid} on ${otherLive[0].host}); ` +
        `submit with --shards ${otherLive[0].count}, or wait for it to finish`,
    );
  }
  const parts = splitArrays(todo, n, maxArraySize.value, settings.arrayLimit);
  if (parts.length > 1) notes.push(`${todo.length} tasks exceed MaxArraySize ${maxArraySize.value} (${maxArraySize.source}): split into ${parts.length} arrays`);
  if (parts.length > 1 && settings.arrayLimit !== undefined) notes.push(`--array-limit ${settings.arrayLimit}: each array starts after the previous one has ended, so that the cap holds over all of them`);
  return { ctx, settings, maxArraySize, status, todo, skipped, parts, notes };
}

export interface RenderedFiles {
  files: SlurmFiles;
  contents: Map<string, string>;
}

export function renderFiles(plan: SlurmPlanResult): RenderedFiles {
  const { ctx, settings, parts } = plan;
  const dir = slurmDir(ctx.output);
  const files: SlurmFiles = {
    dir,
    arrays: parts.map((p) => join(dir, parts.length === 1 ? 'array.sbatch' : `array-${p.part}.sbatch`)),
    merge: join(dir, 'merge.sbatch'),
    submit: join(dir, 'submit.sh'),
  };
  const contents = new Map<string, string>();
  parts.forEach((p, k) => contents.set(files.arrays[k], arrayScript(ctx, settings, p, parts.length)));
  contents.set(files.merge, mergeScript(ctx, settings));
  contents.set(files.submit, submitScript(ctx, files, parts));
  const planFile: SlurmPlanFile = { format: 'mixbench-slurm-plan/1', experiment: ctx.experiment, config: ctx.config, output: ctx.output, shards: settings.shards, runs: ctx.runIds };
  contents.set(join(dir, 'plan.json'), `${JSON.stringify(planFile, null, 1)}\n`);
  return { files, contents };
}

/** Write the scripts (replacing the array scripts of an earlier submission) and the log directory. */
export function writeFiles(r: RenderedFiles): void {
  mkdirSync(logDir(join(r.files.dir, '..')), { recursive: true });
  for (const name of readdirSync(r.files.dir)) if (/^array(-\d+)?\.sbatch$/.test(name)) unlinkSync(join(r.files.dir, name));
  for (const [path, text] of r.contents) writeFileAtomic(path, text);
}

export type SbatchRunner = (args: string[]) => string;

/** `sbatch --parsable <args>` → the job id; a clear error when sbatch is missing or refuses. */
export function runSbatch(args: string[]): string {
  const r = spawnSync('sbatch', ['--parsable', ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new UsageError(missing ? 'sbatch is not installed here: run mixbench slurm --submit on a Slurm login node (or submit the written scripts there)' : `sbatch: ${r.error.message}`);
  }
  if (r.status !== 0) throw new UsageError(`sbatch ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  const id = r.stdout.trim().split(';')[0];
  if (!/^\d+$/.test(id)) throw new UsageError(`sbatch ${args.join(' ')} printed "${r.stdout.trim()}", not a job id`);
  return id;
}

/** Submit the arrays, then the merge job depending on all of them; record the ids for `mixbench status`. */
export function submit(plan: SlurmPlanResult, files: SlurmFiles, sbatch: SbatchRunner = runSbatch): Submission {
  const cmds = sbatchCommands(files, plan.parts);
  const ids: string[] = [];
  try {
    for (const args of cmds) ids.push(sbatch(args.map((a) => a.replace(/\$(\d+)/g, (_, i: string) => ids[Number(i) - 1]))));
  } catch (err) {
    if (!ids.length) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new UsageError(
      `${msg}\nalready submitted: array job${ids.length === 1 ? '' : 's'} ${ids.join(', ')}; without the merge job, run \`mixbench report ${plan.ctx.output} --plan ${plan.ctx.config}\` ` +
        `when they have ended, or cancel them (scancel ${ids.join(' ')}) and submit again`,
    );
  }
  const sub: Submission = {
    submittedAt: new Date().toISOString(),
    experiment: plan.ctx.experiment,
    shardCount: plan.settings.shards,
    arrays: plan.parts.map((p, k) => ({ jobId: ids[k], part: p.part, offset: p.offset, shards: p.shards, array: p.array })),
    merge: ids[ids.length - 1],
  };
  appendFileSync(join(files.dir, 'jobs.jsonl'), `${JSON.stringify(sub)}\n`);
  return sub;
}
