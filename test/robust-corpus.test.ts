/**
 * The bad-input corpus (test/corpus/bad/, README there) through the real CLI: every case is refused or handled with a
 * sentence for the user, and none reaches the "internal error ... This is a bug" path, hangs or dies of a signal.
 *
 *   config/*.yaml   `mixbench validate` and `mixbench run` (from a copy of the corpus, so relative data paths resolve
 *                   and nothing is written into the repository): exit 2, with file:line:col for config problems
 *   records/<case>  damaged run records: `mixbench report` leaves the damaged run out of the tables and says so;
 *                   `mixbench run` (records/sweep.yaml) redoes exactly the damaged run
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, tempDir } from './helpers';

const CORPUS = join(__dirname, '..', '..', 'test', 'corpus', 'bad');
let work: string;

before(() => {
  work = tempDir('mixbench-corpus-');
  cpSync(CORPUS, work, { recursive: true });
});

interface Result {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function cli(args: string[], cwd: string): Promise<Result> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SLURM_ARRAY_|JOB_COMPLETION_INDEX$|MIXBENCH_)/.test(k)));
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, seconds: (Date.now() - t0) / 1000 }));
  });
}

function assertHandled(r: Result, what: string): void {
  const where = `${what} (${r.seconds.toFixed(1)} s)\n${r.stderr}`;
  assert.equal(r.signal, null, `killed: ${where}`);
  assert.doesNotMatch(r.stderr, /internal error|This is a bug|Warning: /, where);
}

const configs = readdirSync(join(CORPUS, 'config')).filter((f) => f.endsWith('.yaml')).sort();
const records = readdirSync(join(CORPUS, 'records'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

test('the corpus is not empty and every config case says where it came from', () => {
  assert.ok(configs.length >= 15 && records.length >= 5, `${configs.length} configs, ${records.length} record cases`);
  for (const f of configs.filter((f) => f !== 'garbage.yaml')) assert.match(readFileSync(join(CORPUS, 'config', f), 'utf8'), /^# /, `${f} starts with a comment on what it was`);
});

for (const f of configs) {
  test(`corpus config/${f}: validate and run exit 2 with a message, no internal error`, { timeout: 300_000 }, async () => {
    const path = join('config', f);
    const v = await cli(['validate', path], work);
    assertHandled(v, `validate ${f}`);
    const r = await cli(['run', path, '-q'], work);
    assertHandled(r, `run ${f}`);
    for (const [x, name] of [[v, 'validate'], [r, 'run']] as const) {
      // Every case is bad input; output cases pass validation (they are checked when a run would write).
      if (name === 'validate' && /^output-/.test(f)) {
        assert.equal(x.code, 0, `${name} ${f}: ${x.stderr}`);
        continue;
      }
      assert.equal(x.code, 2, `${name} ${f}: exit ${x.code}\n${x.stderr}`);
      assert.ok(x.stderr.trim().length > 0);
    }
    // Problems in the config itself are located; data, output and resource problems name their file or path.
    if (/^(plan-|duplicate|dataset-label|collection-key|garbage)/.test(f)) assert.match(r.stderr, new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: `));
    if (/^output-/.test(f)) assert.match(r.stderr, /output directory .*\n  Fix: /);
    if (/^too-large/.test(f)) assert.match(r.stderr, /too large for .*needs about [\d.]+ [KMGTP]iB[\s\S]*Fix: /);
    // Sentences for the user, not JavaScript's: no engine error names, no wall of repeats.
    for (const x of [v, r]) {
      assert.doesNotMatch(x.stderr, /Maximum call stack|RangeError|TypeError|Error: E[A-Z]+:|ERR_INVALID_ARG|\x00/, `${f}: ${x.stderr.slice(0, 2000)}`);
      assert.ok(x.stderr.split('\n').length <= 30, `${f}: ${x.stderr.split('\n').length} lines of messages`);
    }
    // The output directory may have been created (checked before the data); no run was started in it.
    const results = join(work, 'results');
    for (const d of existsSync(results) ? readdirSync(results) : []) assert.ok(!existsSync(join(results, d, 'runs')), `no run of ${d} was started`);
  });
}

for (const c of records) {
  test(`corpus records/${c}: report leaves the damaged run out and says so; run redoes exactly it`, { timeout: 300_000 }, async () => {
    const dir = join(work, 'records', c);
    const damaged = readdirSync(join(dir, 'runs')).sort()[0];
    const rep = await cli(['report', dir, '-o', join(work, `report-${c}`)], work);
    assertHandled(rep, `report ${c}`);
    assert.equal(rep.code, 0, rep.stderr);
    assert.match(rep.stderr, /skipped 1 run director|1 run director/, 'the damaged record is reported');
    const listed = readFileSync(join(work, `report-${c}`, 'runs.csv'), 'utf8');
    assert.ok(!listed.includes(damaged), `${damaged} is not in the tables`);
    const run = await cli(['run', join('records', 'sweep.yaml'), '-o', dir, '--json', '-q'], work);
    assertHandled(run, `run ${c}`);
    assert.equal(run.code, 0, run.stderr);
    const started = run.stdout.split('\n').filter((l) => l.includes('"run_started"')).map((l) => JSON.parse(l).id as string);
    assert.deepEqual(started, [damaged], 'only the damaged run is redone');
  });
}
