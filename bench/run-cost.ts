/**
 * Where the time of one run goes (part of `npm run bench`): backend load, data load, training steps, the test
 * evaluation after every epoch, the memorisation probe of noisy runs after every epoch, the end-of-run diagnostics
 * (over-smoothing; orbit logits of ensemble members) and the record, for runs of a config, through the real
 * single-run path (src/run/single.ts). The evaluation functions are timed where the loop calls them (their module
 * exports are wrapped), so nothing runs twice. Times are CPU seconds of this process (wasm runs on one thread); the
 * training steps' share is the run's total minus everything else measured (the record's trainSeconds is wall time).
 *
 *   node dist/bench/run-cost.js [--config configs/papers/reduced/mixup-label-noise-small.yaml] [--epochs N]
 *        [--runs 2] [--backend wasm] [--json FILE]
 * The runs taken are the config's first run of each noise setting (clean and noisy), up to --runs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { arg, machineLine, ROOT, writeResultJson } from './util';

/**
 * This process's CPU seconds: the wasm backend runs on this one thread, so CPU time is the run's own work, far less
 * disturbed by other processes on a shared machine than wall time.
 */
const now = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * Replace a module export by a wrapper that adds its wall time to `into[label()]` and, while it runs, sets the phase
 * that nested timed calls are attributed to (when `phase` is given). Returns the function that puts it back.
 */
function wrapExport(mod: Record<string, unknown>, name: string, into: Record<string, number>, label: () => string, state?: { phase: string }, phase?: string): () => void {
  const orig = mod[name] as (...a: unknown[]) => unknown;
  mod[name] = (...a: unknown[]) => {
    const key = label();
    const before = state?.phase;
    if (state && phase) state.phase = phase;
    const t0 = now();
    try {
      return orig(...a);
    } finally {
      if (!phase) into[key] = (into[key] ?? 0) + now() - t0;
      if (state && phase) state.phase = before!;
    }
  };
  return () => { mod[name] = orig; };
}

export interface RunCost {
  id: string;
  noise: string;
  epochs: number;
  seconds: Record<string, number>;
  shares: Record<string, number>;
}

export async function measureRunCosts(opts: { config: string; epochs?: number; runs: number; backend: string }): Promise<{ startup: Record<string, number>; runs: RunCost[] }> {
  const t0 = now();
  const { loadBackend } = await import('../src/backend');
  const { configureOps } = await import('../src/model/ops');
  const tImport = now();
  const backend = await loadBackend(opts.backend as 'wasm');
  configureOps(backend.name);
  const tBackend = now();
  const { loadConfigFile } = await import('../src/config/load');
  const { planRuns } = await import('../src/config/plan');
  const { datasetFor } = await import('../src/data/cache');
  const predict = (await import('../src/train/predict')) as unknown as Record<string, unknown>;
  const memorisation = (await import('../src/train/memorisation')) as unknown as Record<string, unknown>;
  const oversmoothing = (await import('../src/train/oversmoothing')) as unknown as Record<string, unknown>;
  const orbit = (await import('../src/train/orbit')) as unknown as Record<string, unknown>;
  const noise = (await import('../src/data/noise')) as unknown as Record<string, unknown>;
  const records = (await import('../src/store/records')) as unknown as Record<string, unknown>;
  const orbitStore = (await import('../src/store/orbit')) as unknown as Record<string, unknown>;
  const { executeRun } = await import('../src/run/single');

  const dir = mkdtempSync(join(os.tmpdir(), 'mixbench-bench-cost-'));
  try {
    const doc = parseDocument(readFileSync(opts.config, 'utf8'));
    if (opts.epochs) doc.setIn(['train', 'epochs'], opts.epochs);
    const cfg = join(dir, 'cost.yaml');
    writeFileSync(cfg, doc.toString());
    const plan = planRuns(loadConfigFile(cfg));
    const picked = [...new Map(plan.runs.map((r) => [r.noise.label, r])).values()].slice(0, opts.runs);
    const tData0 = now();
    for (const spec of picked) datasetFor(spec);
    const startup = { 'import modules': tImport - t0, 'backend load': tBackend - tImport, 'dataset load (first)': now() - tData0 };

    const runs: RunCost[] = [];
    for (const spec of picked) {
      const seconds: Record<string, number> = {};
      // predictLogits serves the test evaluation, the memorisation probe and orbit logits: attributed to the caller.
      const state = { phase: 'test evaluation' };
      const restore = [
        wrapExport(predict, 'predictLogits', seconds, () => state.phase),
        wrapExport(memorisation, 'measureMemorisation', seconds, () => '', state, 'memorisation probe'),
        wrapExport(orbit, 'orbitLogits', seconds, () => '', state, 'orbit logits (ensembles)'),
        wrapExport(oversmoothing, 'measureOversmoothing', seconds, () => 'over-smoothing'),
        wrapExport(noise, 'applyNoise', seconds, () => 'label noise'),
        wrapExport(records, 'writeRunRecord', seconds, () => 'record'),
        wrapExport(orbitStore, 'writeOrbitLogits', seconds, () => 'record'),
      ];
      const r0 = now();
      let rec;
      try {
        rec = await executeRun(spec, dir, backend); // the sweep's output directory exists before a run writes into it
      } finally {
        restore.forEach((f) => f());
      }
      const total = now() - r0;
      if (rec.status !== 'ok') throw new Error(`${spec.id}: ${rec.status} ${rec.error}`);
      const accounted = Object.values(seconds).reduce((a, b) => a + b, 0);
      seconds['training steps (and model build)'] = total - accounted;
      seconds.total = total;
      const shares = Object.fromEntries(Object.entries(seconds).filter(([k]) => k !== 'total').map(([k, v]) => [k, v / total]));
      runs.push({ id: spec.id, noise: spec.noise.label, epochs: spec.train.epochs, seconds, shares });
    }
    return { startup, runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const epochs = arg('epochs', '');
  const r = await measureRunCosts({
    config: resolve(arg('config', join(ROOT, 'configs', 'papers', 'reduced', 'mixup-label-noise-small.yaml'))),
    epochs: epochs ? Number(epochs) : undefined, runs: Number(arg('runs', '2')), backend: arg('backend', 'wasm'),
  });
  console.log(machineLine());
  console.log(`process start-up (CPU s): ${Object.entries(r.startup).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
  for (const run of r.runs) {
    console.log(`${run.id} (${run.epochs} epochs, noise ${run.noise}): ${run.seconds.total.toFixed(2)} CPU s`);
    for (const [k, v] of Object.entries(run.shares)) console.log(`  ${k.padEnd(36)} ${run.seconds[k].toFixed(2).padStart(7)} s  ${(100 * v).toFixed(1).padStart(5)}%`);
  }
  writeResultJson(r);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
