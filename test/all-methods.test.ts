/**
 * configs/all-methods/: one config per bundled dataset kind (digits: images, letters: tabular rows, spam-subjects:
 * text; digits-cls: the image methods that need a class token) listing, between them, every method of the list that
 * acts on that data, each in a config whose network it accepts; `mixbench run` of each must complete with every run
 * ok. A method added to the list without being added to the configs of its data fails the first test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../src/config/load';
import { modalityOf } from '../src/data/spec';
import { METHODS } from '../src/methods/index';
import { CLI, tempDir } from './helpers';

const ROOT = join(__dirname, '..', '..');
const CONFIGS = ['digits', 'digits-cls', 'letters', 'spam-subjects'].map((n) => join(ROOT, 'configs', 'all-methods', `${n}.yaml`));

test('configs/all-methods list every method of the list on the data it acts on', () => {
  // Per data kind, every method that acts on it must be listed in one of that kind's configs whose network it accepts.
  const kinds = new Map<ReturnType<typeof modalityOf> & string, { file: string; listed: Set<string>; accepts: (m: (typeof METHODS)[number]) => boolean }[]>();
  for (const file of CONFIGS) {
    const exp = loadConfigFile(file);
    const modality = modalityOf(exp.datasets[0])!;
    const listed = new Set(exp.methods.flatMap((m) => m.parts.map((p) => p.method)));
    const accepts = (m: (typeof METHODS)[number]) => exp.grid.some(({ model }) => m.models.includes(model.type) && !m.checkModel({}, model));
    kinds.set(modality, [...(kinds.get(modality) ?? []), { file, listed, accepts }]);
  }
  for (const [modality, configs] of kinds) {
    const missing = METHODS.filter((m) => m.modalities.includes(modality) && !configs.some((c) => c.accepts(m) && c.listed.has(m.name))).map((m) => m.name);
    assert.deepEqual(missing, [], `${configs.map((c) => c.file).join(' or ')}: add ${missing.join(', ')}`);
  }
});

test('mixbench run of every all-methods config completes with every run ok (wasm, 1 epoch)', () => {
  for (const file of CONFIGS) {
    const out = tempDir('mixbench-all-methods-');
    const r = spawnSync(process.execPath, [CLI, 'run', file, '--backend', 'wasm', '-j', '2', '-o', out, '-q'], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
    assert.equal(r.status, 0, `${file}: exit ${r.status}\n${r.stderr}`);
    const [header, ...rows] = readFileSync(join(out, 'runs.csv'), 'utf8').trim().split('\n');
    const cols = header.split(',');
    const status = cols.indexOf('status');
    const method = cols.indexOf('method');
    assert.equal(rows.length, loadConfigFile(file).methods.length, `${file}: one run per method`);
    for (const row of rows) assert.equal(row.split(',')[status], 'ok', `${file}: ${row.split(',')[method]}`);
  }
});
