/**
 * The sweep's incremental report: after every finished run, the ReportWriter (one cache for the whole sweep) must
 * produce exactly what a report built from scratch produces, and rewrite only the files whose content changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { resolveReport } from '../src/config/resolve';
import type { RunRecord } from '../src/core/record';
import { buildReport } from '../src/report/tables';
import { orbitReader, ReportWriter } from '../src/report/write';
import { tempDir } from './helpers';
import { fakeRecord, noiseSweep } from './report-fixtures';

test('incremental report = report from scratch after every finished run, also when a run is redone', () => {
  const dir = tempDir();
  const settings = resolveReport({ metric: 'median-last-k', k: 3 }, [{ better: 'mixup', than: 'baseline', noise: 0.4 }]);
  const all = noiseSweep([1, 2, 3, 4]);
  // Runs finish out of plan order; one run first fails, then its retry succeeds (a new record for the same id).
  const order = all.map((_, i) => (i * 7) % all.length);
  const failed = fakeRecord({ method: 'mixup', seed: 2, noise: { label: 'symmetric-0.2', type: 'symmetric', rate: 0.2 }, curve: [0.3], status: 'failed' });
  const writer = new ReportWriter(dir, settings, { saveSettings: true });
  const done = new Map<string, RunRecord>();
  const steps: RunRecord[] = [];
  for (const i of order) {
    const r = all[i];
    if (r.id === failed.id) steps.push(failed);
    steps.push(r);
  }
  assert.ok(steps.includes(failed));
  for (const r of steps) {
    done.set(r.id, r);
    // The sweep's tables list its records in plan order.
    const records = all.map((x) => done.get(x.id)).filter((x): x is RunRecord => !!x);
    const incremental = writer.write(records);
    const scratch = buildReport(records, settings, orbitReader([dir]));
    assert.deepEqual(incremental.files, scratch.files, `after ${records.length} records`);
    assert.equal(incremental.claims, scratch.claims);
  }
  // Unchanged content is not rewritten; changed content is.
  const records = all;
  const summary = join(dir, 'summary.csv');
  const runs = join(dir, 'runs.csv');
  const before = { summary: statSync(summary).mtimeMs, runs: statSync(runs).mtimeMs };
  const wait = Date.now() + 20;
  while (Date.now() < wait) {
    // let the clock move so that a rewrite would show in mtime
  }
  writer.write(records);
  assert.equal(statSync(summary).mtimeMs, before.summary, 'unchanged summary not rewritten');
  const renamed = records.map((r, i) => (i === 0 ? { ...r, error: null, environment: { ...r.environment, backend: 'wasm' } } : r));
  writer.write(renamed);
  assert.notEqual(statSync(runs).mtimeMs, before.runs, 'runs.csv rewritten when a row changed');
  assert.equal(statSync(summary).mtimeMs, before.summary, 'the summary does not show the backend');
});
