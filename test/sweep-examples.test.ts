/**
 * The cluster and CI examples in examples/: their YAML parses, the shell script passes `bash -n`, and every mixbench
 * command they call exists and parses with the CLI's own option parser, with option values that mixbench accepts
 * (the config validates, --only names values of its plan, shard counts agree with the scheduler's settings).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli';
import { loadConfigFile } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import { filterPlan } from '../src/run/filter';
import { parseShard } from '../src/run/shard';

const ROOT = join(__dirname, '..', '..');
const EX = join(ROOT, 'examples');

interface Parsed {
  command: string;
  args: string[];
  opts: Record<string, unknown>;
}

/** Parse `mixbench <argv>` with the real program, with every action replaced by a recorder. */
function parseMixbench(argv: string[]): Parsed {
  const program = buildProgram();
  let parsed: Parsed | undefined;
  const quiet = (c: Command) => {
    c.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    c.exitOverride();
  };
  quiet(program);
  for (const c of program.commands) {
    quiet(c);
    c.action((...a: unknown[]) => {
      const cmd = a[a.length - 1] as Command;
      parsed = { command: cmd.name(), args: cmd.args, opts: cmd.opts() };
    });
  }
  try {
    program.parse(['node', 'mixbench', ...argv]);
  } catch (err) {
    assert.fail(`\`mixbench ${argv.join(' ')}\` does not parse: ${(err as Error).message}`);
  }
  assert.ok(parsed, `no command ran for ${argv.join(' ')}`);
  return parsed;
}

/** Split a shell command line into words (quotes, backslash-newline continuations). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of line.replace(/\\\n/g, ' ').matchAll(re)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/** `npx mixbench ...` invocations in a text, as argument lists (after `mixbench`); commented ones too if asked. */
function mixbenchCalls(text: string, comments = false): string[][] {
  const joined = text.replace(/\\\n/g, ' ');
  const calls: string[][] = [];
  for (let line of joined.split('\n')) {
    if (/^\s*#/.test(line)) {
      if (!comments) continue;
      line = line.replace(/^\s*#+\s*/, '');
    }
    const at = line.indexOf('npx mixbench ');
    if (at < 0) continue;
    let cmd = line.slice(at + 'npx mixbench '.length);
    cmd = cmd.replace(/\)?\s*\|.*$/, ''); // up to a pipe / the end of a $( ... )
    calls.push(shellWords(cmd));
  }
  return calls;
}

function checkRun(p: Parsed, expect: { shards?: number } = {}): void {
  assert.equal(p.command, 'run');
  const exp = loadConfigFile(join(ROOT, p.args[0])); // throws ConfigError when invalid
  const plan = planRuns(exp);
  if (p.opts.only) assert.ok(filterPlan(plan, p.opts.only as string[]).runs.length > 0);
  if (p.opts.shard) parseShard(String(p.opts.shard));
  if (expect.shards) assert.ok(plan.runs.length >= expect.shards, 'no more shards than runs');
  for (const k of ['jobs', 'retries']) if (p.opts[k] !== undefined) assert.match(String(p.opts[k]), /^\d+$/);
}

test('the example config validates and sweeps noise levels', () => {
  const exp = loadConfigFile(join(EX, 'noise-sweep.yaml'));
  const labels = [...new Set(planRuns(exp).runs.map((r) => r.noise.label))];
  assert.ok(labels.length >= 3, `several noise levels: ${labels}`);
});

test('Slurm example: bash syntax, its mixbench slurm command, and the sbatch scripts that command writes', async () => {
  const text = readFileSync(join(EX, 'slurm-array.sh'), 'utf8');
  const bash = spawnSync('bash', ['-n', join(EX, 'slurm-array.sh')], { encoding: 'utf8' });
  assert.equal(bash.status, 0, bash.stderr);
  const calls = mixbenchCalls(text);
  assert.deepEqual(calls.map((c) => c[0]), ['slurm']);
  assert.deepEqual(mixbenchCalls(text, true).map((c) => c[0]), ['status', 'slurm']);
  for (const argv of mixbenchCalls(text, true)) parseMixbench(argv);
  const p = parseMixbench(calls[0]);
  const plan = planRuns(loadConfigFile(join(ROOT, p.args[0])));
  assert.ok(Number(p.opts.shards) <= plan.runs.length, 'no more shards than runs');
  assert.ok(p.opts.submit);
  // What it would submit, without submitting: every script passes bash -n and runs a mixbench command that parses.
  const dry = spawnSync(process.execPath, [join(ROOT, 'bin', 'mixbench.js'), ...calls[0].filter((w) => w !== '--submit'), '--dry-run', '--json', '--max-array-size', '4'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(dry.status, 0, dry.stderr);
  const files = (JSON.parse(dry.stdout) as { files: Record<string, string> }).files;
  const scripts = Object.entries(files).filter(([f]) => !f.endsWith('.json'));
  assert.equal(scripts.length, 4, 'two arrays (6 shards, MaxArraySize 4), the merge job, submit.sh');
  const commands: string[] = [];
  for (const [file, body] of scripts) {
    const r = spawnSync('bash', ['-n'], { input: body, encoding: 'utf8' });
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
    const cli = /\S+bin\/mixbench\.js (run|report) (.*?)(?: \\\n|\n)/.exec(body);
    if (!cli) continue;
    const argv = shellWords(`${cli[1]} ${cli[2]}`).map((w) => w.replace('$shard', '1'));
    const parsed = parseMixbench(argv);
    commands.push(parsed.command);
    if (parsed.command === 'run') checkRun({ ...parsed, args: [relative(ROOT, parsed.args[0])] });
  }
  assert.deepEqual(commands.sort(), ['report', 'run', 'run']);
});

test('Kubernetes Indexed Job: a valid manifest whose shard count equals its completions', () => {
  const docs = parseAllDocuments(readFileSync(join(EX, 'k8s-indexed-job.yaml'), 'utf8'));
  assert.equal(docs.length, 1);
  assert.deepEqual(docs[0].errors, []);
  const job = docs[0].toJS() as {
    apiVersion: string;
    kind: string;
    spec: { completionMode: string; completions: number; template: { spec: { restartPolicy: string; containers: Array<{ command: string[]; env: Array<{ name: string; value: string }> }> } } };
  };
  assert.equal(job.apiVersion, 'batch/v1');
  assert.equal(job.kind, 'Job');
  assert.equal(job.spec.completionMode, 'Indexed');
  const c = job.spec.template.spec.containers[0];
  const count = c.env.find((e) => e.name === 'MIXBENCH_SHARD_COUNT')?.value;
  assert.equal(Number(count), job.spec.completions, 'MIXBENCH_SHARD_COUNT = completions');
  assert.deepEqual(c.command.slice(0, 2), ['node', 'bin/mixbench.js'], 'node as PID 1: npx does not pass SIGTERM on');
  checkRun(parseMixbench(c.command.slice(2)), { shards: job.spec.completions });
  const text = readFileSync(join(EX, 'k8s-indexed-job.yaml'), 'utf8');
  const commented = mixbenchCalls(text, true);
  assert.ok(commented.some((c) => c[0] === 'report'));
  for (const argv of commented) parseMixbench(argv);
});

test('GitHub Actions workflow: a matrix over the plan\'s noise levels, merged by mixbench report', () => {
  const text = readFileSync(join(EX, 'github-actions-noise-sweep.yml'), 'utf8');
  const doc = parseAllDocuments(text)[0];
  assert.deepEqual(doc.errors, []);
  type Step = { run?: string; uses?: string; with?: Record<string, unknown> };
  const wf = doc.toJS() as { on: unknown; jobs: Record<string, { needs?: string; steps: Step[]; strategy?: { matrix: Record<string, unknown> } }> };
  assert.ok(wf.on);
  assert.deepEqual(Object.keys(wf.jobs), ['plan', 'sweep', 'report']);
  assert.equal(wf.jobs.sweep.needs, 'plan');
  assert.equal(wf.jobs.report.needs, 'sweep');
  assert.match(String(wf.jobs.sweep.strategy!.matrix.noise), /fromJSON\(needs\.plan\.outputs\.noise\)/);
  // What the plan job's `jq '[.runs[].noise.label] | unique'` yields, computed from the same plan.
  const noise = [...new Set(planRuns(loadConfigFile(join(EX, 'noise-sweep.yaml'))).runs.map((r) => r.noise.label))].sort();
  const runs = Object.values(wf.jobs).flatMap((j) => j.steps.map((s) => s.run ?? '')).join('\n');
  const calls = mixbenchCalls(runs);
  assert.deepEqual(calls.map((c) => c[0]), ['plan', 'run', 'report']);
  assert.ok(parseMixbench(calls[0]).opts.json);
  for (const level of noise) checkRun(parseMixbench(mixbenchCalls(runs.replace(/\$\{\{ matrix\.noise \}\}/g, level))[1]));
  const report = parseMixbench(calls[2].map((w) => (w === 'shards/*' ? 'shards/runs-none' : w)));
  assert.equal(report.opts.output, 'merged');
  loadConfigFile(join(ROOT, String(report.opts.plan)));
  const uploads = wf.jobs.sweep.steps.filter((s) => s.uses?.startsWith('actions/upload-artifact'));
  assert.equal(uploads.length, 1);
  const download = wf.jobs.report.steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!;
  assert.equal(download.with!.pattern, 'runs-*');
  // The shard alternative in the comments parses too.
  const shardAlt = mixbenchCalls(text.split('\n').filter((l) => /^#/.test(l)).join('\n'), true);
  assert.ok(shardAlt.some((c) => c[0] === 'plan' && c.includes('--shards')));
  for (const argv of shardAlt) parseMixbench(argv.map((w) => w.replace('${{ matrix.shard }}', '1/8')));
});
