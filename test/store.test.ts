/**
 * The run record on disk: parsed through its schema and version. A record of an older version whose computation
 * has changed since (text runs before version 2's weight-decay fix) is stale: a resumed sweep redoes it under the
 * same run id, `mixbench report` leaves it out with a note; a newer or foreign record is never misread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordFormat, RECORD_VERSION, type RunRecord } from '../src/core/record';
import { inspectRunDir, runDir, runsWithoutRecord, writeRunRecord } from '../src/store/records';
import { collectMerged } from '../src/store/merge';
import { fakeRecord } from './report-fixtures';
import { CLI, tempDir } from './helpers';
import { runCli } from './sweep-util';

function textRecord(weightDecay: number): RunRecord {
  const r = fakeRecord({ method: 'baseline', seed: 1, curve: [0.6, 0.7], dataset: 'spam-subjects' });
  return { ...r, spec: { ...r.spec, train: { ...r.spec.train, weightDecay } } };
}

function write(dir: string, r: RunRecord, format: string): string {
  writeRunRecord(dir, { ...r, format });
  return runDir(dir, r.id);
}

test('records are read through their schema and version', () => {
  const dir = tempDir();
  const old = recordFormat(1);
  const image = fakeRecord({ method: 'baseline', seed: 1, curve: [0.6, 0.7] });
  assert.equal(inspectRunDir(write(dir, image, old), image.id).state, 'complete', 'version 1 image runs are unchanged by version 2');
  const text = textRecord(0.05);
  const stale = inspectRunDir(write(dir, text, old), text.id);
  assert.equal(stale.state, 'stale');
  assert.match((stale as { reason: string }).reason, /version 2.*token-embedding table/);
  assert.equal(inspectRunDir(write(dir, text, recordFormat()), text.id).state, 'complete');
  const undecayed = { ...textRecord(0), id: 'spam-wd0', spec: { ...textRecord(0).spec, id: 'spam-wd0' } };
  assert.equal(inspectRunDir(write(dir, undecayed, old), undecayed.id).state, 'complete', 'no weight decay: nothing changed');
  assert.equal(inspectRunDir(write(dir, image, `mixbench-run/${RECORD_VERSION + 1}`), image.id).state, 'newer');
  assert.equal(inspectRunDir(write(dir, image, 'someone-else/1'), image.id).state, 'foreign');
  const broken = { ...image, metrics: { ...image.metrics!, bestEpoch: 'two' } } as unknown as RunRecord;
  const bad = inspectRunDir(write(dir, broken, recordFormat()), image.id);
  assert.equal(bad.state, 'unreadable');
  assert.match((bad as { reason: string }).reason, /metrics\.bestEpoch/);
  rmSync(join(runDir(dir, image.id), 'done'));
  assert.equal(inspectRunDir(runDir(dir, image.id), image.id).state, 'incomplete');
  assert.equal(inspectRunDir(runDir(dir, 'nosuch'), 'nosuch').state, 'missing');
  // Merging directories: unusable records are counted by what they are.
  writeRunRecord(dir, image);
  const merged = collectMerged([dir]);
  assert.deepEqual(merged.records.map((r) => r.id).sort(), [image.id, text.id, undecayed.id].sort());
  write(dir, text, old);
  const again = collectMerged([dir]);
  assert.ok(again.notes.some((n) => /skipped 1 record made before a change of what its run computes/.test(n)), again.notes.join('\n'));
});

test('a resumed sweep redoes stale text runs under the same id, keeps valid old image runs, and refuses newer records', async () => {
  const dir = tempDir();
  const config = join(dir, 'v.yaml');
  const out = join(dir, 'out');
  writeFileSync(config, `name: versions
seeds: [1]
datasets: [{name: digits, limit: 96}, {name: spam-subjects, limit: 96, maxLength: 8}]
methods: [baseline]
model: {dim: 16, depth: 1, heads: 2, mlpDim: 32}
train: {epochs: 1, batchSize: 32}
backend: cpu
output: ${out}
`);
  const first = await runCli(['run', config, '--json', '-q']);
  assert.equal(first.code, 0, first.stderr);
  const ids = first.events.filter((e) => e.type === 'run_started').map((e) => String(e.id));
  const textId = ids.find((id) => id.startsWith('spam-subjects'))!;
  const imageId = ids.find((id) => id.startsWith('digits'))!;
  const asVersion1 = (id: string) => {
    const p = join(out, 'runs', id, 'result.json');
    writeFileSync(p, readFileSync(p, 'utf8').replace(`"format": "${recordFormat()}"`, `"format": "${recordFormat(1)}"`));
    writeFileSync(join(out, 'runs', id, 'done'), 'ok\n'); // as mixbench wrote it then: the status only, no hash
  };
  asVersion1(textId);
  asVersion1(imageId);
  const report = spawnSync(process.execPath, [CLI, 'report', out], { encoding: 'utf8' });
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stderr, /skipped 1 record made before a change/);
  assert.doesNotMatch(readFileSync(join(out, 'runs.csv'), 'utf8'), /spam-subjects/);

  const resumed = await runCli(['run', config, '--json', '-q']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(resumed.events.filter((e) => e.type === 'run_started').map((e) => e.id), [textId], 'only the stale text run is redone, under its id');
  assert.ok(resumed.events.some((e) => e.type === 'notice' && /redoing 1 run recorded before a change/.test(String(e.message))));
  assert.equal(JSON.parse(readFileSync(join(out, 'runs', textId, 'result.json'), 'utf8')).format, recordFormat());
  assert.equal(JSON.parse(readFileSync(join(out, 'runs', imageId, 'result.json'), 'utf8')).format, recordFormat(1), 'the valid old record is kept');

  const p = join(out, 'runs', imageId, 'result.json');
  writeFileSync(p, readFileSync(p, 'utf8').replace(`"format": "${recordFormat(1)}"`, `"format": "mixbench-run/${RECORD_VERSION + 1}"`));
  const refused = await runCli(['run', config, '--json', '-q']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /written by a newer mixbench/);
});

test('runsWithoutRecord: the runs a sweep will train (no done marker), every run with force', () => {
  const dir = tempDir('mixbench-store-pending-');
  const records = [1, 2, 3].map((seed) => fakeRecord({ method: 'baseline', seed, curve: [0.5, 0.6] }));
  writeRunRecord(dir, records[1]);
  const specs = records.map((r) => r.spec);
  assert.deepEqual(runsWithoutRecord(dir, specs).map((r) => r.seed), [1, 3]);
  assert.deepEqual(runsWithoutRecord(dir, specs, true).map((r) => r.seed), [1, 2, 3]);
  rmSync(join(runDir(dir, records[1].id), 'done'));
  assert.equal(runsWithoutRecord(dir, specs).length, 3, 'a record without its done marker is unfinished');
});
