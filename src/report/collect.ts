/** Read every complete run record under `<dir>/runs`. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../run/record';

export function collectRecords(dir: string): RunRecord[] {
  const runs = join(dir, 'runs');
  if (!existsSync(runs)) return [];
  const out: RunRecord[] = [];
  for (const id of readdirSync(runs).sort()) {
    if (!existsSync(join(runs, id, 'done'))) continue;
    try {
      const rec = JSON.parse(readFileSync(join(runs, id, 'result.json'), 'utf8')) as RunRecord;
      if (rec.format === 'mixbench-run/1' && rec.id === id) out.push(rec);
    } catch {
      // Corrupt or half-written: not a complete run.
    }
  }
  return out;
}
