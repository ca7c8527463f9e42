/**
 * Property: the loaders of users' files (CSV/TSV tables, labelled texts, IDX pairs, CIFAR batches, gzipped or not)
 * never crash on random, mutated or truncated files. Each file is either loaded into a sound dataset (shapes agree,
 * labels in range, features finite, at least two classes) or refused with a ConfigError naming the file and the place
 * (a line, a byte offset or record, or the file as a whole for whole-file problems). A sample goes through the CLI
 * (`mixbench datasets describe`). Seed and length: test/fuzz-util.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { loadDataset } from '../src/data/load';
import type { ResolvedDataset } from '../src/core/experiment';
import { ConfigError } from '../src/errors';
import { CLI, tempDir } from './helpers';
import { FUZZ_SEED, fuzzParams, fuzzRuns, mutateBytes } from './fuzz-util';

const dir = tempDir('mixbench-fuzz-data-');
let counter = 0;
const write = (name: string, data: Buffer | string): string => {
  const p = join(dir, `${counter++}-${name}`);
  writeFileSync(p, data);
  return p;
};

// ---- valid files of each format ----
/** A column of numbers or of categories (a column mixing both is refused, rightly, so it is left to the mutations). */
const column = (rows: number) => fc.oneof(
  fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }).map(String), fc.double({ min: -10, max: 10, noNaN: true }).map((v) => v.toFixed(3))), { minLength: rows, maxLength: rows }),
  fc.array(fc.constantFrom('red', 'green', 'blue'), { minLength: rows, maxLength: rows }),
);
const csvTable = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 12, max: 40 }), fc.integer({ min: 2, max: 3 }), fc.constantFrom(',', '\t'))
  .chain(([features, rows, classes, delim]) =>
    fc.tuple(fc.array(column(rows), { minLength: features, maxLength: features }), fc.array(fc.integer({ min: 0, max: classes - 1 }), { minLength: rows, maxLength: rows })).map(([cols, ys]) => ({
      delim,
      text: [['label', ...cols.map((_, j) => `f${j}`)].join(delim), ...ys.map((y, i) => [`c${y}`, ...cols.map((c) => c[i])].join(delim))].join('\n') + '\n',
    })),
  );
const words = fc.array(fc.constantFrom('the', 'movie', 'was', 'great', 'dull', 'a', '"quoted"', 'café', 'x,y'), { minLength: 1, maxLength: 8 }).map((w) => w.join(' '));
const textFile = fc.tuple(fc.array(fc.tuple(fc.constantFrom('pos', 'neg', 'mid'), words), { minLength: 4, maxLength: 30 }), fc.constantFrom('tsv', 'csv', 'sst2', 'trec')).map(([rows, layout]) => {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const text =
    layout === 'tsv' ? `label\ttext\n${rows.map(([l, t]) => `${l}\t${t}`).join('\n')}\n`
      : layout === 'csv' ? `text,label\n${rows.map(([l, t]) => `${q(t)},${l}`).join('\n')}\n`
        : layout === 'sst2' ? `sentence\tlabel\n${rows.map(([l, t]) => `${t}\t${l === 'pos' ? 1 : 0}`).join('\n')}\n`
          : `${rows.map(([l, t]) => `${l.toUpperCase()}:fine ${t}`).join('\n')}\n`;
  return { layout, text };
});

function idx(type: number, dims: number[], data: Buffer): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, data]);
}
const idxPair = fc.tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 3 }), fc.constantFrom(0x08, 0x08, 0x0b, 0x0d)).chain(([n, side, classes, type]) =>
  fc.tuple(fc.uint8Array({ minLength: n * side * side * (type === 0x08 ? 1 : type === 0x0b ? 2 : 4), maxLength: n * side * side * (type === 0x08 ? 1 : type === 0x0b ? 2 : 4) }), fc.array(fc.integer({ min: 0, max: classes - 1 }), { minLength: n, maxLength: n })).map(([pixels, labels]) => ({
    images: idx(type, [n, side, side], Buffer.from(pixels)),
    labels: idx(0x08, [n], Buffer.from(labels)),
  })),
);
const cifarBatch = fc.tuple(fc.integer({ min: 1, max: 24 }), fc.constantFrom(10, 100)).chain(([n, variant]) =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { minLength: n, maxLength: n }).map((labels) => {
    const head = variant === 10 ? 1 : 2;
    const rec = head + 3072;
    const b = Buffer.alloc(n * rec, 7);
    labels.forEach(([c, f], i) => {
      b[i * rec] = variant === 10 ? c % 10 : c;
      if (variant === 100) b[i * rec + 1] = f;
    });
    return { variant: variant as 10 | 100, bytes: b };
  }),
);

/** Maybe gzip, then maybe mutate (mutating gzip bytes exercises the decompressor's error path). */
const corrupt = (data: Buffer): fc.Arbitrary<Buffer> =>
  fc.tuple(fc.boolean(), fc.nat({ max: 9 })).chain(([gz, how]) => {
    const base = gz ? gzipSync(data) : data;
    return how < 2 ? fc.constant(base) : mutateBytes(base);
  });

interface Case {
  spec: Omit<ResolvedDataset, 'name'>;
  files: string[];
}

const csvCase: fc.Arbitrary<Case> = csvTable.chain((t) => fc.tuple(corrupt(Buffer.from(t.text)), fc.option(corrupt(Buffer.from(t.text)), { freq: 4 }))).map(([train, test]) => {
  const path = write('t.csv', train);
  const testPath = test ? write('test.csv', test) : undefined;
  return { spec: { format: 'csv', path, ...(testPath ? { testPath } : {}) }, files: [path, ...(testPath ? [testPath] : [])] };
});
const textCase: fc.Arbitrary<Case> = textFile.chain((t) => corrupt(Buffer.from(t.text, t.layout === 'trec' ? 'latin1' : 'utf8')).map((bytes) => {
  const path = write(t.layout === 'csv' ? 'x.csv' : 'x.tsv', bytes);
  return { spec: { format: 'text', path, layout: t.layout as 'tsv' }, files: [path] };
}));
const idxCase: fc.Arbitrary<Case> = idxPair.chain((p) => fc.tuple(corrupt(p.images), corrupt(p.labels))).map(([images, labels]) => {
  const path = write('images.idx', images);
  const lab = write('labels.idx', labels);
  return { spec: { format: 'idx', path, labels: lab }, files: [path, lab] };
});
const cifarCase: fc.Arbitrary<Case> = cifarBatch.chain((c) => fc.tuple(corrupt(c.bytes), fc.constant(c.variant), fc.constantFrom<'fine' | 'coarse'>('fine', 'coarse'))).map(([bytes, variant, labelSet]) => {
  const path = write('batch.bin', bytes);
  return { spec: { format: 'cifar', path, variant, labelSet }, files: [path] };
});
const anyCase = fc.oneof(csvCase, textCase, idxCase, cifarCase);

/** Whole-file problems need no line or byte; anything else must say where. */
const WHOLE_FILE = /empty|only a header|examples|class|no feature columns|no label column|no text column|column index|not an IDX file|is a directory|cannot read|corrupt or truncated gzip|IDX (images|labels) must|labels for \d+ images|training subset|trainSize/;
const PLACE = /byte|record|line|row/;

function check(c: Case): 'loaded' | 'refused' {
  let ds;
  try {
    ds = loadDataset({ name: 'fuzz', ...c.spec }, 7);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const i of err.issues) {
      assert.ok(c.files.some((f) => i.file.includes(f)), `the issue names one of the files: ${JSON.stringify(i)}`);
      assert.ok(i.line !== undefined || PLACE.test(i.message) || WHOLE_FILE.test(i.message), `the issue says where: ${JSON.stringify(i)}`);
    }
    return 'refused';
  }
  const size = ds.shape.reduce((a, b) => a * b, 1);
  assert.ok(ds.numClasses >= 2);
  for (const split of [ds.train, ds.test]) {
    assert.equal(split.x.length, split.n * size);
    assert.equal(split.y.length, split.n);
    for (const y of split.y) assert.ok(y >= 0 && y < ds.numClasses, `label ${y} of ${ds.numClasses}`);
    for (const v of split.x) assert.ok(Number.isFinite(v), `non-finite feature ${v}`);
  }
  assert.ok(ds.train.n >= 2 && ds.test.n >= 1, 'non-empty splits');
  return 'loaded';
}

for (const [name, arb, runs] of [['csv', csvCase, 400], ['text', textCase, 400], ['idx', idxCase, 400], ['cifar', cifarCase, 200]] as const) {
  test(`fuzz ${name}: random, mutated, truncated and gzipped files load soundly or are refused naming the file and the place`, { timeout: 300_000 }, () => {
    const seen = { loaded: 0, refused: 0 };
    fc.assert(fc.property(arb as fc.Arbitrary<Case>, (c) => {
      seen[check(c)]++;
    }), fuzzParams(runs));
    assert.ok(seen.loaded > 0 && seen.refused > 0, `both outcomes occur: ${JSON.stringify(seen)}`);
    process.stderr.write(`fuzz-data ${name}: ${JSON.stringify(seen)} (seed ${FUZZ_SEED})\n`);
  });
}

function cli(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

test('fuzz through the CLI: `mixbench datasets describe` on a sample of the same files exits 0 or 2 naming the file, never an internal error', { timeout: 600_000 }, async () => {
  const sample = fc.sample(anyCase, { seed: FUZZ_SEED, numRuns: Math.max(12, Math.round(fuzzRuns(400) / 30)) });
  const queue = [...sample];
  const work = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const s = c.spec;
      const args = ['datasets', 'describe', c.files[0], '--format', s.format!];
      if (s.format === 'idx') args.push('--labels', c.files[1]);
      if (s.format === 'text' && s.layout) args.push('--layout', s.layout);
      if (s.testPath) args.push('--test-path', c.files[1]);
      const r = await cli(args);
      const where = `${args.join(' ')}\n${r.stderr}`;
      assert.equal(r.signal, null, where);
      assert.doesNotMatch(r.stderr, /internal error|This is a bug/, where);
      assert.ok(r.code === 0 || r.code === 2, where);
      if (r.code === 2) assert.ok(c.files.some((f) => r.stderr.includes(f)), where);
    }
  };
  await Promise.all([work(), work()]);
});
