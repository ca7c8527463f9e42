/**
 * Read every complete run record under `<dir>/runs`, from one output directory or several (shards copied back from a
 * cluster or CI artifacts). Nothing is copied: records are read where they are. Directories without a usable record
 * are skipped and counted by what they hold (incomplete, unreadable, foreign, stale, newer); a run found in several
 * directories is taken once (a non-failed record over a failed one, then the newest).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { axesOf, type Axes } from '../core/axes';
import { cellKey, pairKey } from '../core/cell';
import type { RunRecord } from '../core/record';
import type { Plan } from '../core/run';
import { inspectRunDir, type RecordState } from './records';

type Skipped = Exclude<RecordState['state'], 'complete' | 'missing'>;

export interface Collected {
  records: RunRecord[];
  /** Run directories without a usable record, by what they hold. */
  skipped: Record<Skipped, string[]>;
  /** Ids found in more than one directory. */
  duplicates: string[];
  /** Groups of runs in one cell with one seed (and member) but different settings (different ids). */
  conflicts: string[][];
}

export function collectFrom(dirs: string[]): Collected {
  const byId = new Map<string, RunRecord>();
  const skipped: Collected['skipped'] = { incomplete: [], unreadable: [], foreign: [], stale: [], newer: [] };
  const duplicates = new Set<string>();
  for (const dir of dirs) {
    const runs = join(dir, 'runs');
    if (!existsSync(runs)) continue;
    for (const id of readdirSync(runs).sort()) {
      const found = inspectRunDir(join(runs, id), id);
      if (found.state === 'missing') continue;
      if (found.state !== 'complete') {
        skipped[found.state].push(join(runs, id));
        continue;
      }
      const rec = found.record;
      const prev = byId.get(id);
      if (prev) {
        duplicates.add(id);
        if (!better(rec, prev)) continue;
      }
      byId.set(id, rec);
    }
  }
  // Cells under the axes of these records: runs that differ in a swept setting are different cells.
  const axes = axesOf([...byId.values()].map((r) => r.spec));
  const records = [...byId.values()].sort((a, b) => compareRecords(a, b, axes));
  const groups = new Map<string, string[]>();
  for (const r of records) {
    const key = JSON.stringify([cellKey(r.spec, axes), pairKey(r.spec)]);
    groups.set(key, [...(groups.get(key) ?? []), r.id]);
  }
  return { records, skipped, duplicates: [...duplicates], conflicts: [...groups.values()].filter((g) => g.length > 1) };
}

function better(a: RunRecord, b: RunRecord): boolean {
  if ((a.status === 'failed') !== (b.status === 'failed')) return b.status === 'failed';
  return a.finishedAt > b.finishedAt;
}

/** Cell (experiment, dataset label, noise, axis values, arm), seed (numerically), then id: independent of the directories' order. */
function compareRecords(a: RunRecord, b: RunRecord, axes: Axes): number {
  const ka = cellKey(a.spec, axes);
  const kb = cellKey(b.spec, axes);
  if (ka !== kb) return ka < kb ? -1 : 1;
  if (a.spec.seed !== b.spec.seed) return a.spec.seed - b.spec.seed;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const SKIP_NOTES: Record<Skipped, (n: number) => string> = {
  incomplete: (n) => `skipped ${n} incomplete run director${n === 1 ? 'y' : 'ies'} (interrupted; \`mixbench run\` redoes them)`,
  unreadable: (n) => `skipped ${n} run director${n === 1 ? 'y' : 'ies'} whose record is half-written, corrupt or of another run`,
  foreign: (n) => `skipped ${n} run director${n === 1 ? 'y' : 'ies'} whose result.json is not a mixbench run record`,
  stale: (n) => `skipped ${n} record${n === 1 ? '' : 's'} made before a change of what ${n === 1 ? 'its run computes' : 'their runs compute'} (\`mixbench run\` with the config redoes them)`,
  newer: (n) => `skipped ${n} record${n === 1 ? '' : 's'} written by a newer mixbench (a newer record version); report them with that version`,
};

/**
 * Records for `mixbench report <dir>...`: merged over the directories and, with a plan (`--plan`), restricted to its
 * runs in plan order. `notes` are for stderr; `incompletePlan` when some run of the plan is missing or failed.
 */
export function collectMerged(dirs: string[], plan?: Plan): { records: RunRecord[]; notes: string[]; incompletePlan: boolean } {
  const found = collectFrom(dirs);
  const notes: string[] = [];
  for (const [state, paths] of Object.entries(found.skipped) as [Skipped, string[]][]) {
    if (paths.length) notes.push(`${SKIP_NOTES[state](paths.length)}, e.g. ${paths[0]}`);
  }
  if (!plan) {
    if (found.conflicts.length) {
      notes.push(
        `warning: ${found.conflicts.length} experiment/dataset/noise/method/seed combination${found.conflicts.length === 1 ? ' has' : 's have'} runs with ` +
          `different settings (e.g. ${found.conflicts[0].join(' and ')}); the tables mix them — pass --plan <config> to keep one plan's runs`,
      );
    }
    return { records: found.records, notes, incompletePlan: false };
  }
  const byId = new Map(found.records.map((r) => [r.id, r]));
  const records = plan.runs.map((r) => byId.get(r.id)).filter((r): r is RunRecord => !!r);
  const missing = plan.runs.filter((r) => !byId.has(r.id)).map((r) => r.id);
  const failed = records.filter((r) => r.status === 'failed').map((r) => r.id);
  notes.push(
    `${records.length} of ${plan.runs.length} runs of ${plan.experiment} found` +
      (missing.length ? `; missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}` : '') +
      (failed.length ? `; failed: ${failed.slice(0, 5).join(', ')}${failed.length > 5 ? ', ...' : ''}` : ''),
  );
  return { records, notes, incompletePlan: missing.length > 0 || failed.length > 0 };
}
