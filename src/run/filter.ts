/**
 * `--only key=v1,v2`: keep the runs of a plan whose dataset, noise, method or seed is one of the values. Run ids do not
 * depend on the rest of the plan, so a filtered sweep writes exactly the runs (and ids) the full sweep would: a CI matrix
 * over noise levels (`--only noise=<label>`) merges with `mixbench report` into the full tables.
 */
import type { Plan, RunSpec } from '../core/run';
import { UsageError } from '../errors';

const KEYS: Record<string, (r: RunSpec) => string> = {
  dataset: (r) => r.dataset.name,
  noise: (r) => r.noise.label,
  method: (r) => r.method.name,
  seed: (r) => String(r.seed),
};

export function filterPlan(plan: Plan, filters: string[]): Plan {
  let runs = plan.runs;
  for (const f of filters) {
    const m = /^([a-z]+)=(.+)$/.exec(f.trim());
    const get = m ? KEYS[m[1]] : undefined;
    if (!m || !get) throw new UsageError(`--only must look like key=value[,value...] with key one of ${Object.keys(KEYS).join(', ')}, got "${f}"`);
    const values = new Set(m[2].split(',').map((v) => v.trim()));
    const known = new Set(plan.runs.map(get));
    const unknown = [...values].filter((v) => !known.has(v));
    if (unknown.length) throw new UsageError(`--only ${m[1]}=${unknown.join(',')}: not in the plan; its ${m[1]} values are ${[...known].join(', ')}`);
    runs = runs.filter((r) => values.has(get(r)));
  }
  return { ...plan, runs };
}
