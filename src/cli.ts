/** Thin commander wiring. Heavy modules (tfjs) are imported lazily inside actions; errors map to exit codes here only. */
import { Command, CommanderError, Option } from 'commander';
import { BACKENDS, type BackendName } from './config/schema';
import { ConfigError, EXIT, UsageError } from './errors';

interface RunFlags {
  backend?: BackendName;
  jobs: string;
  force?: boolean;
  quiet?: boolean;
  json?: boolean;
  output?: string;
}

function parseJobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--jobs must be a positive integer, got "${value}"`);
  return n;
}

export function buildProgram(): Command {
  const program = new Command('mixbench')
    .description('Run data-mixing and attention-regularisation experiments on Transformer classifiers and tabulate the results')
    .version(require('../../package.json').version as string)
    .showHelpAfterError()
    .exitOverride();

  program
    .command('run')
    .description('train every run of the config (skipping runs already complete) and write CSV tables')
    .argument('<config>', 'experiment YAML file')
    .addOption(new Option('--backend <name>', 'tfjs backend (overrides the config)').choices([...BACKENDS]).env('MIXBENCH_BACKEND'))
    .addOption(new Option('-j, --jobs <n>', 'worker processes, one run each at a time').default('1').env('MIXBENCH_JOBS'))
    .option('--force', 'redo runs even if they are complete')
    .option('-o, --output <dir>', 'output directory (overrides the config)')
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'stream NDJSON events on stdout')
    .action(async (configPath: string, flags: RunFlags) => {
      const { loadConfigFile } = await import('./config/load');
      const { planRuns } = await import('./config/plan');
      const { runSweep } = await import('./run/sweep');
      const { createProgress } = await import('./run/progress');
      const { writeTables, summaryRows, formatSummaryText } = await import('./report/tables');
      const exp = loadConfigFile(configPath);
      if (flags.output) exp.output = flags.output;
      const plan = planRuns(exp);
      const progress = createProgress({ quiet: !!flags.quiet, json: !!flags.json });
      let result;
      try {
        result = await runSweep(plan, {
          backend: flags.backend ?? exp.backend,
          jobs: parseJobs(flags.jobs),
          force: !!flags.force,
          sink: progress.sink,
          onRecords: (records) => writeTables(plan.output, records),
        });
      } finally {
        progress.close();
      }
      if (!flags.json && !flags.quiet) process.stdout.write(`${formatSummaryText(summaryRows(result.records))}\n`);
      if (result.interrupted) {
        process.stderr.write('interrupted: complete runs are kept; run the same command again to finish the sweep\n');
        process.exitCode = EXIT.interrupted;
      } else if (result.records.some((r) => r.status !== 'ok')) {
        process.exitCode = EXIT.runFailed;
      }
    });

  program
    .command('validate')
    .description('check a config and report every problem as file:line:col')
    .argument('<config>', 'experiment YAML file')
    .action(async (configPath: string) => {
      const { loadConfigFile } = await import('./config/load');
      const { planRuns } = await import('./config/plan');
      const exp = loadConfigFile(configPath);
      const plan = planRuns(exp);
      process.stdout.write(`${configPath}: ok (${plan.runs.length} runs: ${exp.datasets.length} datasets × ${exp.noise.length} noise × ${exp.methods.length} methods × ${exp.seeds.length} seeds)\n`);
    });

  program
    .command('plan')
    .description('print the run matrix without training')
    .argument('<config>', 'experiment YAML file')
    .option('--json', 'print the run specs as JSON')
    .action(async (configPath: string, flags: { json?: boolean }) => {
      const { loadConfigFile } = await import('./config/load');
      const { planRuns } = await import('./config/plan');
      const plan = planRuns(loadConfigFile(configPath));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(plan, null, 1)}\n`);
        return;
      }
      process.stdout.write(`${plan.experiment}: ${plan.runs.length} runs → ${plan.output}\n`);
      for (const r of plan.runs) process.stdout.write(`${r.id}\t${r.dataset.name}\t${r.noise.label}\t${r.method.name}\tseed ${r.seed}\n`);
    });

  program
    .command('report')
    .description('rebuild the tables of an output directory from its run records, without training')
    .argument('<output-dir>', 'directory holding runs/<id>/result.json')
    .action(async (dir: string) => {
      const { collectRecords } = await import('./report/collect');
      const { writeTables, summaryRows, formatSummaryText } = await import('./report/tables');
      const records = collectRecords(dir);
      if (!records.length) throw new UsageError(`${dir}: no complete run records found under ${dir}/runs; run \`mixbench run <config>\` first`);
      const files = writeTables(dir, records);
      process.stdout.write(`${formatSummaryText(summaryRows(records))}\n`);
      process.stderr.write(`wrote ${files.join(', ')}\n`);
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
    .description('list the built-in datasets')
    .action(async () => {
      const { builtinDatasetNames, builtinDataset } = await import('./data/catalog');
      for (const name of builtinDatasetNames()) {
        const d = builtinDataset(name)!;
        process.stdout.write(`${d.name}\t${d.modality}\tn=${d.examples}\tclasses=${d.classes}\tshape=${d.shape.join('×')}\n  source: ${d.source}\n  licence: ${d.licence}\n`);
      }
    });

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
    if (err instanceof UsageError) {
      process.stderr.write(`mixbench: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`mixbench: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\nThis is a bug; please report it with the command and config.\n`);
    return EXIT.runFailed;
  }
}
