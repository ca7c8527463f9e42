import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, PACKAGE_ROOT } from '../src/data/load';
import { builtinDataset } from '../src/data/catalog';
import { stratifiedSplit, stratifiedSubset } from '../src/data/split';
import { buildVocabulary, encodeTexts, words } from '../src/data/tokenize';

const SEED = 20240601;

function counts(y: Int32Array, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  for (const v of y) c[v]++;
  return c;
}

test('letters: 20,000 × 16, 26 classes, stratified 80/20 split, features standardised with training statistics', () => {
  const ds = loadDataset({ name: 'letters' }, SEED);
  assert.equal(ds.modality, 'tabular');
  assert.deepEqual(ds.shape, [16]);
  assert.equal(ds.numClasses, 26);
  assert.equal(ds.train.n + ds.test.n, 20000);
  assert.equal(ds.classNames![0], 'A');
  assert.equal(ds.classNames![25], 'Z');
  const all = counts(ds.train.y, 26).map((c, k) => c + counts(ds.test.y, 26)[k]);
  counts(ds.test.y, 26).forEach((c, k) => assert.equal(c, Math.round(all[k] * 0.2), `class ${k}`));
  for (let j = 0; j < 16; j++) {
    let m = 0;
    let v = 0;
    for (let i = 0; i < ds.train.n; i++) m += ds.train.x[i * 16 + j];
    m /= ds.train.n;
    for (let i = 0; i < ds.train.n; i++) v += (ds.train.x[i * 16 + j] - m) ** 2;
    assert.ok(Math.abs(m) < 1e-4, `feature ${j} mean ${m}`);
    assert.ok(Math.abs(Math.sqrt(v / ds.train.n) - 1) < 1e-3, `feature ${j} std`);
  }
  // Test rows use the training statistics: their mean is near 0 but not exactly.
  let tm = 0;
  for (let i = 0; i < ds.test.n; i++) tm += ds.test.x[i * 16];
  assert.ok(Math.abs(tm / ds.test.n) > 1e-6 && Math.abs(tm / ds.test.n) < 0.1);
  // The first source row "T,2,8,3,5,1,..." is in one of the splits, standardised.
  const again = loadDataset({ name: 'letters' }, SEED);
  assert.deepEqual(again.train.y, ds.train.y);
  assert.deepEqual(again.test.x, ds.test.x);
  const other = loadDataset({ name: 'letters' }, SEED + 1);
  assert.notDeepEqual(other.test.y, ds.test.y);
});

test('spam-subjects: de-duplicated, leading list tags stripped, Re: kept, documented size and balance', () => {
  const text = gunzipSync(readFileSync(join(PACKAGE_ROOT, builtinDataset('spam-subjects')!.file))).toString('utf8');
  const rows = text.split('\n').slice(1).filter((l) => l !== '').map((l) => l.split('\t'));
  assert.equal(rows.length, 4146);
  assert.equal(rows.filter((r) => r[0] === '0').length, 2484);
  assert.equal(rows.filter((r) => r[0] === '1').length, 1662);
  const subjects = rows.map((r) => r[1]);
  assert.equal(new Set(subjects.map((s) => s.toLowerCase())).size, subjects.length, 'duplicates left');
  assert.ok(!subjects.some((s) => /^((re|fwd?)\s*:\s*)*\[(ILUG|SAtalk|zzzzteana|Razor-users|Spambayes)[^\]]*\]/i.test(s)), 'a leading list tag is left');
  assert.ok(subjects.some((s) => s.startsWith('Re: ')), 'Re: prefixes are kept');

  const ds = loadDataset({ name: 'spam-subjects', maxLength: 16 }, SEED);
  assert.equal(ds.modality, 'text');
  assert.deepEqual(ds.shape, [16]);
  assert.equal(ds.train.n + ds.test.n, 4146);
  assert.ok(ds.vocabSize! > 1000 && ds.vocabulary![0] === '<pad>' && ds.vocabulary![1] === '<oov>');
  // Vocabulary from the training split only: some test tokens are OOV, none of the training tokens is.
  const ids = (x: Float32Array) => Array.from(x);
  assert.ok(!ids(ds.train.x).includes(1));
  assert.ok(ids(ds.test.x).includes(1));
  // Every row starts with a real token and pads with 0 at the end only.
  for (let i = 0; i < ds.train.n; i++) {
    const row = ds.train.x.subarray(i * 16, (i + 1) * 16);
    assert.ok(row[0] !== 0, `row ${i} is empty`);
    const firstPad = row.indexOf(0);
    if (firstPad >= 0) assert.ok(row.subarray(firstPad).every((v) => v === 0));
  }
});

test('tokenizer: lower-cased words and punctuation, PAD 0, OOV 1, vocabulary by frequency from the training texts', () => {
  assert.deepEqual(words("Re: FREE $$$ don't wait!"), ['re', ':', 'free', '$', '$', '$', "don't", 'wait', '!']);
  const v = buildVocabulary(['b a a', 'a c'], 4);
  assert.deepEqual(v.words, ['<pad>', '<oov>', 'a', 'b']);
  const e = encodeTexts(['a c b', 'b b b b b'], v, 3);
  assert.deepEqual(Array.from(e.x), [2, 1, 3, 3, 3, 3]);
  assert.equal(e.oovTokens, 1);
  assert.equal(e.truncated, 1);
});

test('stratified split and subset: deterministic by seed, per-class proportions, exact subset size', () => {
  const y = Int32Array.from({ length: 1000 }, (_, i) => (i < 700 ? 0 : i < 950 ? 1 : 2));
  const a = stratifiedSplit(y, 0.2, 7);
  assert.deepEqual(a, stratifiedSplit(y, 0.2, 7));
  assert.notDeepEqual(a.test, stratifiedSplit(y, 0.2, 8).test);
  assert.deepEqual(counts(Int32Array.from(a.test, (i) => y[i]), 3), [140, 50, 10]);
  const s = stratifiedSubset(y, 101, 3);
  assert.equal(s.length, 101);
  assert.deepEqual(counts(Int32Array.from(s, (i) => y[i]), 3), [71, 25, 5]);
  assert.deepEqual(s, stratifiedSubset(y, 101, 3));
  assert.equal(new Set(s).size, 101);
});

test('digits keeps its split; trainFraction / trainSize / limit subsets are stratified and seeded', () => {
  const ds = loadDataset({ name: 'digits' }, SEED);
  assert.equal(ds.train.n, 1438);
  assert.equal(ds.test.n, 359);
  const half = loadDataset({ name: 'digits', trainFraction: 0.5 }, SEED);
  assert.equal(half.train.n, 719);
  assert.deepEqual(half.test.y, ds.test.y, 'the test split does not change');
  const full = counts(ds.train.y, 10);
  counts(half.train.y, 10).forEach((c, k) => assert.ok(Math.abs(c - full[k] / 2) <= 1, `class ${k}: ${c} of ${full[k]}`));
  const small = loadDataset({ name: 'digits', trainSize: 100 }, SEED);
  assert.equal(small.train.n, 100);
  counts(small.train.y, 10).forEach((c, k) => assert.ok(Math.abs(c - (100 * full[k]) / 1438) < 1, `class ${k}`));
  const lim = loadDataset({ name: 'letters', limit: 500 }, SEED);
  assert.equal(lim.train.n, 500);
  assert.equal(lim.test.n, 500);
});

test('the csv and text loaders on real data: letters and spam-subjects as user files load exactly like the built-ins', () => {
  const { writeFileSync } = require('node:fs') as typeof import('node:fs');
  const { tempDir } = require('./helpers') as typeof import('./helpers');
  const dir = tempDir();
  const csv = join(dir, 'letters.csv');
  writeFileSync(csv, gunzipSync(readFileSync(join(PACKAGE_ROOT, 'datasets', 'letters.csv.gz'))));
  const a = loadDataset({ name: 'mine', format: 'csv', path: csv, label: 'lettr' }, SEED);
  const b = loadDataset({ name: 'letters' }, SEED);
  assert.deepEqual(a.train.y, b.train.y);
  assert.deepEqual(a.test.x, b.test.x);
  const t = loadDataset({ name: 'mine', format: 'text', path: join(PACKAGE_ROOT, 'datasets', 'spam-subjects.tsv.gz'), text: 'subject', maxLength: 16 }, SEED);
  const s = loadDataset({ name: 'spam-subjects', maxLength: 16 }, SEED);
  assert.deepEqual(t.train.x, s.train.x);
  assert.equal(t.vocabSize, s.vocabSize);
});
