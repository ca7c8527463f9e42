/**
 * Read every complete run record under `<dir>/runs`, from one output directory or several (shards copied back from a
 * cluster or CI artifacts). Nothing is copied: records are read where they are. Half-written or corrupt records are
 * skipped (and counted); a run found in several directories is taken once (a non-failed record over a failed one, then
 * the newest).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { planRuns } from '../config/plan';
import { readRecordDir, type RunRecord } from '../run/record';

export interface Collected {
  records: RunRecord[];
  /** Run directories without a valid record (incomplete, half-written or corrupt). */
  invalid: string[];
  /** Ids found in more than one directory. */
  duplicates: string[];
  /** Groups of runs with the same experiment/dataset/noise/method/seed but different settings (different ids). */
  conflicts: string[][];
}

export function collectRecords(dirs: string | string[]): RunRecord[] {
  return collectFrom(Array.isArray(dirs) ? dirs : [dirs]).records;
}

export function collectFrom(dirs: string[]): Collected {
  const byId = new Map<string, RunRecord>();
  const invalid: string[] = [];
  const duplicates = new Set<string>();
  for (const dir of dirs) {
    const runs = join(dir, 'runs');
    if (!existsSync(runs)) continue;
    for (const id of readdirSync(runs).sort()) {
      const rec = readRecordDir(join(runs, id), id);
      if (!rec) {
        invalid.push(join(runs, id));
        continue;
      }
      const prev = byId.get(id);
      if (prev) {
        duplicates.add(id);
        if (!better(rec, prev)) continue;
      }
      byId.set(id, rec);
    }
  }
  const records = [...byId.values()].sort(compareRecords);
  const groups = new Map<string, string[]>();
  for (const r of records) {
    const key = JSON.stringify([r.spec.experiment, r.spec.dataset.name, r.spec.noise.label, r.spec.method.name, r.spec.seed]);
    groups.set(key, [...(groups.get(key) ?? []), r.id]);
  }
  return { records, invalid, duplicates: [...duplicates], conflicts: [...groups.values()].filter((g) => g.length > 1) };
}

function better(a: RunRecord, b: RunRecord): boolean {
  if ((a.status === 'failed') !== (b.status === 'failed')) return b.status === 'failed';
  return a.finishedAt > b.finishedAt;
}

/** Dataset, noise, method, seed (numerically), then id: a stable order independent of the directories' order. */
function compareRecords(a: RunRecord, b: RunRecord): number {
  const ka = [a.spec.experiment, a.spec.dataset.name, a.spec.noise.label, a.spec.method.name];
  const kb = [b.spec.experiment, b.spec.dataset.name, b.spec.noise.label, b.spec.method.name];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  if (a.spec.seed !== b.spec.seed) return a.spec.seed - b.spec.seed;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Records for `mixbench report <dir>...`: merged over the directories and, with a config (`--plan`), restricted to its
 * plan in plan order. `notes` are for stderr; `incompletePlan` when some run of the plan is missing or failed.
 */
export function collectMerged(
  dirs: string[],
  exp?: Parameters<typeof planRuns>[0],
): { records: RunRecord[]; notes: string[]; incompletePlan: boolean } {
  const found = collectFrom(dirs);
  const notes: string[] = [];
  const n = found.invalid.length;
  if (n) notes.push(`skipped ${n} run director${n === 1 ? 'y' : 'ies'} without a valid record (incomplete, half-written or corrupt), e.g. ${found.invalid[0]}`);
  if (!exp) {
    if (found.conflicts.length) {
      notes.push(
        `warning: ${found.conflicts.length} experiment/dataset/noise/method/seed combination${found.conflicts.length === 1 ? ' has' : 's have'} runs with ` +
          `different settings (e.g. ${found.conflicts[0].join(' and ')}); the tables mix them — pass --plan <config> to keep one plan's runs`,
      );
    }
    return { records: found.records, notes, incompletePlan: false };
  }
  const plan = planRuns(exp);
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
