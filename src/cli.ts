/** Thin commander wiring. Heavy modules (tfjs) are imported lazily inside actions; errors map to exit codes here only. */
import { Command, CommanderError, Option } from 'commander';
import { BACKENDS, type BackendName } from './core/experiment';
import type { RunSpec } from './core/run';
import { ConfigError, EXIT, UsageError } from './errors';
import { StorageError } from './util/fs';
import { addSlurmCommands } from './cli-slurm';

interface ConfigFlags {
  set?: string[];
  maxRuns?: string;
}

interface RunFlags extends ConfigFlags {
  backend?: BackendName;
  jobs?: string;
  force?: boolean;
  quiet?: boolean;
  json?: boolean;
  output?: string;
  threads?: string;
  shard?: string;
  shardCount?: string;
  retries: string;
  failFast?: boolean;
  only?: string[];
}

function parseJobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--jobs must be a positive integer, got "${value}"`);
  return n;
}

function parseCount(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

/** Worker processes for `run --jobs N`, started before the data and resource checks so that their start-up overlaps them. */
async function startWorkers(backend: BackendName, count: number, threads: number | undefined, runs: RunSpec[]) {
  const { WorkerPool, distinctDatasets, threadsPerWorker } = await import('./run/pool');
  const { cpus } = await import('node:os');
  return new WorkerPool(backend, threadsPerWorker(count, cpus().length, threads), distinctDatasets(runs), count);
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--set key=value` (repeatable) and `--max-runs N`: how run, plan and validate read their config. */
function addConfigOptions(command: Command): Command {
  return command
    .addOption(new Option('--set <key=value>', 'override a config value, e.g. train.lr=0.003 or \'methods[1].alpha=[0.2,1]\' (value in YAML; repeatable; MIXBENCH_SET: one per line)')
      .argParser(collect).env('MIXBENCH_SET'))
    .addOption(new Option('--max-runs <n>', 'refuse plans with more runs than this (default 10000)').env('MIXBENCH_MAX_RUNS'));
}

/**
 * Load a config with the command's --set overrides and plan-size limit. MIXBENCH_SET reaches the option as one value
 * (commander reads an option's variable once, and only when the flag is absent): one override per line.
 */
async function loadConfig(configPath: string, flags: ConfigFlags, command: Command) {
  const { loadConfigFile } = await import('./config/load');
  const { splitSetVariable } = await import('./report/page');
  const set = command.getOptionValueSource('set') === 'env' ? (flags.set ?? []).flatMap(splitSetVariable) : flags.set ?? [];
  return loadConfigFile(configPath, {
    overrides: set,
    ...(flags.maxRuns !== undefined ? { maxRuns: parseCount('--max-runs', flags.maxRuns, 1) } : {}),
  });
}

export function buildProgram(): Command {
  const program = new Command('mixbench')
    .description('Run data-mixing and attention-regularisation experiments on Transformer classifiers and tabulate the results')
    .version(require('../../package.json').version as string)
    .showHelpAfterError()
    .exitOverride();

  addConfigOptions(program
    .command('run')
    .description('train every run of the config (skipping runs already complete) and write CSV tables')
    .argument('<config>', 'experiment YAML file'))
    .addOption(new Option('--backend <name>', 'tfjs backend (overrides the config)').choices([...BACKENDS]).env('MIXBENCH_BACKEND'))
    .addOption(new Option('-j, --jobs <n>', 'worker processes, one run each at a time (default: one per core, as free memory allows; 1: in this process)').env('MIXBENCH_JOBS'))
    .addOption(new Option('--threads <n>', 'native threads per worker (tensorflow backends; default cores ÷ jobs)').env('MIXBENCH_THREADS'))
    .addOption(new Option('--shard <i/N>', 'run only shard i of N (1-based); default from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX').env('MIXBENCH_SHARD'))
    .addOption(new Option('--shard-count <N>', 'number of shards, with JOB_COMPLETION_INDEX (Kubernetes) or to override Slurm\'s').env('MIXBENCH_SHARD_COUNT'))
    .addOption(new Option('--retries <k>', 'retry a failed run up to k more times').default('0').env('MIXBENCH_RETRIES'))
    .option('--fail-fast', 'stop the sweep at the first failed or diverged run')
    .option('--only <key=values...>', 'run only the runs whose dataset|noise|method|seed is one of the values (comma-separated; ids do not change)')
    .option('--force', 'redo runs even if they are complete')
    .option('-o, --output <dir>', 'output directory (overrides the config)')
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'stream NDJSON events on stdout')
    .action(async (configPath: string, flags: RunFlags, command: Command) => {
      const { planRuns } = await import('./config/plan');
      const { runSweep } = await import('./run/sweep');
      const { createProgress } = await import('./run/progress');
      const { formatReport } = await import('./report/tables');
      const { ReportWriter, sweepInfoFor } = await import('./report/write');
      const { resolveShard, selectShard } = await import('./run/shard');
      const { filterPlan } = await import('./run/filter');
      const exp = await loadConfig(configPath, flags, command);
      if (flags.output) exp.output = flags.output;
      const plan = planRuns(exp);
      const selected = filterPlan(plan, flags.only ?? []).runs;
      // The output directory (exists or can be made, is a directory, takes files) before anything slow.
      (await import('./store/output-check')).checkOutputDir(plan.output, { flag: !!flags.output, config: configPath });
      const shard = resolveShard(flags.shard, flags.shardCount);
      const jobs = flags.jobs === undefined ? (await import('./run/jobs')).defaultJobs() : parseJobs(flags.jobs);
      const threads = flags.threads === undefined ? undefined : parseCount('--threads', flags.threads, 1);
      const retries = parseCount('--retries', flags.retries, 0);
      const mine = selectShard(selected, shard);
      const backend = flags.backend ?? exp.backend;
      // With workers, they start now (as many as there are runs to train): their start-up overlaps the checks below.
      const pending = (await import('./store/records')).runsWithoutRecord(plan.output, mine, !!flags.force);
      const pool = jobs > 1 && pending.length > 0 ? await startWorkers(backend, Math.min(jobs, pending.length), threads, pending) : undefined;
      let result;
      try {
        // Read and check every dataset before any training (bad data files exit 2 naming the file and place).
        const { checkRunData } = await import('./data/check');
        const { datasetFor } = await import('./data/cache');
        checkRunData(plan.runs, datasetFor);
        // Memory (model, batch, optimizer state vs backend and machine) and disk space, before any training.
        (await import('./config/resources')).checkResources(mine, datasetFor, { backend, jobs });
        const { checkOutputSpace, outputShapes } = await import('./store/output-check');
        checkOutputSpace(plan.output, outputShapes(pending, datasetFor), plan.runs.length, { flag: !!flags.output, config: configPath });
        const progress = createProgress({ quiet: !!flags.quiet, json: !!flags.json });
        const report = new ReportWriter(plan.output, exp.report, { saveSettings: true, sweep: sweepInfoFor(configPath, process.argv, process.env, exp.overrides ?? []) });
        try {
          result = await runSweep(plan, {
            backend,
            jobs,
            threads,
            retries,
            failFast: !!flags.failFast,
            shard,
            select: selected,
            force: !!flags.force,
            sink: progress.sink,
            onRecords: (records) => report.write(records).paths,
            pool,
          });
        } finally {
          progress.close();
        }
        if (!flags.json && !flags.quiet) process.stdout.write(formatReport(report.build(result.records)));
      } finally {
        pool?.close();
      }
      if (result.interrupted) {
        process.stderr.write('interrupted: complete runs are kept; run the same command again to finish the sweep\n');
        process.exitCode = EXIT.interrupted;
      } else if (result.failedFast) {
        process.stderr.write(`stopped at the first failure (--fail-fast): ${result.failedFast}; fix it and run the same command again\n`);
        process.exitCode = EXIT.runFailed;
      } else if (result.shardRecords.some((r) => r.status !== 'ok')) {
        process.exitCode = EXIT.runFailed;
      }
    });

  addConfigOptions(program
    .command('validate')
    .description('check a config and report every problem as file:line:col')
    .argument('<config>', 'experiment YAML file'))
    .action(async (configPath: string, flags: ConfigFlags, command: Command) => {
      const { planRuns } = await import('./config/plan');
      const { planFactors } = await import('./config/describe');
      const exp = await loadConfig(configPath, flags, command);
      const plan = planRuns(exp);
      const { checkRunData } = await import('./data/check');
      const { datasetFor } = await import('./data/cache');
      checkRunData(plan.runs, datasetFor);
      (await import('./config/resources')).checkResources(plan.runs, datasetFor, { backend: exp.backend, jobs: 1 });
      process.stdout.write(`${configPath}: ok (${plan.runs.length} runs: ${planFactors(exp)})\n`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of config files (for editors: schema/mixbench.schema.json is this output)')
    .action(async () => {
      const { configJsonSchemaText } = await import('./config/editor-schema');
      process.stdout.write(configJsonSchemaText());
    });

  addConfigOptions(program
    .command('plan')
    .description('print the run matrix (its axes and size) without training')
    .argument('<config>', 'experiment YAML file'))
    .option('--json', 'print the run specs as JSON')
    .option('--shards <N>', 'split the plan into N shards: print which runs each shard does (with --json: a CI matrix)')
    .addOption(new Option('--shard <i/N>', 'print only the runs of shard i of N').env('MIXBENCH_SHARD'))
    .addOption(new Option('--shard-count <N>', 'number of shards, with JOB_COMPLETION_INDEX').env('MIXBENCH_SHARD_COUNT'))
    .option('--only <key=values...>', 'keep only runs whose dataset|noise|method|seed is one of the values (comma-separated)')
    .action(async (configPath: string, flags: ConfigFlags & { json?: boolean; shards?: string; shard?: string; shardCount?: string; only?: string[] }, command: Command) => {
      const { planRuns } = await import('./config/plan');
      const { describePlan, describeRun, planAxes } = await import('./config/describe');
      const { resolveShard, selectShard, shardLabel } = await import('./run/shard');
      const { filterPlan } = await import('./run/filter');
      const exp = await loadConfig(configPath, flags, command);
      const full = planRuns(exp);
      const plan = filterPlan(full, flags.only ?? []);
      if (flags.shards !== undefined) {
        const count = parseCount('--shards', flags.shards, 1);
        const shards = Array.from({ length: count }, (_, k) => {
          const runs = selectShard(plan.runs, { index: k + 1, count });
          return { shard: shardLabel({ index: k + 1, count }), index: k + 1, count, runs: runs.map((r) => r.id) };
        });
        if (flags.json) {
          // `matrix` is ready for a GitHub Actions `strategy.matrix: ${{ fromJSON(...) }}`.
          const out = { experiment: plan.experiment, output: plan.output, total: plan.runs.length, matrix: { shard: shards.map((x) => x.shard) }, shards };
          process.stdout.write(`${JSON.stringify(out)}\n`);
          return;
        }
        process.stdout.write(`${plan.experiment}: ${plan.runs.length} runs in ${count} shards → ${plan.output}\n`);
        for (const x of shards) process.stdout.write(`shard ${x.shard}: ${x.runs.length} runs\n${x.runs.map((id) => `  ${id}\n`).join('')}`);
        return;
      }
      const shard = resolveShard(flags.shard, flags.shardCount);
      if (shard.count > 1) plan.runs = selectShard(plan.runs, shard);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(plan, null, 1)}\n`);
        return;
      }
      const axes = planAxes(exp, full);
      process.stdout.write(`${[...describePlan(exp, plan), ...plan.runs.map((r) => describeRun(r, axes))].join('\n')}\n`);
    });

  program
    .command('report')
    .description('rebuild the tables, plots and claim checks of an output directory from its run records, without training')
    .argument('<output-dirs...>', 'directories holding runs/<id>/result.json (one, or several: e.g. one per shard)')
    .option('-o, --output <dir>', 'where the tables go (default: the only directory given; required with several)')
    .option('--plan <config>', 'keep only the runs of this config\'s plan, in plan order; exit 1 if any is missing or failed')
    .option('-c, --config <file>', 'take the report settings and claims from this config (default: <output-dir>/report.json)')
    .option('--metric <m>', 'the accuracy statistic for deltas, tests and ranks: best | last | median-last-k')
    .option('-k <n>', 'k for median-last-k (default 5)')
    .action(async (dirs: string[], flags: { config?: string; metric?: string; k?: string; output?: string; plan?: string }) => {
      const { collectMerged } = await import('./store/merge');
      const { readSavedReportSettings } = await import('./store/settings');
      const { writeReport } = await import('./report/write');
      const { formatReport } = await import('./report/tables');
      const { loadConfigFile } = await import('./config/load');
      const { planRuns } = await import('./config/plan');
      const { overrideReport, resolveReport } = await import('./config/resolve');
      if (dirs.length > 1 && !flags.output) throw new UsageError('with several directories, say where the merged tables go: -o <dir>');
      const dir = flags.output ?? dirs[0];
      const merged = collectMerged(dirs, flags.plan ? planRuns(loadConfigFile(flags.plan)) : undefined);
      for (const line of merged.notes) process.stderr.write(`${line}\n`);
      if (merged.incompletePlan) process.exitCode = EXIT.runFailed;
      const records = merged.records;
      if (!records.length) throw new UsageError(`${dirs.join(', ')}: no complete run records found under runs/; run \`mixbench run <config>\` first`);
      // Settings: the config's (--config), else those the sweep saved in the directory, else the defaults; flags override.
      const saved = flags.config ? loadConfigFile(flags.config).report : (readSavedReportSettings(dirs[0]) ?? resolveReport());
      const settings = overrideReport(saved, flags);
      const out = writeReport(dir, records, settings, { sourceDirs: dirs, saveSettings: true, pruneStalePlots: true });
      for (const line of out.notes) process.stderr.write(`${line}\n`);
      const files = out.paths;
      process.stdout.write(formatReport(out));
      process.stderr.write(`wrote ${files.length} files in ${dir}: ${files.map((f) => f.slice(dir.length).replace(/^\//, '')).join(', ')}\n`);
    });

  program
    .command('backends')
    .description('list the tfjs backends: whether each loads here, its device or WebGPU adapter, what auto picks, and what to install for the others')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const { backendStatuses, formatBackendStatuses } = await import('./backends/list');
      const s = await backendStatuses();
      process.stdout.write(flags.json ? `${JSON.stringify(s, null, 1)}\n` : formatBackendStatuses(s));
    });

  program
    .command('methods')
    .description('list the methods with their options, defaults and papers')
    .action(async () => {
      const { formatMethods } = await import('./methods/describe');
      process.stdout.write(formatMethods());
    });

  program
    .command('datasets')
    .description('list the built-in datasets; `datasets describe <name|file>` checks a dataset or your file and prints what mixbench would load')
    .argument('[action]', '"describe" (omit to list)')
    .argument('[target]', 'a built-in name or a data file')
    .option('--format <format>', 'describe: csv | text | idx | cifar (default: from the file name and header)')
    .option('--label <column>', 'describe: label column (name or 0-based index)')
    .option('--text <column>', 'describe: text column (text files)')
    .option('--labels <file>', 'describe: IDX labels file for an IDX images file')
    .option('--layout <layout>', 'describe: text layout tsv | csv | sst2 | trec')
    .option('--test-path <file>', 'describe: an official test file')
    .option('--max-length <n>', 'describe: tokens per text')
    .action(async (action: string | undefined, target: string | undefined, flags: Record<string, string>) => {
      const { formatDatasetList, describeDataset } = await import('./data/describe');
      if (action === undefined) {
        process.stdout.write(formatDatasetList());
        return;
      }
      if (action !== 'describe') throw new UsageError(`unknown datasets action "${action}"; use \`mixbench datasets\` or \`mixbench datasets describe <name|file>\``);
      if (!target) throw new UsageError('datasets describe needs a built-in name or a file');
      process.stdout.write(describeDataset(target, { ...flags, testPath: flags.testPath }));
    });

  addSlurmCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every other commander error is a usage error.
      return err.exitCode === 0 ? 0 : EXIT.usage;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} found; nothing was run.\n`);
      return EXIT.usage;
    }
    if (err instanceof UsageError || err instanceof StorageError) {
      process.stderr.write(`mixbench: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`mixbench: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\nThis is a bug; please report it with the command and config.\n`);
    return EXIT.runFailed;
  }
}
