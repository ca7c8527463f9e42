/**
 * The statistics the report shows, end to end on synthetic records: Holm columns in the summary (family = the
 * comparisons with the baseline in one cell), d_z, MDD and seeds; claims judged as one Holm family per experiment with
 * "inconclusive" verdicts; the pure page builder (escaping, determinism, no external resources).
 */
import { test } from 'node:test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers';
import { writeReport } from '../src/report/write';
import assert from 'node:assert/strict';
import { fakeRecord, noiseSweep } from './report-fixtures';
import { summarise } from '../src/report/summary';
import { evaluateClaims, formatClaims } from '../src/report/claims';
import { resolveReport } from '../src/config/resolve';
import { runRows } from '../src/report/tables';
import { allPlots } from '../src/report/plots';
import { reportPage, runOverrides, sortKey } from '../src/report/page';
import { holmAdjust, minimumDetectableDifference, pairedDifferences, pairedTTest, seedsNeeded, std } from '../src/report/stats';
import type { RunRecord } from '../src/core/record';

/** baseline, mixup and a third arm `sam` on clean digits, 4 seeds; sam is a little worse with noisy pairs. */
function threeArms(): RunRecord[] {
  const recs = noiseSweep([1, 2, 3, 4]).filter((r) => r.spec.noise.label === 'none');
  for (const seed of [1, 2, 3, 4]) {
    const wobble = [0.004, -0.011, 0.007, -0.002][seed - 1];
    // 8 epochs like the other arms: runs trained for another number of epochs would be another cell (a train.epochs axis).
    recs.push(fakeRecord({ method: 'sam', seed, curve: [0.7, 0.75, 0.8, 0.82, 0.85, 0.88, 0.9, 0.93 + wobble + ((seed * 37) % 11) / 1000] }));
  }
  return recs;
}

const lastOf = (recs: RunRecord[], method: string) =>
  [1, 2, 3, 4].map((s) => recs.find((r) => r.spec.method.name === method && r.spec.seed === s)!.metrics!.lastAccuracy);

test('summary: Holm over the cell\'s comparisons with the baseline, d_z, paired SD, MDD and seeds for Δ', () => {
  const recs = threeArms();
  const s = summarise(recs, resolveReport({ metric: 'last' }, []));
  const row = (m: string) => s.rows.find((r) => r.method === m)!;
  const base = lastOf(recs, 'baseline');
  const pMix = pairedTTest(lastOf(recs, 'mixup'), base)!.p;
  const pSam = pairedTTest(lastOf(recs, 'sam'), base)!.p;
  const [hMix, hSam] = holmAdjust([pMix, pSam]);
  assert.equal(row('mixup').last_acc_p_paired_t, pMix);
  assert.equal(row('mixup').last_acc_p_paired_t_holm, hMix);
  assert.equal(row('sam').last_acc_p_paired_t_holm, hSam);
  assert.ok(hMix! > pMix && hSam! >= pSam, 'adjusted p is never smaller');
  assert.equal(row('baseline').last_acc_p_paired_t_holm, null);
  const d = pairedDifferences(lastOf(recs, 'sam'), base);
  const sd = std(d)!;
  assert.ok(Math.abs((row('sam').last_acc_diff_sd as number) - sd) < 1e-15);
  assert.ok(Math.abs((row('sam').last_acc_cohen_dz as number) - d.reduce((a, b) => a + b, 0) / 4 / sd) < 1e-12);
  assert.equal(row('sam').last_acc_mdd80, minimumDetectableDifference(4, sd, { alpha: 0.05 }));
  assert.equal(row('sam').last_acc_seeds80, seedsNeeded((row('sam').last_acc_cohen_dz as number), { alpha: 0.05 }));
  for (const c of ['last_acc_p_paired_t_holm', 'last_acc_p_wilcoxon_holm', 'last_acc_cohen_dz', 'last_acc_diff_sd', 'last_acc_mdd80', 'last_acc_seeds80']) {
    assert.ok(s.columns.includes(c), c);
  }
  // The family is the cell: with the sam arm in another cell, mixup's p would stay unadjusted.
  const alone = summarise(recs.filter((r) => r.spec.method.name !== 'sam'), resolveReport({ metric: 'last' }, []));
  assert.equal(alone.rows.find((r) => r.method === 'mixup')!.last_acc_p_paired_t_holm, pMix);
});

test('claims: one Holm family per experiment; a miss is "inconclusive" when the experiment could not detect the effect', () => {
  const recs = noiseSweep([1, 2, 3]);
  const claims = [
    { better: 'mixup', than: 'baseline', metric: 'last' as const, noise: 0.4 },
    { better: 'baseline', than: 'mixup', metric: 'best' as const, noise: 0 },
    { better: 'mixup', than: 'baseline', metric: 'oversmoothing' as const, noise: 0.2, effect: 0.5 },
    { notWorse: 'mixup', than: 'baseline', metric: 'best' as const, noise: 0.2, margin: 0.001 },
  ];
  const r = evaluateClaims(recs, resolveReport({}, claims));
  const raw = r.map((c) => c.p);
  assert.deepEqual(r.map((c) => c.pAdjusted), holmAdjust(raw));
  assert.ok(r.every((c) => c.family === 4));
  assert.equal(r[0].verdict, 'holds');
  assert.equal(r[1].verdict, 'does not hold', 'baseline is significantly worse: the claim is refuted');
  assert.equal(r[3].judgement!.seedsFor, 'margin');
  assert.match(r[0].text, /Holm p [<=] 0\.\d+ over 4 claims/);
  // Two experiments: two families of 4, adjusted separately.
  const two = [...recs, ...recs.map((x) => ({ ...x, spec: { ...x.spec, experiment: 'other' } }))];
  const both = evaluateClaims(two, resolveReport({}, claims));
  assert.equal(both.length, 8);
  assert.ok(both.every((c) => c.family === 4));
  // A "does not hold" that only lacks power: 3 seeds cannot detect the paper's 1 point here; 40 points they can.
  const noisy = noiseSweep([1, 2, 3]).map((x) => x.spec.method.name === 'mixup' && x.spec.noise.label === 'none'
    ? { ...x, metrics: { ...x.metrics!, bestAccuracy: x.metrics!.bestAccuracy - 0.0135 + [0.02, -0.03, 0.01][x.spec.seed - 1] } } : x);
  const small = evaluateClaims(noisy, resolveReport({}, [{ better: 'mixup', than: 'baseline', metric: 'best' as const, noise: 0, effect: 0.01 }]))[0];
  assert.ok(small.p! > 0.05);
  assert.equal(small.verdict, 'inconclusive');
  assert.ok(small.judgement!.mdd! > 0.01);
  assert.match(small.text, /could not have detected it; \d+ seeds would — inconclusive$/);
  const large = evaluateClaims(noisy, resolveReport({}, [{ better: 'mixup', than: 'baseline', metric: 'best' as const, noise: 0, effect: 0.4 }]))[0];
  assert.equal(large.verdict, 'does not hold');
  assert.match(formatClaims([small, large]), /0 hold, 1 do not hold, 1 inconclusive, 0 without enough runs/);
});

test('report page: pure, deterministic, escaped, self-contained; sort keys; run overrides', () => {
  const recs = noiseSweep([1, 2, 3]).map((r) => (r.spec.method.name === 'mixup' ? { ...r, spec: { ...r.spec, method: { ...r.spec.method, name: 'mix<up>&"' } } } : r));
  const settings = resolveReport({ metric: 'last' }, [{ better: 'mix<up>&"', than: 'baseline', metric: 'last', noise: 0.4 }]);
  const input = () => ({
    title: 'demo <b>', summary: summarise(recs, settings), claims: evaluateClaims(recs, settings), plots: allPlots(recs, settings),
    records: recs, runs: runRows(recs), links: Object.fromEntries(recs.map((r) => [r.id, `runs/${r.id}/result.json`])),
  });
  const html = reportPage(input());
  assert.equal(reportPage(input()), html, 'same inputs, same bytes');
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.doesNotMatch(html, /mix<up>/, 'names are escaped');
  assert.match(html, /mix&lt;up&gt;&amp;&quot;/);
  assert.match(html, /<title>demo &lt;b&gt; — mixbench report<\/title>/);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no external resources');
  assert.doesNotMatch(html.replace(/<script[\s\S]*?<\/script>/g, ''), /NaN|undefined/, 'no unformatted values');
  for (const id of ['summary', 'claims', 'plots', 'runs', 'sweep', 'statistics']) assert.match(html, new RegExp(`<section id="${id}">`));
  assert.equal((html.match(/<table class="sortable summary"/g) ?? []).length, 3);
  assert.equal((html.match(/<figure class="plot"/g) ?? []).length, input().plots.length);
  assert.equal((html.match(/<tr data-run=/g) ?? []).length, recs.length);
  assert.match(html, /Holm/);
  assert.match(html, /inconclusive/);
  // Sort keys of displayed cells.
  assert.equal(sortKey('<0.001'), 0.0005);
  assert.equal(sortKey('−1.25'), -1.25);
  assert.equal(sortKey('+0.30'), 0.3);
  assert.equal(sortKey('95.20 ± 1.10'), 95.2);
  assert.equal(sortKey('>100000'), Infinity);
  assert.equal(sortKey('–'), undefined);
  assert.deepEqual(runOverrides(['run', 'c.yaml', '--backend', 'wasm', '-o', 'x', '--only=method=mixup', '-j', '2'], { MIXBENCH_SHARD: '1/2' }), [
    'backend = wasm (command line)', 'output = x (command line)', 'only = method=mixup (command line)', 'MIXBENCH_SHARD=1/2 (environment)',
  ]);
});

test('report.html from merged directories links each run into the directory that holds it; sweep.json is shown', () => {
  const root = tempDir();
  const recs = noiseSweep([1, 2]);
  const [a, b, out] = ['shard-a', 'shard-b', 'merged'].map((d) => join(root, d));
  recs.forEach((r, i) => {
    const dir = join(i % 2 ? b : a, 'runs', r.id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'result.json'), JSON.stringify(r));
    writeFileSync(join(dir, 'done'), 'ok\n');
  });
  writeFileSync(join(a, 'sweep.json'), JSON.stringify({ config: 'c.yaml', configText: 'name: from-shard-a\n', command: ['run', 'c.yaml', '--shard', '1/2'], overrides: ['shard = 1/2 (command line)'] }));
  writeReport(out, recs, resolveReport({}, []), { sourceDirs: [a, b] });
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  recs.forEach((r, i) => assert.ok(html.includes(`href="../${i % 2 ? 'shard-b' : 'shard-a'}/runs/${r.id}/result.json"`), r.id));
  assert.match(html, /name: from-shard-a/);
  assert.match(html, /shard = 1\/2 \(command line\)/);
});
