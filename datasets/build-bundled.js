#!/usr/bin/env node
/**
 * Rebuilds the bundled `letters.csv.gz` and `spam-subjects.tsv.gz` from the source files described in
 * datasets/README.md, found in the folder given as the first argument.
 *
 *   node datasets/build-bundled.js <source-dir>
 *
 * Deterministic: the same inputs give byte-identical outputs (gzip level 9, no timestamps in the stream).
 */
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { gzipSync } = require('node:zlib');
const { join } = require('node:path');

const src = process.argv[2];
if (!src) {
  process.stderr.write('usage: node datasets/build-bundled.js <source-dir> (the folder with the source files named in datasets/README.md)\n');
  process.exit(2);
}
const out = __dirname;

// letters: the CSV as it is (header `lettr,...`, 16 integer features 0-15), gzipped.
const letters = readFileSync(join(src, 'letter-recognition.csv'), 'utf8').replace(/\r\n/g, '\n');
writeFileSync(join(out, 'letters.csv.gz'), gzipSync(letters, { level: 9 }));

// spam-subjects: strip leading mailing-list tags, drop empties, de-duplicate.
/** Strip `[tag]` groups at the start of the subject, also after leading Re:/Fwd:/Fw:/AW: prefixes (which stay). */
function stripTags(s) {
  let prev;
  do {
    prev = s;
    s = s.replace(/^((?:(?:re|fwd?|aw)\s*(?:\[\d+\])?\s*:\s*)*)\[[^\]]*\]\s*/i, '$1');
  } while (s !== prev);
  return s.replace(/\s+/g, ' ').trim();
}
const lines = readFileSync(join(src, 'spamassassin-subjects.tsv'), 'utf8').split('\n').slice(1).filter((l) => l !== '');
const byKey = new Map(); // normalised subject → {subject, labels:Set}
let empty = 0;
for (const line of lines) {
  const [label, , ...rest] = line.split('\t');
  const subject = stripTags(rest.join(' '));
  if (subject === '') { empty++; continue; }
  const key = subject.toLowerCase();
  const e = byKey.get(key);
  if (e) e.labels.add(label);
  else byKey.set(key, { subject, labels: new Set([label]) });
}
let conflicting = 0;
const rows = [];
for (const { subject, labels } of byKey.values()) {
  if (labels.size > 1) { conflicting++; continue; } // the same subject as ham and as spam: no usable label
  rows.push(`${[...labels][0]}\t${subject}`);
}
const counts = [0, 0];
for (const r of rows) counts[Number(r[0])]++;
writeFileSync(join(out, 'spam-subjects.tsv.gz'), gzipSync(`label\tsubject\n${rows.join('\n')}\n`, { level: 9 }));
process.stdout.write(`spam-subjects: ${lines.length} source rows, ${empty} empty after stripping tags, ${byKey.size} unique, ` +
  `${conflicting} dropped as both ham and spam → ${rows.length} rows (ham ${counts[0]}, spam ${counts[1]})\n`);
