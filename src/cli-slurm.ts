/** Commander wiring of `mixbench slurm` and `mixbench status` (kept apart from cli.ts; heavy modules load lazily). */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { BACKENDS } from './core/experiment';
import { UsageError } from './errors';

function int(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface SlurmFlags {
  shards?: string;
  partition?: string;
  time?: string;
  cpusPerTask: string;
  mem?: string;
  arrayLimit?: string;
  maxArraySize?: string;
  signalBefore: string;
  maxRequeues: string;
  retries: string;
  backend?: string;
  sbatch: string[];
  output?: string;
  submit?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export function addSlurmCommands(program: Command): void {
  program
    .command('slurm')
    .description('write sbatch scripts that run the sweep as Slurm job arrays (one shard per task) plus a merge job; --submit submits them and returns at once')
    .argument('<config>', 'experiment YAML file')
    .option('--shards <N>', 'array tasks, i.e. shards of the plan (default: runs ÷ --cpus-per-task, rounded up)')
    .option('--partition <p>', 'Slurm partition (default: the cluster\'s default)')
    .option('--time <t>', 'time limit per task, Slurm format: minutes, h:m:s or d-h:m:s')
    .option('--cpus-per-task <c>', 'CPUs per task; each task runs that many mixbench workers (--jobs)', '1')
    .option('--mem <m>', 'memory per task, e.g. 4G')
    .option('--array-limit <k>', 'at most k tasks running at once (%k; split arrays are chained to keep the cap)')
    .option('--max-array-size <s>', 'MaxArraySize to split arrays by, when `scontrol show config` cannot tell (default 1001)')
    .option('--signal-before <s>', 'seconds before the time limit at which mixbench is told to stop and the task requeues itself', '120')
    .option('--max-requeues <n>', 'how often a task may requeue itself after the time-limit warning', '3')
    .option('--retries <k>', 'passed to mixbench run: retry a failed run up to k more times', '0')
    .addOption(new Option('--backend <name>', 'passed to mixbench run').choices([...BACKENDS]))
    .option('--sbatch <option>', 'an extra sbatch option for every job, e.g. --sbatch=--account=myproj (repeatable)', collect, [])
    .option('-o, --output <dir>', 'output directory, shared by every task (overrides the config)')
    .option('--submit', 'submit with sbatch, print the job ids and return (never waits for the jobs)')
    .option('--dry-run', 'print the scripts and sbatch commands; write and submit nothing')
    .option('--json', 'print the result as JSON')
    .action(async (configPath: string, flags: SlurmFlags) => {
      const { loadConfigFile } = await import('./config/load');
      const { planRuns } = await import('./config/plan');
      const slurm = await import('./run/slurm');
      if (flags.submit && flags.dryRun) throw new UsageError('--submit and --dry-run exclude each other');
      const exp = loadConfigFile(configPath);
      if (flags.output) exp.output = flags.output;
      const plan = planRuns(exp);
      const { checkRunData } = await import('./data/check');
      checkRunData(plan.runs); // bad data exits 2 here, before anything is queued
      const cpusPerTask = int('--cpus-per-task', flags.cpusPerTask, 1)!;
      const settings = {
        shards: int('--shards', flags.shards, 1) ?? Math.ceil(plan.runs.length / cpusPerTask),
        cpusPerTask,
        partition: flags.partition,
        time: flags.time,
        mem: flags.mem,
        arrayLimit: int('--array-limit', flags.arrayLimit, 1),
        signalSeconds: int('--signal-before', flags.signalBefore, 1)!,
        maxRequeues: int('--max-requeues', flags.maxRequeues, 0)!,
        retries: int('--retries', flags.retries, 0)!,
        backend: flags.backend,
        sbatchOptions: flags.sbatch,
      };
      const ctx = {
        experiment: plan.experiment,
        config: resolve(configPath),
        output: resolve(plan.output),
        workDir: process.cwd(),
        node: process.execPath,
        cli: join(__dirname, '..', '..', 'bin', 'mixbench.js'),
        runIds: plan.runs.map((r) => r.id),
      };
      for (const [what, path] of [['output directory', ctx.output], ['working directory', ctx.workDir], ['config', ctx.config], ['mixbench', ctx.cli], ['node', ctx.node]]) {
        if (/\s/.test(path)) throw new UsageError(`the ${what} path "${path}" contains white space, which #SBATCH lines cannot carry; use a path without spaces`);
      }
      const maxArraySize = slurm.resolveMaxArraySize(int('--max-array-size', flags.maxArraySize, 1), slurm.clusterMaxArraySize());
      const earlier = slurm.readSubmissions(ctx.output).flatMap((s) => [...s.arrays.map((a) => a.jobId)]);
      const sub = slurm.planSubmission(ctx, settings, maxArraySize, slurm.queuedTasks(earlier));
      const say = (line: string): void => void process.stderr.write(`${line}\n`);
      const skippedText = [
        sub.skipped.complete.length ? `${sub.skipped.complete.length} complete` : '',
        sub.skipped.running.length ? `${sub.skipped.running.length} running (${sub.skipped.running.map((s) => `${s}/${settings.shards}`).join(', ')})` : '',
        sub.skipped.queued.length ? `${sub.skipped.queued.length} still queued (${sub.skipped.queued.map((q) => `${q.shard}/${settings.shards}: ${q.job}`).join(', ')})` : '',
      ].filter(Boolean).join(', ');
      const head = `${ctx.experiment}: ${plan.runs.length} runs in ${settings.shards} shards → ${ctx.output}; ${sub.todo.length} shard${sub.todo.length === 1 ? '' : 's'} to run` + (skippedText ? ` (not submitted: ${skippedText})` : '');
      const summary = {
        experiment: ctx.experiment, output: ctx.output, runs: plan.runs.length, shards: settings.shards, maxArraySize: sub.maxArraySize,
        todo: sub.todo, skipped: sub.skipped, arrays: sub.parts.map((p) => ({ part: p.part, array: p.array, shards: p.shards, offset: p.offset })),
      };
      if (!sub.todo.length) {
        if (flags.json) process.stdout.write(`${JSON.stringify({ ...summary, files: null, submitted: null })}\n`);
        else say(`${head}\nnothing to submit${sub.skipped.complete.length === settings.shards ? `: every run is complete (tables: mixbench report ${ctx.output} --plan ${ctx.config})` : ''}`);
        return;
      }
      const rendered = slurm.renderFiles(sub);
      if (flags.dryRun) {
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ ...summary, files: Object.fromEntries(rendered.contents), submitted: null })}\n`);
          return;
        }
        for (const [path, text] of rendered.contents) if (!path.endsWith('.json')) process.stdout.write(`### ${path}\n${text}\n`);
        say(head);
        for (const n of sub.notes) say(n);
        say('dry run: nothing written or submitted');
        return;
      }
      slurm.writeFiles(rendered);
      const files = rendered.files;
      if (!flags.submit) {
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ ...summary, files, submitted: null })}\n`);
          return;
        }
        say(head);
        for (const n of sub.notes) say(n);
        process.stdout.write(`wrote ${[...files.arrays, files.merge, files.submit].join(', ')}\nsubmit: bash ${files.submit}   (or: mixbench slurm ${configPath} ... --submit)\n`);
        return;
      }
      const submitted = slurm.submit(sub, files);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ...summary, files, submitted })}\n`);
        return;
      }
      say(head);
      for (const n of sub.notes) say(n);
      const arrays = submitted.arrays.map((a) => `${a.jobId} (shards ${a.shards[0]}–${a.shards[a.shards.length - 1]}, --array=${a.array})`).join(', ');
      process.stdout.write(`submitted array job${submitted.arrays.length === 1 ? '' : 's'} ${arrays}; merge job ${submitted.merge} (afterany)\n`);
      process.stdout.write(`follow: squeue -j ${[...submitted.arrays.map((a) => a.jobId), submitted.merge].join(',')}; mixbench status ${ctx.output}; logs in ${join(files.dir, 'logs')}\n`);
    });

  program
    .command('status')
    .description('how far a sweep is: runs complete, running (live process), failed or missing, per shard, and its Slurm jobs still queued')
    .argument('<dir-or-config>', 'an output directory, or an experiment YAML file (its output directory)')
    .option('--plan <config>', 'the sweep\'s config, to count missing runs (default: the plan `mixbench slurm` saved in <dir>/slurm)')
    .option('--shards <N>', 'break the counts down into N shards (default: the sweep\'s own split)')
    .option('-o, --output <dir>', 'with a config: its output directory, if not the config\'s')
    .option('--json', 'print the status as JSON')
    .action(async (target: string, flags: { plan?: string; shards?: string; output?: string; json?: boolean }) => {
      const { sweepStatus, formatStatus } = await import('./run/status');
      const slurm = await import('./run/slurm');
      const isConfig = /\.ya?ml$/i.test(target) && existsSync(target) && statSync(target).isFile();
      if (!isConfig && !existsSync(target)) throw new UsageError(`${target}: no such directory or config file`);
      if (isConfig && flags.plan) throw new UsageError('give either a config or --plan <config>, not both');
      const configPath = isConfig ? target : flags.plan;
      let output = isConfig ? '' : resolve(target);
      let plan: Parameters<typeof sweepStatus>[1];
      if (configPath) {
        const { loadConfigFile } = await import('./config/load');
        const { planRuns } = await import('./config/plan');
        const exp = loadConfigFile(configPath);
        if (isConfig) output = resolve(flags.output ?? exp.output);
        const p = planRuns(exp);
        const saved = slurm.readSlurmPlan(output);
        plan = { experiment: p.experiment, ids: p.runs.map((r) => r.id), shards: saved?.experiment === p.experiment ? saved.shards : undefined, source: configPath };
      } else {
        const saved = slurm.readSlurmPlan(output);
        plan = saved
          ? { experiment: saved.experiment, ids: saved.runs, shards: saved.shards, source: `${join('slurm', 'plan.json')} (${saved.config})` }
          : { experiment: null, ids: null, source: 'none found' };
      }
      const shards = int('--shards', flags.shards, 1);
      if (shards !== undefined) plan.shards = shards;
      const status = sweepStatus(output, plan);
      const subs = slurm.readSubmissions(output);
      const last = subs[subs.length - 1];
      const ids = last ? [...last.arrays.map((a) => a.jobId), last.merge] : [];
      const queue = ids.length ? slurm.queuedTasks(ids) : undefined;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ...status, slurm: last ? { submission: last, queue: queue && 'tasks' in queue ? queue.tasks : null, queueError: queue && 'why' in queue ? queue.why : null } : null })}\n`);
        return;
      }
      let text = formatStatus(status);
      if (last && queue) {
        if ('why' in queue) text += `Slurm: last submission ${last.submittedAt}: jobs ${ids.join(', ')}; queue unknown (${queue.why})\n`;
        else {
          const per = (jobId: string): string => {
            const tasks = queue.tasks.filter((t) => t.arrayJobId === jobId);
            if (!tasks.length) return 'ended';
            const byState = new Map<string, number>();
            for (const t of tasks) byState.set(t.state.toLowerCase(), (byState.get(t.state.toLowerCase()) ?? 0) + 1);
            const reasons = [...new Set(tasks.filter((t) => t.state === 'PENDING' && t.reason && t.reason !== 'None').map((t) => t.reason))];
            return `${[...byState].map(([s, n]) => `${n} ${s}`).join(', ')}${reasons.length ? ` (${reasons.join(', ')})` : ''}`;
          };
          const arrays = last.arrays.map((a) => `array ${a.jobId}: ${per(a.jobId)}`).join('; ');
          text += `Slurm (submitted ${last.submittedAt}): ${arrays}; merge ${last.merge}: ${per(last.merge)}\n`;
        }
      }
      process.stdout.write(text);
    });
}
