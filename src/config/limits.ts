/**
 * Limits on what a config may ask for, beyond its schema: dataset entries that would give two runs one id, or two
 * settings one row of the tables; map keys that are collections; YAML syntax errors said once. (The plan size is
 * checked in load.ts against --max-runs before anything is expanded.)
 */
import { isCollection, visit } from 'yaml';
import type { ResolvedDataset } from '../core/experiment';
import { datasetLabel } from '../core/cell';
import type { Issue } from '../errors';
import { canonicalJson } from '../util/hash';
import { issueAt, type SourceMap } from './locate';
import { resolveDatasetEntry } from './resolve';
import { DatasetEntrySchema } from './schema';

/** Dataset entries that would collide (see below), on the raw fields whatever else is wrong with them. */
export function datasetCollisionIssues(src: SourceMap, fields: Record<string, unknown>): Issue[] {
  const datasets: { ds: ResolvedDataset; i: number }[] = [];
  if (Array.isArray(fields.datasets)) {
    fields.datasets.forEach((entry, i) => {
      const d = DatasetEntrySchema.safeParse(entry);
      if (d.success) datasets.push({ ds: resolveDatasetEntry(d.data), i });
    });
  }
  return collisionIssues(src, datasets);
}

/**
 * Dataset entries that would collide: an entry repeated (its runs would have the same ids: one directory, trained twice
 * at once) or two entries shown under one name in the tables (their seeds would be pooled as if one setting).
 */
function collisionIssues(src: SourceMap, datasets: { ds: ResolvedDataset; i: number }[]): Issue[] {
  const issues: Issue[] = [];
  const seen = new Map<string, number>();
  const labels = new Map<string, number>();
  for (const { ds: d, i } of datasets) {
    const key = canonicalJson(d);
    const label = datasetLabel(d);
    const same = seen.get(key);
    const sameLabel = labels.get(label);
    if (same !== undefined) issues.push(issueAt(src, ['datasets', i], `repeats datasets[${same}]; remove one (identical entries would run the same runs twice)`));
    else if (sameLabel !== undefined) {
      const fix = d.format
        ? 'give your own files distinct names'
        : 'keep one of them and run the other as its own experiment, or tell them apart with trainFraction/trainSize (which the tables name)';
      issues.push(issueAt(src, ['datasets', i], `datasets[${sameLabel}] and this entry would both be "${label}" in the tables, pooling their runs; ${fix}`));
    }
    if (same === undefined) seen.set(key, i);
    if (sameLabel === undefined) labels.set(label, i);
  }
  return issues;
}

/**
 * Map keys that are lists or maps (`? [a, b]: x`): JavaScript objects cannot hold them, and converting them would
 * only print a Node warning; say where they are instead.
 */
export function collectionKeyIssues(src: SourceMap): Issue[] {
  const issues: Issue[] = [];
  visit(src.doc, {
    Pair(_, pair) {
      if (!isCollection(pair.key)) return;
      const pos = src.lineCounter.linePos(pair.key.range?.[0] ?? 0);
      issues.push({ file: src.file, line: pos.line, col: pos.col, message: 'a key must be a plain name, not a list or map (a line starting with "? " or "[...]:")' });
    },
  });
  return issues;
}

/**
 * YAML syntax problems listed at most once each, and at most this many (the first ones; fixing them clears most), then
 * one more issue located at the first left out, saying how many were.
 */
export const MAX_YAML_ISSUES = 20;

/**
 * The parser's syntax errors as located issues. A bracket left open hundreds of levels deep makes the parser report
 * its own stack overflow ("Maximum call stack size exceeded") once, then the same unclosed-bracket error hundreds of
 * times at one place: that is said in words, once, and the list is capped.
 */
export function yamlSyntaxIssues(src: SourceMap): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  let more = 0;
  let firstLeftOut: { line: number; col: number } | undefined;
  for (const err of src.doc.errors) {
    const pos = err.linePos?.[0] ?? src.lineCounter.linePos(err.pos[0]);
    const first = err.message.split('\n')[0];
    const message = /Maximum call stack size exceeded/.test(first)
      ? 'YAML: nested too deeply to read (hundreds of levels of brackets or indentation); a config needs a few: look for brackets left open before this place'
      : `YAML: ${first}`;
    const key = `${pos.line}:${pos.col}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (issues.length < MAX_YAML_ISSUES) issues.push({ file: src.file, line: pos.line, col: pos.col, message });
    else {
      firstLeftOut ??= pos;
      more++;
    }
  }
  if (firstLeftOut) {
    issues.push({ file: src.file, line: firstLeftOut.line, col: firstLeftOut.col, message: `and ${more} more YAML problem${more === 1 ? '' : 's'} from here on; fix the first ones and validate again` });
  }
  return issues;
}
