/**
 * Run records on disk: `<output>/runs/<id>/result.json`, then the `done` marker, both written atomically. A record is
 * read back through its schema (src/core/record.ts) and its version: anything that is not a complete, well-formed,
 * current (or still valid older) record of the expected run is reported as what it is, never used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordVersion, RECORD_VERSION, RunRecordSchema, type RunRecord } from '../core/record';
import type { RunSpec } from '../core/run';
import { writeFileAtomic } from '../util/fs';
import { checkDone, doneMarker, okNumbersSound } from './integrity';
import { staleReason } from './versions';

/**
 * The runs without a `done` marker (every run with `force`): what a sweep will train, short of the records it finds
 * damaged or stale when it reads them. One existsSync per run: cheap enough to size things before the sweep starts.
 */
export function runsWithoutRecord(output: string, runs: readonly RunSpec[], force = false): RunSpec[] {
  return force ? [...runs] : runs.filter((r) => !existsSync(join(runDir(output, r.id), 'done')));
}

export function runDir(output: string, id: string): string {
  return join(output, 'runs', id);
}

/**
 * Write result.json, then the `done` marker last, both atomically; the marker carries the hash of result.json
 * (src/store/integrity.ts). `output` must exist: a vanished output directory is reported, not recreated.
 */
export function writeRunRecord(output: string, record: RunRecord): void {
  const dir = runDir(output, record.id);
  const text = `${JSON.stringify(record, null, 1)}\n`;
  writeFileAtomic(join(dir, 'result.json'), text, output);
  writeFileAtomic(join(dir, 'done'), doneMarker(record.status, text), output);
}

/**
 * What a run directory holds:
 *   complete     a valid record (of this or an older version whose computation has not changed since)
 *   missing      no directory
 *   incomplete   a directory without the `done` marker (interrupted before the record was written)
 *   unreadable   `done` but result.json missing, not JSON, not matching the schema, of another run, or changed since the
 *                `done` marker vouched for it (its hash)
 *   foreign      JSON that is not a mixbench run record
 *   newer        a record of a newer record version than this mixbench knows
 *   stale        a valid older record whose computation has changed since (RECORD_HISTORY)
 */
export type RecordState =
  | { state: 'complete'; record: RunRecord }
  | { state: 'missing' | 'incomplete' | 'unreadable' | 'foreign'; reason: string }
  | { state: 'newer'; reason: string; version: number }
  | { state: 'stale'; reason: string; record: RunRecord };

export function inspectRunDir(dir: string, id: string): RecordState {
  if (!existsSync(dir)) return { state: 'missing', reason: 'no run directory' };
  if (!existsSync(join(dir, 'done'))) return { state: 'incomplete', reason: 'no done marker (interrupted)' };
  let raw: unknown;
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, 'result.json'));
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return { state: 'unreadable', reason: `result.json: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
  const format = raw !== null && typeof raw === 'object' ? (raw as { format?: unknown }).format : undefined;
  const version = recordVersion(format);
  if (version === undefined) return { state: 'foreign', reason: `result.json is not a mixbench run record (format ${JSON.stringify(format ?? null)})` };
  if (version > RECORD_VERSION) {
    return { state: 'newer', version, reason: `result.json is a record of version ${version}, written by a newer mixbench (this one reads up to ${RECORD_VERSION})` };
  }
  const parsed = RunRecordSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { state: 'unreadable', reason: `result.json does not match the run record schema (${first.path.join('.') || 'record'}: ${first.message})` };
  }
  const rec = parsed.data;
  let marker: string;
  try {
    marker = readFileSync(join(dir, 'done'), 'latin1');
  } catch (err) {
    return { state: 'unreadable', reason: `done: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
  if (checkDone(marker, bytes, rec.status) === 'mismatch') {
    return { state: 'unreadable', reason: 'result.json changed after it was written (its done marker holds another hash or status)' };
  }
  if (rec.id !== id || rec.spec.id !== id) return { state: 'unreadable', reason: `result.json belongs to run ${rec.id}, not ${id}` };
  if (rec.status === 'ok' && !okNumbersSound(rec)) return { state: 'unreadable', reason: 'an ok record whose accuracies are missing, not finite or outside [0, 1]' };
  if (rec.status === 'ok' && (!rec.metrics || rec.curve.length !== rec.spec.train.epochs)) {
    return { state: 'unreadable', reason: `an ok record needs metrics and ${rec.spec.train.epochs} epochs of curve (has ${rec.curve.length})` };
  }
  const stale = staleReason(rec, version);
  if (stale) return { state: 'stale', reason: stale, record: rec };
  return { state: 'complete', record: rec };
}

/** The complete record of `spec` in `output`, or undefined (missing, incomplete, unreadable, foreign, stale or newer). */
export function readRunRecord(output: string, spec: Pick<RunSpec, 'id'>): RunRecord | undefined {
  const s = inspectRunDir(runDir(output, spec.id), spec.id);
  return s.state === 'complete' ? s.record : undefined;
}
