/** Reports from synthetic run records: summary statistics, the three formatters, plots, claims, `mixbench report`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, tempDir } from './helpers';
import { fakeRecord, noiseSweep } from './report-fixtures';
import { summarise } from '../src/report/summary';
import { toCsv, toLatex, toMarkdown } from '../src/report/format';
import { evaluateClaims, formatClaims } from '../src/report/claims';
import { accuracyVsNoisePlots, allPlots, curvePlots, oversmoothingPlots, oversmoothingRows } from '../src/report/plots';
import { resolveReport } from '../src/config/resolve';
import { formatSummaryText, runRows, summaryRows, RUN_COLUMNS } from '../src/report/tables';
import { writeReport } from '../src/report/write';
import { mean, pairedTTest, std, wilcoxonSignedRank } from '../src/report/stats';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import type { RunRecord } from '../src/core/record';

const GOLDEN = join(__dirname, '..', '..', 'test', 'golden', 'report');

/** Compare with a golden file; MIXBENCH_UPDATE_GOLDEN=1 rewrites it (review the diff). */
function golden(name: string, text: string): void {
  const p = join(GOLDEN, name);
  if (process.env.MIXBENCH_UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(p, text);
  }
  assert.equal(text, readFileSync(p, 'utf8'), `${name} differs from the golden file (MIXBENCH_UPDATE_GOLDEN=1 to accept)`);
}

const byKey = (rows: Record<string, unknown>[], noise: string, method: string) => rows.find((r) => r.noise === noise && r.method === method)!;

test('summary: statistics per (dataset, noise, method) over ok runs; the chosen metric names the comparison columns', () => {
  const recs = noiseSweep();
  recs.push(fakeRecord({ method: 'mixup', seed: 99, status: 'failed', curve: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1] }));
  const s = summarise(recs, resolveReport({ metric: 'last' }, []));
  assert.equal(s.metricColumn, 'last_acc');
  for (const c of ['acc_mean', 'acc_std', 'acc_se', 'acc_ci95_low', 'acc_ci95_high', 'last_acc_mean', 'last_acc_ci95_high', 'gap_mean',
    'test_nll_mean', 'ece_mean', 'acc_delta_vs_baseline', 'last_acc_delta_vs_baseline', 'last_acc_p_paired_t', 'last_acc_p_wilcoxon',
    'last_acc_rank', 'n_pairs', 'noise_type', 'noise_rate', 'memorisation_noisy_fit_mean', 'memorisation_true_fit_mean', 'last_layer_cosine_mean']) {
    assert.ok(s.columns.includes(c), `column ${c}`);
  }
  assert.equal(new Set(s.columns).size, s.columns.length, 'no duplicate columns');
  assert.equal(s.rows.length, 6);
  const none = byKey(s.rows, 'none', 'mixup');
  assert.equal(none.n, 6);
  assert.equal(none.n_failed, 1);
  assert.equal(none.noise_rate, 0);
  const mixup = recs.filter((r) => r.status === 'ok' && r.spec.method.name === 'mixup' && r.spec.noise.label === 'symmetric-0.4');
  const base = recs.filter((r) => r.spec.method.name === 'baseline' && r.spec.noise.label === 'symmetric-0.4');
  const row = byKey(s.rows, 'symmetric-0.4', 'mixup');
  assert.equal(row.noise_type, 'symmetric');
  assert.equal(row.noise_rate, 0.4);
  assert.equal(row.last_acc_mean, mean(mixup.map((r) => r.metrics!.lastAccuracy)));
  assert.equal(row.last_acc_std, std(mixup.map((r) => r.metrics!.lastAccuracy)));
  assert.ok(Math.abs((row.gap_mean as number) - 0.02) < 1e-9);
  assert.ok(Math.abs((byKey(s.rows, 'symmetric-0.4', 'baseline').gap_mean as number) - 0.12) < 1e-9);
  assert.ok(Math.abs((row.last_acc_delta_vs_baseline as number) - (mean(mixup.map((r) => r.metrics!.lastAccuracy))! - mean(base.map((r) => r.metrics!.lastAccuracy))!)) < 1e-12);
  // Paired by seed: the same p as the test on seed-ordered values.
  const a = [1, 2, 3, 4, 5, 6].map((k) => mixup.find((r) => r.spec.seed === k)!.metrics!.lastAccuracy);
  const b = [1, 2, 3, 4, 5, 6].map((k) => base.find((r) => r.spec.seed === k)!.metrics!.lastAccuracy);
  assert.equal(row.last_acc_p_paired_t, pairedTTest(a, b)!.p);
  assert.equal(row.last_acc_p_wilcoxon, wilcoxonSignedRank(a, b)!.p);
  assert.equal(row.n_pairs, 6);
  assert.equal(row.last_acc_rank, 1);
  assert.equal(byKey(s.rows, 'symmetric-0.4', 'baseline').last_acc_rank, 2);
  assert.equal(byKey(s.rows, 'symmetric-0.4', 'baseline').last_acc_p_paired_t, null);
  // median-last-k adds its own statistics; a single seed gives no std/CI.
  const m = summarise(recs, resolveReport({ metric: 'median-last-k', k: 3 }, []));
  assert.ok(m.columns.includes('median_last3_acc_mean') && m.columns.includes('median_last3_acc_p_paired_t'));
  const one = summarise([fakeRecord({ method: 'baseline', seed: 1, curve: [0.5, 0.7, 0.6] })], resolveReport());
  assert.equal(one.rows[0].acc_std, null);
  assert.equal(one.rows[0].acc_ci95_low, null);
  assert.equal(one.rows[0].acc_mean, 0.7);
});

test('median-last-k uses the last k epochs of the curve', () => {
  const r = fakeRecord({ method: 'baseline', seed: 1, curve: [0.9, 0.1, 0.5, 0.3, 0.4] });
  const s = summarise([r], resolveReport({ metric: 'median-last-k', k: 3 }, []));
  assert.equal(s.rows[0].median_last3_acc_mean, 0.4);
});

test('the report key changes no run id', () => {
  const base = 'name: ids\nseeds: [1, 2]\ndatasets: [digits]\nmethods: [baseline, mixup]\n';
  const a = planRuns(parseConfig(base, 'a.yaml')).runs.map((r) => r.id);
  const b = planRuns(parseConfig(`${base}report: {metric: median-last-k, k: 3}\nclaims:\n  - {better: mixup, than: baseline, metric: last}\n`, 'b.yaml')).runs.map((r) => r.id);
  assert.deepEqual(a, b);
  const exp = parseConfig(`${base}report: {metric: median-last-k, k: 3}\n`, 'c.yaml');
  assert.equal(exp.report.metric, 'median-last-k');
  assert.equal(exp.report.k, 3);
  assert.throws(() => parseConfig(`${base}report: {metric: mean}\n`, 'd.yaml'), /d\.yaml:5/);
});

test('Markdown and LaTeX come from the same rows; the best value per column and group is bold', () => {
  const s = summarise(noiseSweep(), resolveReport({ metric: 'last' }, []));
  const md = toMarkdown(s, 'synthetic');
  const tex = toLatex(s, 'synthetic');
  const mdRows = md.split('\n').filter((l) => l.startsWith('| digits'));
  assert.equal(mdRows.length, s.rows.length);
  // At 40% noise mixup has the higher last-epoch accuracy and the smaller gap: both bold on its row only.
  const mix40 = mdRows.find((l) => l.includes('symmetric-0.4 | mixup'))!;
  const base40 = mdRows.find((l) => l.includes('symmetric-0.4 | baseline'))!;
  assert.match(mix40, /\*\*86\.83 ± 0\.37\*\*/);
  assert.match(mix40, /\*\*2\.00\*\*/);
  assert.doesNotMatch(base40, /\*\*7\d\./);
  assert.match(tex, /\\toprule/);
  assert.match(tex, /\\textbf\{86\.83 \$\\pm\$ 0\.37\}/);
  assert.equal((tex.match(/\\addlinespace/g) ?? []).length, 2, 'a gap between the three noise groups');
  assert.match(md, /last-epoch accuracy/);
  golden('summary.md', md);
  golden('summary.tex', tex);
  golden('summary.csv', toCsv(s.rows, s.columns));
});

test('runs.csv keeps the foundation columns and adds noise and over-smoothing', () => {
  for (const c of ['run_id', 'dataset', 'method', 'seed', 'backend', 'status', 'epochs', 'best_acc', 'last_acc', 'best_epoch', 'test_nll', 'ece', 'train_seconds', 'samples_per_sec', 'noise_type', 'noise_rate']) {
    assert.ok((RUN_COLUMNS as readonly string[]).includes(c), c);
  }
  const rows = runRows(noiseSweep([1]));
  assert.equal(rows[0].noise_rate, 0);
  assert.ok(Math.abs((rows[0].last_layer_cosine as number) - 0.6 - 0.004) < 1e-9);
  // Compatible entry points.
  assert.equal(summaryRows(noiseSweep([1, 2]), resolveReport()).length, 6);
  assert.match(formatSummaryText(summaryRows(noiseSweep([1, 2]), resolveReport()), resolveReport()), /baseline/);
});

test('plots: one accuracy-vs-noise per dataset, curves and over-smoothing per (dataset, noise); deterministic SVG', () => {
  const recs = noiseSweep();
  const settings = resolveReport({ metric: 'last' }, []);
  const noisePlots = accuracyVsNoisePlots(recs, settings);
  assert.deepEqual(noisePlots.map((p) => p.file), ['accuracy-vs-noise-digits.svg']);
  const svg = noisePlots[0].svg;
  assert.equal((svg.match(/<g class="series"/g) ?? []).length, 2);
  assert.match(svg, />40</);
  assert.match(svg, /last-epoch accuracy vs symmetric noise/);
  assert.match(svg, /symmetric noise rate \(%\)/);
  // Label and input noise are separate plots, each with the clean point at rate 0.
  const mixed = [...recs, ...[1, 2].flatMap((seed) => ['baseline', 'mixup'].map((method) => fakeRecord({ method, seed, noise: { label: 'gaussian-0.2', type: 'gaussian', rate: 0.2 }, curve: [0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85] })))];
  const split = accuracyVsNoisePlots(mixed, settings);
  assert.deepEqual(split.map((p) => p.file), ['accuracy-vs-noise-digits-symmetric.svg', 'accuracy-vs-noise-digits-gaussian.svg']);
  assert.match(split[1].svg, /input noise std/);
  assert.equal((split[1].svg.match(/<path d="M[^"]*V/g) ?? []).length, 4, 'clean + gaussian points, two methods');
  assert.equal((svg.match(/<path d="M[^"]*V/g) ?? []).length, 6, 'an error bar per point');
  assert.ok(svg.startsWith('<svg') && svg.trim().endsWith('</svg>'));
  assert.equal(accuracyVsNoisePlots(recs, settings)[0].svg, svg, 'deterministic');
  golden('accuracy-vs-noise.svg', svg);
  assert.equal(curvePlots(recs).length, 3);
  assert.match(curvePlots(recs)[2].svg, /fill-opacity="0\.18"/, 'a ±std band');
  const os = oversmoothingPlots(recs);
  assert.equal(os.length, 3);
  assert.match(os[0].svg, /no CLS token/);
  const rows = oversmoothingRows(recs).filter((r) => r.noise === 'none' && r.method === 'baseline');
  assert.deepEqual(rows.map((r) => r.depth), [0, 1, 2]);
  assert.ok(Math.abs(rows[2].cosine_mean! - (0.6 + mean([1, 2, 3, 4, 5, 6].map((s) => ((s * 37) % 11) / 1000))!)) < 1e-12);
  // One clean noise level: no accuracy-vs-noise plot; one seed: no error bars and no band, still a plot.
  const single = [fakeRecord({ method: 'baseline', seed: 1, curve: [0.5, 0.6] })];
  assert.equal(accuracyVsNoisePlots(single, settings).length, 0);
  const curves = curvePlots(single);
  assert.equal(curves.length, 1);
  assert.doesNotMatch(curves[0].svg, /fill-opacity/);
  assert.equal(allPlots(single, settings).length, 1);
});

test('claims: holds, does not hold, not enough runs', () => {
  const recs = noiseSweep();
  const s = resolveReport({ metric: 'last' }, [
    { better: 'mixup', than: 'baseline', metric: 'last', noise: 0.4 },
    { better: 'mixup', than: 'baseline', metric: 'gap', noise: 0.4 },
    { better: 'baseline', than: 'mixup', metric: 'best', noise: 0 },
    { notWorse: 'baseline', than: 'mixup', metric: 'last', noise: 'none', margin: 0.05 },
    { notWorse: 'baseline', than: 'mixup', metric: 'last', noise: 'none', margin: 0.001 },
    { better: 'sam', than: 'baseline' },
    { better: 'mixup', than: 'baseline', metric: 'oversmoothing', noise: 0.2 },
  ]);
  const r = evaluateClaims(recs, s);
  assert.deepEqual(r.map((x) => x.verdict), ['holds', 'holds', 'does not hold', 'holds', 'does not hold', 'no matching runs', 'holds']);
  assert.match(r[0].text, /^mixup > baseline, last-epoch accuracy, 40% symmetric noise: \+0\.11\d, d_z \d+\.\d\d, p < 0\.001, Holm p < 0\.001 over 6 claims \(paired t\), 6 seeds — holds$/);
  assert.match(r[1].text, /^mixup < baseline, best − last accuracy gap/);
  // A lower-is-better claim prints Δ = A − B and its d_z with the same sign (here both negative: mixup's gap is smaller).
  assert.match(r[1].text, /: −\d\.\d{3}, d_z −(\d|∞)/);
  assert.equal(r[0].pairs, 6);
  // Three seeds: the t-test can decide; exact Wilcoxon cannot reach 0.05 with fewer than 6 pairs.
  const few = noiseSweep([1, 2, 3]);
  const claim = [{ better: 'mixup', than: 'baseline', metric: 'last' as const, noise: 0.4 }];
  assert.equal(evaluateClaims(few, resolveReport({}, claim))[0].verdict, 'holds');
  const w = evaluateClaims(few, resolveReport({ test: 'wilcoxon' }, claim))[0];
  assert.equal(w.verdict, 'not enough runs');
  assert.match(w.text, /not enough runs$/);
  assert.equal(evaluateClaims(noiseSweep([1]), resolveReport({}, claim))[0].verdict, 'not enough runs');
  // Without a noise filter, a claim is checked in every (dataset, noise) cell.
  assert.equal(evaluateClaims(recs, resolveReport({}, [{ better: 'mixup', than: 'baseline' }])).length, 3);
  assert.match(formatClaims(r), /4 hold, 2 do not hold, 0 inconclusive, 1 without enough runs/);
  // Records of two experiments (e.g. two depths in one output directory): one verdict each, named by experiment.
  const two = [...noiseSweep([1, 2, 3]), ...noiseSweep([1, 2, 3]).map((x) => ({ ...x, spec: { ...x.spec, experiment: 'other' } }))];
  const both = evaluateClaims(two, resolveReport({}, claim));
  assert.deepEqual(both.map((x) => x.experiment), ['synthetic', 'other']);
  assert.match(both[1].text, /^mixup > baseline, last-epoch accuracy, other, 40% symmetric noise/);
});

function writeRecords(dir: string, records: RunRecord[]): void {
  for (const r of records) {
    mkdirSync(join(dir, 'runs', r.id), { recursive: true });
    writeFileSync(join(dir, 'runs', r.id, 'result.json'), JSON.stringify(r));
    writeFileSync(join(dir, 'runs', r.id, 'done'), `${r.status}\n`);
  }
}

test('writeReport writes every table and plot; mixbench report rebuilds them from the records alone', () => {
  const dir = tempDir();
  const recs = noiseSweep([1, 2, 3]);
  const settings = resolveReport({ metric: 'last' }, [{ better: 'mixup', than: 'baseline', metric: 'last', noise: 0.4 }]);
  const files = writeReport(dir, recs, settings, { saveSettings: true }).paths;
  for (const f of ['runs.csv', 'summary.csv', 'summary.md', 'summary.tex', 'oversmoothing.csv', 'claims.txt', 'report.json', 'plots/accuracy-vs-noise-digits.svg']) {
    assert.ok(files.includes(join(dir, f)), f);
  }
  const first = Object.fromEntries(files.map((f) => [f, readFileSync(f, 'utf8')]));
  writeRecords(dir, recs);
  // report.json carries the config's metric and claims: `mixbench report` reproduces every file byte for byte.
  const out = execFileSync(process.execPath, [CLI, 'report', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  for (const f of files) assert.equal(readFileSync(f, 'utf8'), first[f], f);
  assert.match(out, /mixup > baseline, last-epoch accuracy, 40% symmetric noise: \+0\.1\d\d, d_z \d+\.\d\d, p [<=] 0\.\d{3} \(paired t\), 3 seeds — holds/);
  // Another statistic on the command line renames the comparison columns.
  execFileSync(process.execPath, [CLI, 'report', dir, '--metric', 'median-last-k', '-k', '3'], { stdio: 'ignore' });
  assert.match(readFileSync(join(dir, 'summary.csv'), 'utf8').split('\n')[0], /median_last3_acc_p_paired_t/);
  const bad = spawnSync(process.execPath, [CLI, 'report', dir, '--metric', 'mean'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--metric must be one of/);
  const empty = spawnSync(process.execPath, [CLI, 'report', tempDir()], { encoding: 'utf8' });
  assert.equal(empty.status, 2);
  assert.ok(existsSync(join(dir, 'plots', 'oversmoothing-digits-none.svg')));
  // A second experiment joins the directory: plot names gain the experiment, and the old names are removed.
  writeRecords(dir, noiseSweep([1, 2]).map((x) => ({ ...x, id: `${x.id}-other`, spec: { ...x.spec, id: `${x.spec.id}-other`, experiment: 'other' } })));
  execFileSync(process.execPath, [CLI, 'report', dir], { stdio: 'ignore' });
  assert.ok(existsSync(join(dir, 'plots', 'other-oversmoothing-digits-none.svg')));
  assert.ok(existsSync(join(dir, 'plots', 'synthetic-oversmoothing-digits-none.svg')));
  assert.ok(!existsSync(join(dir, 'plots', 'oversmoothing-digits-none.svg')));
  assert.match(readFileSync(join(dir, 'summary.csv'), 'utf8').split('\n')[0], /^experiment,dataset/);
});

test('svg helpers: nice ticks cover the data with 1/2/5 steps; XML is escaped', async () => {
  const { niceTicks, wrap, lineChart } = await import('../src/report/svg');
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(75.4, 99.8), [75, 80, 85, 90, 95, 100]);
  assert.deepEqual(niceTicks(0.2, 0.6), [0.2, 0.3, 0.4, 0.5, 0.6]);
  const flat = niceTicks(5, 5);
  assert.ok(flat[0] < 5 && flat[flat.length - 1] > 5, 'a constant series still gets a range');
  assert.deepEqual(wrap('a bb ccc dddd eeeee', 8), ['a bb ccc', 'dddd', 'eeeee']);
  const svg = lineChart({ title: 'a<b & "c"', xLabel: 'x', yLabel: 'y', series: [{ name: 'm<1>', points: [{ x: 0, y: 1 }, { x: 1, y: 2 }] }] });
  assert.match(svg, /a&lt;b &amp; &quot;c&quot;/);
  assert.match(svg, /m&lt;1&gt;/);
  assert.doesNotMatch(svg, /NaN|undefined/);
});
