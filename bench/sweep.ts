/**
 * Sweep throughput: the same small sweep with `--jobs 1` and `--jobs N` (default 2), each a fresh `mixbench run`
 * subprocess into an empty directory, timed end to end (process start, backend load, training, tables). Reports runs
 * per minute and the ratio, the machine's cores and load average (a shared machine skews the ratio), and checks that
 * both sweeps computed the same accuracies.
 *
 *   npx tsc -p . && node dist/bench/sweep.js [--runs 8] [--epochs 3] [--jobs 2] [--backend cpu|wasm] [--repeat 1] [--limit 600]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const runs = Number(arg('runs', '8'));
const epochs = Number(arg('epochs', '3'));
const jobs = Number(arg('jobs', '2'));
const backend = arg('backend', 'cpu');
const repeat = Number(arg('repeat', '1'));
const limit = Number(arg('limit', '600'));
const CLI = join(__dirname, '..', '..', 'bin', 'mixbench.js');

const dir = mkdtempSync(join(tmpdir(), 'mixbench-bench-sweep-'));
const seeds = Array.from({ length: Math.ceil(runs / 2) }, (_, i) => i + 1);
const config = join(dir, 'bench.yaml');
writeFileSync(
  config,
  `name: bench-sweep
seeds: [${seeds.join(', ')}]
datasets: [{name: digits, limit: ${limit}}]
methods: [baseline, {mixup: {alpha: 1}}]
model: {type: transformer, dim: 32, depth: 1, heads: 2, mlpDim: 64, patch: 2}
train: {epochs: ${epochs}, batchSize: 32}
backend: ${backend}
`,
);

interface Timing {
  jobs: number;
  seconds: number;
  /** User + system CPU seconds of the sweep and all its worker processes (bash `times`, i.e. RUSAGE_CHILDREN). */
  cpuSeconds: number;
  runs: number;
  load: number[];
}

function seconds(t: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(t);
  return m ? 60 * Number(m[1]) + Number(m[2]) : Number.NaN;
}

function sweep(j: number, k: number): Timing {
  const out = join(dir, `out-j${j}-${k}`);
  const load0 = loadavg()[0];
  const t0 = process.hrtime.bigint();
  const q = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;
  const cmd = `${q(process.execPath)} ${q(CLI)} run ${q(config)} -o ${q(out)} --jobs ${j} -q >/dev/null; s=$?; times; exit $s`;
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`mixbench run --jobs ${j} exited ${r.status}: ${r.stderr}`);
  const children = r.stdout.trim().split('\n').pop()!.trim().split(/\s+/);
  const cpuSeconds = seconds(children[0]) + seconds(children[1]);
  const csv = readFileSync(join(out, 'runs.csv'), 'utf8').trim().split('\n');
  return { jobs: j, seconds: wall, cpuSeconds, runs: csv.length - 1, load: [load0, loadavg()[0]] };
}

function accuracies(j: number, k: number): string {
  const lines = readFileSync(join(dir, `out-j${j}-${k}`, 'runs.csv'), 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  const cols = ['run_id', 'best_acc', 'last_acc'].map((c) => head.indexOf(c));
  return lines.slice(1).map((l) => cols.map((i) => l.split(',')[i]).join(',')).join('\n');
}

const timings: Timing[] = [];
for (let k = 0; k < repeat; k++) {
  // Alternate the order so that a drift in machine load does not favour one side.
  const order = k % 2 === 0 ? [1, jobs] : [jobs, 1];
  for (const j of order) {
    const t = sweep(j, k);
    timings.push(t);
    process.stderr.write(
      `--jobs ${j}: ${t.runs} runs in ${t.seconds.toFixed(1)} s wall, ${t.cpuSeconds.toFixed(1)} CPU-s (${(t.cpuSeconds / t.seconds).toFixed(2)} cores busy; ` +
        `load average ${t.load.map((x) => x.toFixed(2)).join(' → ')})\n`,
    );
  }
  if (accuracies(1, k) !== accuracies(jobs, k)) throw new Error('the two sweeps computed different accuracies');
}

const total = (j: number) =>
  timings.filter((t) => t.jobs === j).reduce((a, t) => ({ s: a.s + t.seconds, cpu: a.cpu + t.cpuSeconds, n: a.n + t.runs }), { s: 0, cpu: 0, n: 0 });
const one = total(1);
const many = total(jobs);
const perMin = (x: { s: number; n: number }) => (60 * x.n) / x.s;
const result = {
  backend,
  runs: timings[0].runs,
  epochs,
  limit,
  repeat,
  cores: cpus().length,
  cpu: cpus()[0]?.model,
  loadAverageDuring: timings.map((t) => t.load),
  runsPerMinute: { jobs1: perMin(one), [`jobs${jobs}`]: perMin(many) },
  ratio: perMin(many) / perMin(one),
  cpuSecondsPerRun: { jobs1: one.cpu / one.n, [`jobs${jobs}`]: many.cpu / many.n },
  coresBusy: { jobs1: one.cpu / one.s, [`jobs${jobs}`]: many.cpu / many.s },
  /**
   * What an idle machine would give if the workers' runs balanced perfectly: min(jobs, cores) × (CPU per run with one
   * process) / (CPU per run with N). An upper bound; it measures the per-run overhead of the workers, not contention.
   */
  idleBound: (Math.min(jobs, cpus().length) * (one.cpu / one.n)) / (many.cpu / many.n),
  sameAccuracies: true,
};
process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
process.stderr.write(
  `throughput --jobs ${jobs} / --jobs 1 = ${result.ratio.toFixed(2)}× on ${result.cores} cores (${backend}); idle-machine bound from CPU time ${result.idleBound.toFixed(2)}×; ` +
    `load average during the runs ${Math.min(...timings.flatMap((t) => t.load)).toFixed(1)}–${Math.max(...timings.flatMap((t) => t.load)).toFixed(1)}` +
    `${Math.max(...timings.flatMap((t) => t.load)) > 0.5 * result.cores ? ' — the machine was busy with other processes: they compete with the sweep, and N workers also win a larger share of the CPU than one, so this ratio is not an idle machine\'s (measure on an idle machine for the real figure)' : ''}\n`,
);
rmSync(dir, { recursive: true, force: true });
