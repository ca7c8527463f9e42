/**
 * A sweep's bookkeeping: what `mixbench run` does after each finished run besides training — read the run's record
 * back (as the parent of the workers does), rebuild the report and rewrite its files under the tables lock — for a
 * synthetic 500-run sweep whose records come from the test helpers (no training). Measured twice, side by side:
 *
 *   incremental   the sweep's ReportWriter, one for the whole sweep (what `mixbench run` does)
 *   from scratch  a fresh writer at a few sweep sizes (every table and plot recomputed and rewritten: the cost per
 *                 run before the report became incremental, which grows with the sweep)
 *
 * and compared with the training time of one real run of configs/quick.yaml's setting (baseline, seed 1, wasm),
 * trained here unless --no-train.
 *
 *   node dist/bench/bookkeeping.js [--runs 500] [--no-train] [--json FILE]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfigFile } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import { resolveReport } from '../src/config/resolve';
import type { RunRecord } from '../src/core/record';
import { ReportWriter } from '../src/report/write';
import { withTablesLock } from '../src/store/lock';
import { readRunRecord, writeRunRecord } from '../src/store/records';
import { fakeRecord } from '../test/report-fixtures';
import { flag, formatLoad, median } from './util';

const NOISE = [0, 0.2, 0.4, 0.6];
const METHODS = ['baseline', 'mixup', 'cutmix', 'sam', 'gmix'];

/** `n` runs of a noise × method × seed sweep on digits, 15 epochs each, with over-smoothing and memorisation sections. */
export function syntheticSweep(n: number): RunRecord[] {
  const seeds = Math.ceil(n / (NOISE.length * METHODS.length));
  const out: RunRecord[] = [];
  for (const rate of NOISE) {
    const noise = rate === 0 ? { label: 'none' } : { label: `symmetric-${rate}`, type: 'symmetric' as const, rate };
    for (const [m, method] of METHODS.entries()) {
      for (let seed = 1; seed <= seeds && out.length < n; seed++) {
        const peak = 0.95 - 0.2 * rate + 0.002 * m + ((seed * 37) % 11) / 1000;
        const curve = Array.from({ length: 15 }, (_, e) => Number((peak - 0.3 / (e + 1) - (e > 8 ? 0.02 * rate * (e - 8) : 0)).toFixed(4)));
        out.push(fakeRecord({
          method, seed, noise, curve, cosines: [0.2, 0.4 - 0.01 * m, 0.6 - 0.02 * m],
          memorisation: rate ? { examples: 100, noisyFit: 0.5 * rate, trueFit: 0.6 } : null,
        }));
      }
    }
  }
  return out;
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function trainOneRun(): Promise<{ trainSeconds: number; wallSeconds: number; cpuSeconds: number; backend: string } | undefined> {
  const { loadBackend } = await import('../src/backend');
  const { configureOps } = await import('../src/model/ops');
  const { executeRun } = await import('../src/run/single');
  const backend = await loadBackend('wasm');
  configureOps(backend.name);
  const exp = loadConfigFile(join(__dirname, '..', '..', 'configs', 'quick.yaml'));
  const spec = planRuns(exp).runs[0];
  const dir = mkdtempSync(join(tmpdir(), 'mixbench-bench-train-'));
  try {
    const c0 = process.cpuUsage();
    const rec = await executeRun(spec, dir, backend);
    const c = process.cpuUsage(c0);
    if (rec.status !== 'ok' || !rec.metrics) return undefined;
    return { trainSeconds: rec.metrics.trainSeconds, wallSeconds: rec.wallSeconds, cpuSeconds: (c.user + c.system) / 1e6, backend: backend.name };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const n = Number(flag('runs') ?? 500);
  const settings = resolveReport({ metric: 'best' }, [{ better: 'mixup', than: 'baseline', noise: 0.4 }, { better: 'gmix', than: 'sam', metric: 'last' }]);
  const records = syntheticSweep(n);
  const dir = mkdtempSync(join(tmpdir(), 'mixbench-bench-bookkeeping-'));
  const load0 = loadavg();
  try {
    for (const r of records) writeRunRecord(dir, r);

    // The sweep: after each finished run, read its record and rewrite the report.
    const writer = new ReportWriter(dir, settings, { saveSettings: true });
    const done: RunRecord[] = [];
    const perRun: number[] = [];
    const perRunCpu: number[] = [];
    let files = 0;
    for (const r of records) {
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      const rec = readRunRecord(dir, r.spec);
      if (!rec) throw new Error(`record ${r.id} did not read back`);
      done.push(rec);
      files = withTablesLock(dir, () => writer.write(done)).paths.length;
      perRun.push(ms(t0));
      const c = process.cpuUsage(c0);
      perRunCpu.push((c.user + c.system) / 1000);
    }

    // From scratch: a fresh writer (every table and plot recomputed and every file rewritten) at a few sizes.
    const scratch: { runs: number; ms: number; cpuMs: number }[] = [];
    for (const size of [Math.round(n / 5), Math.round(n / 2), n]) {
      const times: number[] = [];
      const cpu: number[] = [];
      for (let k = 0; k < 3; k++) {
        const t0 = process.hrtime.bigint();
        const c0 = process.cpuUsage();
        withTablesLock(dir, () => new ReportWriter(dir, settings, { saveSettings: true }).write(done.slice(0, size)));
        times.push(ms(t0));
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      }
      scratch.push({ runs: size, ms: median(times), cpuMs: median(cpu) });
    }

    const tail = perRun.slice(-Math.max(1, Math.round(n / 10)));
    const tailCpu = perRunCpu.slice(-tail.length);
    const train = process.argv.includes('--no-train') ? undefined : await trainOneRun();
    const result = {
      runs: n, files,
      incremental: {
        meanMs: mean(perRun), medianMs: median(perRun), lastTenthMeanMs: mean(tail), maxMs: Math.max(...perRun),
        firstTenthMeanMs: mean(perRun.slice(0, tail.length)), totalSeconds: perRun.reduce((a, b) => a + b, 0) / 1000,
        cpu: { meanMs: mean(perRunCpu), firstTenthMeanMs: mean(perRunCpu.slice(0, tail.length)), lastTenthMeanMs: mean(tailCpu) },
      },
      fromScratch: scratch,
      train,
      fractionOfRun: train ? mean(tail) / 1000 / train.wallSeconds : undefined,
      cpuFractionOfRun: train ? mean(tailCpu) / 1000 / train.cpuSeconds : undefined,
      loadavg: { start: load0, end: loadavg() },
    };
    console.log(`Bookkeeping of a ${n}-run synthetic sweep (${files} report files; records from test/report-fixtures.ts, no training):`);
    console.log(`  incremental (the sweep's ReportWriter), per finished run: mean ${result.incremental.meanMs.toFixed(1)} ms, median ${result.incremental.medianMs.toFixed(1)} ms, ` +
      `first ${tail.length} runs ${result.incremental.firstTenthMeanMs.toFixed(1)} ms, last ${tail.length} runs ${result.incremental.lastTenthMeanMs.toFixed(1)} ms, max ${result.incremental.maxMs.toFixed(0)} ms; ` +
      `whole sweep ${result.incremental.totalSeconds.toFixed(1)} s`);
    console.log(`  the same in CPU time of this process: mean ${result.incremental.cpu.meanMs.toFixed(1)} ms, first ${tail.length} runs ` +
      `${result.incremental.cpu.firstTenthMeanMs.toFixed(1)} ms, last ${tail.length} runs ${result.incremental.cpu.lastTenthMeanMs.toFixed(1)} ms`);
    console.log(`  from scratch (a fresh report per run, as before): ${scratch.map((s) => `${s.runs} runs ${s.ms.toFixed(0)} ms (CPU ${s.cpuMs.toFixed(0)} ms)`).join(', ')}`);
    if (train) {
      console.log(`  one real run of configs/quick.yaml (baseline, seed 1, ${train.backend}): ${train.wallSeconds.toFixed(1)} s wall, ${train.trainSeconds.toFixed(1)} s training, ${train.cpuSeconds.toFixed(1)} s CPU`);
      console.log(`  → per-run bookkeeping at the end of the sweep = ${(100 * result.fractionOfRun!).toFixed(2)}% of a run's wall time ` +
        `(from scratch at ${n} runs: ${(100 * scratch[scratch.length - 1].ms / 1000 / train.wallSeconds).toFixed(1)}%); ` +
        `in CPU time ${(100 * result.cpuFractionOfRun!).toFixed(2)}% of the run's`);
    }
    console.log(`  load average: ${formatLoad(load0)} at start, ${formatLoad(result.loadavg.end)} at end`);
    const json = flag('json');
    if (json) writeFileSync(resolve(json), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void main();
