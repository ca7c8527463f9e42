/**
 * A sweep with a depth axis and a swept NeuTRENO λ, through the real CLI: one sweep, interrupted and resumed with the
 * same ids, `--set` recorded in every result, and a report with one table and a cosine-vs-depth plot (a line per arm).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultJobs } from '../src/run/jobs';
import { tempDir } from './helpers';
import { parseCsv, runCli, startCli } from './sweep-util';

function writeAxisConfig(dir: string): string {
  const path = join(dir, 'axes.yaml');
  writeFileSync(path, `name: axes
seeds: [1, 2]
datasets: [{name: digits, limit: 120}]
methods:
  - baseline
  - {method: neutreno, lambda: 0.6}
model: {dim: 16, depth: [1, 2], heads: 2, mlpDim: 32}
train: {epochs: 1, batchSize: 32}
backend: wasm
output: ${join(dir, 'out')}
report:
  metric: last
  plots: [{x: model.depth, y: oversmoothing}]
claims:
  - {better: neutreno, than: baseline, metric: oversmoothing, where: {model.depth: 2}}
`);
  return path;
}

const SET = 'methods[1].lambda=[0.2, 0.6]';

test('a depth × λ sweep runs as one sweep, resumes after an interruption with unchanged ids, and reports the axes', async () => {
  const dir = tempDir();
  const cfg = writeAxisConfig(dir);
  const out = join(dir, 'out');
  const planned = await runCli(['plan', cfg, '--set', SET, '--json']);
  assert.equal(planned.code, 0, planned.stderr);
  const plan = JSON.parse(planned.stdout) as { runs: { id: string; overrides?: string[] }[] };
  assert.equal(plan.runs.length, 2 * 3 * 2, '2 depths × 3 arms × 2 seeds');
  assert.deepEqual(plan.runs[0].overrides, [SET]);
  const ids = plan.runs.map((r) => r.id).sort();
  // Without --set the baseline runs are the same runs (the id does not depend on the flag, only on settings).
  const plain = JSON.parse((await runCli(['plan', cfg, '--json'])).stdout) as { runs: { id: string; method: { name: string }; overrides?: string[] }[] };
  assert.equal(plain.runs[0].overrides, undefined);
  for (const r of plain.runs.filter((x) => x.method.name === 'baseline')) assert.ok(ids.includes(r.id));

  // Interrupt after three runs.
  const first = startCli(['run', cfg, '--set', SET, '--jobs', '1', '--json']);
  let finished = 0;
  await first.waitFor((e) => e.type === 'run_finished' && ++finished === 3);
  first.child.kill('SIGTERM');
  const stopped = await first.done;
  assert.equal(stopped.code, 130, stopped.stderr);
  const complete = readdirSync(join(out, 'runs')).filter((id) => existsSync(join(out, 'runs', id, 'done')));
  assert.ok(complete.length >= 3 && complete.length < ids.length, `${complete.length} complete`);
  for (const id of complete) assert.ok(ids.includes(id));

  // Resume (with the default --jobs: one worker per core, as memory allows): the complete runs are skipped, the rest
  // run, and the directory holds exactly the plan's ids.
  const second = await runCli(['run', cfg, '--set', SET, '--json']);
  assert.equal(second.code, 0, second.stderr);
  const jobs = defaultJobs();
  const backend = second.events.find((e) => e.type === 'backend');
  if (jobs > 1) assert.match(String(backend?.summary), new RegExp(`× ${jobs} worker processes`));
  const started = second.events.filter((e) => e.type === 'run_started').map((e) => String(e.id));
  for (const id of complete) assert.ok(!started.includes(id), `${id} was complete and not run again`);
  assert.deepEqual(readdirSync(join(out, 'runs')).sort(), ids);
  const record = JSON.parse(readFileSync(join(out, 'runs', ids[0], 'result.json'), 'utf8')) as { spec: { overrides?: string[] } };
  assert.deepEqual(record.spec.overrides, [SET]);
  // And in the sweep's metadata (sweep.json, shown on report.html).
  const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as { set?: string[]; overrides?: string[] };
  assert.deepEqual(sweep.set, [SET]);
  assert.ok(sweep.overrides?.includes(`set ${SET} (command line)`), JSON.stringify(sweep.overrides));
  assert.ok(readFileSync(join(out, 'report.html'), 'utf8').includes(`set ${SET} (command line)`));

  // The tables: the axis columns after `method`, arms labelled by their λ, one summary table.
  const runs = parseCsv(readFileSync(join(out, 'runs.csv'), 'utf8'));
  const header = runs[0];
  assert.deepEqual(header.slice(header.indexOf('method'), header.indexOf('method') + 4), ['method', 'model.depth', 'neutreno.lambda', 'seed']);
  assert.deepEqual([...new Set(runs.slice(1).map((r) => r[header.indexOf('method')]))].sort(), ['baseline', 'neutreno[lambda=0.2]', 'neutreno[lambda=0.6]']);
  const summary = parseCsv(readFileSync(join(out, 'summary.csv'), 'utf8'));
  assert.equal(summary.length - 1, 2 * 3, 'a row per (depth, arm)');
  const md = readFileSync(join(out, 'summary.md'), 'utf8');
  assert.equal(md.split('\n').filter((l) => l.startsWith('| Dataset |')).length, 1, 'one table');
  assert.match(md, /\| Method \| model\.depth \| neutreno\.lambda \|/);
  // Deltas compare within each depth: each depth's baseline row has Δ = 0.
  const s = summary.slice(1).map((r) => Object.fromEntries(summary[0].map((h, i) => [h, r[i]])));
  for (const depth of ['1', '2']) {
    const rows = s.filter((r) => r['model.depth'] === depth);
    assert.equal(rows.length, 3);
    assert.equal(Number(rows.find((r) => r.method === 'baseline')!.last_acc_delta_vs_baseline), 0);
  }
  // The cosine-vs-depth plot: a line per arm, with CI bars over the two seeds.
  const plot = readFileSync(join(out, 'plots', 'oversmoothing-vs-model.depth-digits-none.svg'), 'utf8');
  assert.equal((plot.match(/<g class="series"/g) ?? []).length, 3);
  for (const arm of ['baseline', 'neutreno[lambda=0.2]', 'neutreno[lambda=0.6]']) assert.ok(plot.includes(`>${arm}<`), arm);
  assert.match(plot, /last-layer token cosine similarity vs model\.depth/);
  assert.ok(existsSync(join(out, 'plots', 'last-acc-vs-model.depth-digits-none.svg')), 'accuracy against the numeric axis, without asking');
  assert.ok(existsSync(join(out, 'plots', 'last-acc-vs-neutreno.lambda-digits-none-depth2.svg')), 'and against the swept option, per depth');
  // The claim is evaluated at depth 2 only, once per λ arm.
  const claims = readFileSync(join(out, 'claims.txt'), 'utf8');
  assert.match(claims, /neutreno\[lambda=0\.2\] < baseline, last-layer token cosine similarity, clean data, model\.depth = 2: /);
  assert.match(claims, /neutreno\[lambda=0\.6\] < baseline, last-layer token cosine similarity, clean data, model\.depth = 2: /);
  assert.doesNotMatch(claims, /model\.depth = 1/);

  // Growing the depth axis keeps every run: the grown plan has all old ids, so a new sweep runs only the new depth.
  const grown = JSON.parse((await runCli(['plan', cfg, '--set', SET, '--set', 'model.depth=[1, 2, 3]', '--json'])).stdout) as { runs: { id: string }[] };
  const grownIds = new Set(grown.runs.map((r) => r.id));
  assert.equal(grownIds.size, 18);
  for (const id of ids) assert.ok(grownIds.has(id));
  // `mixbench report` from the records alone rebuilds the same summary.
  const before = readFileSync(join(out, 'summary.csv'), 'utf8');
  const rebuilt = await runCli(['report', out]);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.equal(readFileSync(join(out, 'summary.csv'), 'utf8'), before);
});

test('--jobs defaults to one worker per core, as many as the free memory holds', () => {
  const GiB = 2 ** 30;
  assert.equal(defaultJobs(2, 19 * GiB), 2);
  assert.equal(defaultJobs(64, 20 * GiB), 10, 'memory bounds the count');
  assert.equal(defaultJobs(8, 1 * GiB), 1, 'never fewer than one');
  assert.equal(defaultJobs(1, 100 * GiB), 1);
});

test('--set errors name the flag; plan, validate and run refuse them with exit 2', async () => {
  const dir = tempDir();
  const cfg = writeAxisConfig(dir);
  for (const command of ['plan', 'validate', 'run']) {
    const r = await runCli([command, cfg, '--set', 'train.lr=fast', '--set', 'model.depth=[1, -2]']);
    assert.equal(r.code, 2, `${command}: ${r.stderr}`);
    assert.match(r.stderr, /^--set train\.lr=fast: train\.lr: expected a number, got the text "fast"$/m);
    assert.match(r.stderr, /^--set model\.depth=\[1, -2\]: model\.depth\[1\]: /m);
    assert.match(r.stderr, /2 problems found; nothing was run/);
  }
  const usage = await runCli(['plan', cfg, '--set', 'methods[7].alpha=1']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--set methods\[7\]\.alpha=1: methods has 2 entries \(methods\[0\] to methods\[1\]\)/);
  const noEq = await runCli(['plan', cfg, '--set', 'train.lr']);
  assert.match(noEq.stderr, /--set train\.lr: expected key=value/);
  // The plan-size limit: a flag, or the environment.
  const big = await runCli(['plan', cfg, '--set', 'seeds=6000']);
  assert.equal(big.code, 2);
  assert.match(big.stderr, /^--set seeds=6000: seeds: this plan has 24,000 runs .* --max-runs 24000/m);
  assert.equal((await runCli(['plan', cfg, '--set', 'seeds=6000', '--max-runs', '24000'])).code, 0);
  assert.equal((await runCli(['plan', cfg, '--set', 'seeds=6000'], { MIXBENCH_MAX_RUNS: '30000' })).code, 0);
  // MIXBENCH_SET: one override per line, checked like the flags; --set on the command line replaces it.
  const fromEnv = await runCli(['plan', cfg, '--json'], { MIXBENCH_SET: `${SET}\nmodel.depth=[1, 2, 3]\n` });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  const envPlan = JSON.parse(fromEnv.stdout) as { runs: { overrides?: string[] }[] };
  assert.equal(envPlan.runs.length, 3 * 3 * 2);
  assert.deepEqual(envPlan.runs[0].overrides, [SET, 'model.depth=[1, 2, 3]']);
  const flagWins = JSON.parse((await runCli(['plan', cfg, '--json', '--set', 'seeds=1'], { MIXBENCH_SET: SET })).stdout) as { runs: { overrides?: string[] }[] };
  assert.equal(flagWins.runs.length, 2 * 2 * 1);
  const badEnv = await runCli(['validate', cfg], { MIXBENCH_SET: 'train.lr=fast' });
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.stderr, /^--set train\.lr=fast: train\.lr: expected a number/m);
});
