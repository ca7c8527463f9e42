/**
 * Sweep throughput: the same small sweep with `--jobs 1` and `--jobs N` (default 2), each a fresh `mixbench run`
 * subprocess into an empty directory, timed end to end (process start, backend load, training, tables). Reports runs
 * per minute and the ratio, the machine's cores and load average (a shared machine skews the ratio), and checks that
 * both sweeps computed the same accuracies. Where the time goes besides training comes from the sweep's own NDJSON
 * events (`--json`), time-stamped as they arrive: start-up (process start to the first run starting), each worker's
 * runs, the gaps between one run's end and the worker's next run (the parent's per-run bookkeeping: reading the
 * record, rewriting the tables, handing out the next run), and the tail (last run's end to exit). The machine's own
 * ceiling is measured beside them: N independent `--jobs 1` sweeps started together (nothing shared but the machine).
 *
 *   npx tsc -p . && node dist/bench/sweep.js [--runs 8] [--epochs 3] [--jobs 2] [--backend wasm|cpu] [--repeat 1]
 *                                            [--limit 600] [--json FILE]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, childCpuSeconds, CLI, shellQuote as q } from './util';

export interface SweepTiming {
  jobs: number;
  seconds: number;
  /** User + system CPU seconds of the sweep and all its worker processes (bash `times`, i.e. RUSAGE_CHILDREN). */
  cpuSeconds: number;
  runs: number;
  load: number[];
  /** Process start to the first run starting (imports, config, data check, backend or worker start-up). */
  startupSeconds: number;
  /** Sum over runs of run_started → run_finished as the parent saw it. */
  runSeconds: number;
  /** Sum over workers of the gaps between a run's end and the same worker's next run. */
  gapSeconds: number;
  gaps: number;
  /** Last run finished → process exit (final tables). */
  tailSeconds: number;
}

interface Event { type: string; worker?: number; t: number }

function sweepOnce(config: string, out: string, j: number): Promise<SweepTiming> {
  const cmd = `${q(process.execPath)} ${q(CLI)} run ${q(config)} -o ${q(out)} --jobs ${j} --json; s=$?; times >&2; exit $s`;
  const load0 = loadavg()[0];
  const t0 = process.hrtime.bigint();
  const at = () => Number(process.hrtime.bigint() - t0) / 1e9;
  return new Promise((done, fail) => {
    const p = spawn('bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    const events: Event[] = [];
    let buf = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line) as { type: string; worker?: number };
        events.push({ type: e.type, worker: e.worker, t: at() });
      }
    });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => {
      const seconds = at();
      if (code !== 0) return fail(new Error(`mixbench run --jobs ${j} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      const started = events.filter((e) => e.type === 'run_started');
      const finished = events.filter((e) => e.type === 'run_finished');
      let runSeconds = 0;
      let gapSeconds = 0;
      let gaps = 0;
      for (const w of new Set(started.map((e) => e.worker))) {
        const s = started.filter((e) => e.worker === w);
        const f = finished.filter((e) => e.worker === w);
        s.forEach((e, i) => { if (f[i]) runSeconds += f[i].t - e.t; });
        for (let i = 1; i < s.length; i++) if (f[i - 1]) { gapSeconds += s[i].t - f[i - 1].t; gaps += 1; }
      }
      const csv = readFileSync(join(out, 'runs.csv'), 'utf8').trim().split('\n');
      done({
        jobs: j, seconds, cpuSeconds: childCpuSeconds(stderr), runs: csv.length - 1, load: [load0, loadavg()[0]],
        startupSeconds: started.length ? started[0].t : NaN, runSeconds, gapSeconds, gaps,
        tailSeconds: finished.length ? seconds - finished[finished.length - 1].t : NaN,
      });
    });
  });
}

function accuracies(out: string): string {
  const lines = readFileSync(join(out, 'runs.csv'), 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  const cols = ['run_id', 'best_acc', 'last_acc'].map((c) => head.indexOf(c));
  return lines.slice(1).map((l) => cols.map((i) => l.split(',')[i]).join(',')).join('\n');
}

export interface JobsResult {
  backend: string; runs: number; epochs: number; limit: number; repeat: number; cores: number; cpu: string | undefined;
  timings: SweepTiming[]; runsPerMinute: Record<string, number>; ratio: number; cpuSecondsPerRun: Record<string, number>;
  /** min(jobs, cores) × CPU per run with one process ÷ CPU per run with N: the ratio an idle machine would allow. */
  idleBound: number; sameAccuracies: boolean;
  /**
   * The machine's own ceiling: N independent `--jobs 1` sweeps of the same runs started together (each its own
   * process, nothing shared), their runs per minute ÷ one sweep's. Below N where the cores slow each other down
   * (shared caches, memory bandwidth, a virtual machine's scheduling).
   */
  independent: { seconds: number[]; ratio: number };
}

/** N `--jobs 1` sweeps of the same config at once, each into its own directory: the wall time of each. */
async function independentSweeps(config: string, dir: string, n: number, k: number): Promise<number[]> {
  const timings = await Promise.all(Array.from({ length: n }, (_, i) => sweepOnce(config, join(dir, `out-independent-${k}-${i}`), 1)));
  return timings.map((t) => t.seconds);
}

export async function measureJobs(opts: { runs: number; epochs: number; jobs: number; backend: string; repeat: number; limit: number; log: (s: string) => void }): Promise<JobsResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mixbench-bench-sweep-'));
  try {
    const seeds = Array.from({ length: Math.ceil(opts.runs / 2) }, (_, i) => i + 1);
    const config = join(dir, 'bench.yaml');
    writeFileSync(config, `name: bench-sweep
seeds: [${seeds.join(', ')}]
datasets: [{name: digits, limit: ${opts.limit}}]
methods: [baseline, {mixup: {alpha: 1}}]
model: {type: transformer, dim: 32, depth: 1, heads: 2, mlpDim: 64, patch: 2}
train: {epochs: ${opts.epochs}, batchSize: 32}
backend: ${opts.backend}
`);
    const timings: SweepTiming[] = [];
    const independent: number[] = [];
    let same = true;
    for (let k = 0; k < opts.repeat; k++) {
      // Alternate the order so that a drift in machine load does not favour one side.
      const order = k % 2 === 0 ? [1, opts.jobs, 0] : [0, opts.jobs, 1];
      for (const j of order) {
        if (j === 0) {
          const seconds = await independentSweeps(config, dir, opts.jobs, k);
          independent.push(Math.max(...seconds));
          opts.log(`${opts.jobs} independent --jobs 1 sweeps at once: ${seconds.map((x) => x.toFixed(1)).join(' s, ')} s wall`);
          continue;
        }
        const t = await sweepOnce(config, join(dir, `out-j${j}-${k}`), j);
        timings.push(t);
        opts.log(`--jobs ${j}: ${t.runs} runs in ${t.seconds.toFixed(1)} s wall, ${t.cpuSeconds.toFixed(1)} CPU-s; start-up ${t.startupSeconds.toFixed(2)} s, ` +
          `gaps between runs ${(t.gapSeconds / Math.max(1, t.gaps) * 1000).toFixed(0)} ms each, tail ${t.tailSeconds.toFixed(2)} s (load ${t.load.map((x) => x.toFixed(2)).join(' → ')})`);
      }
      if (accuracies(join(dir, `out-j1-${k}`)) !== accuracies(join(dir, `out-j${opts.jobs}-${k}`))) same = false;
    }
    const total = (j: number) =>
      timings.filter((t) => t.jobs === j).reduce((a, t) => ({ s: a.s + t.seconds, cpu: a.cpu + t.cpuSeconds, n: a.n + t.runs }), { s: 0, cpu: 0, n: 0 });
    const one = total(1);
    const many = total(opts.jobs);
    const perMin = (x: { s: number; n: number }) => (60 * x.n) / x.s;
    return {
      backend: opts.backend, runs: timings[0].runs, epochs: opts.epochs, limit: opts.limit, repeat: opts.repeat, cores: cpus().length, cpu: cpus()[0]?.model,
      timings, runsPerMinute: { jobs1: perMin(one), [`jobs${opts.jobs}`]: perMin(many) }, ratio: perMin(many) / perMin(one),
      cpuSecondsPerRun: { jobs1: one.cpu / one.n, [`jobs${opts.jobs}`]: many.cpu / many.n },
      idleBound: (Math.min(opts.jobs, cpus().length) * (one.cpu / one.n)) / (many.cpu / many.n), sameAccuracies: same,
      independent: { seconds: independent, ratio: (opts.jobs * independent.length * one.s) / (timings.filter((t) => t.jobs === 1).length * independent.reduce((a, b) => a + b, 0)) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const jobs = Number(arg('jobs', '2'));
  const result = await measureJobs({
    runs: Number(arg('runs', '8')), epochs: Number(arg('epochs', '3')), jobs, backend: arg('backend', 'wasm'),
    repeat: Number(arg('repeat', '1')), limit: Number(arg('limit', '600')), log,
  });
  if (!result.sameAccuracies) throw new Error('the two sweeps computed different accuracies');
  const loads = result.timings.flatMap((t) => t.load);
  log(`throughput --jobs ${jobs} / --jobs 1 = ${result.ratio.toFixed(2)}× on ${result.cores} cores (${result.backend}); idle-machine bound from CPU time ${result.idleBound.toFixed(2)}×; ` +
    `${jobs} independent --jobs 1 sweeps at once / one = ${result.independent.ratio.toFixed(2)}× (the machine's ceiling for ${jobs} processes); ` +
    `load average during the runs ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` +
    `${Math.max(...loads) > 0.5 * result.cores ? ' — the machine was busy with other processes: they compete with the sweep, and N workers also win a larger share of the CPU than one, so the wall-time ratio is not an idle machine\'s; the CPU-time bound is the robust figure' : ''}`);
  const out = arg('json', '');
  if (out) writeFileSync(out, JSON.stringify(result, null, 1));
  else process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
