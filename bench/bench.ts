/**
 * `npm run bench`: training and evaluation throughput of the reference workloads on wasm (with --full: on every tfjs
 * backend that loads, forced wasm threads included), side by side with the same models in PyTorch (bench/torch_ref.py) when `import torch` works. Never a test.
 *
 *   npm run bench -- [--full] [--backends wasm,wasm-2proc] [--workloads A,B] [--rounds 2]
 *                    [--out FILE] [--no-torch] [--torch-python PATH] [--cpu-b] [--no-methods] [--no-bookkeeping]
 *                    [--no-optimizer] [--no-sweep] [--no-run] [--no-jobs] [--no-cost] [--sweep-epochs N] [--sweep-rounds R]
 *                    [--sweep-config FILE] [--sweep-torch-parallel 1,2] [--steps-only]
 *
 * After the step throughput, five whole-run measurements (each in its own child processes; --steps-only skips them):
 *   optimizer  kernel calls and CPU time per step of workload A, before (per-variable optimizer, copying saved
 *              tensors) and after (fused flat-buffer optimizer, shared saved tensors): bench/profile.ts, interleaved;
 *   sweep      a reduced paper config's whole wall time with `mixbench run`'s default flags (and with --jobs 2) against
 *              the same runs done the PyTorch way, one process per run (bench/sweep-compare.ts, bench/torch_run.py);
 *   run        one run end to end, samples/s of the whole process, mixbench vs PyTorch (bench/sweep-compare.ts);
 *   jobs       --jobs 2 ÷ --jobs 1 for 8 short runs, with start-up, per-run gaps and tail (bench/sweep.ts);
 *   cost       where one run's CPU time goes: training, evaluation, memorisation probe, diagnostics (bench/run-cost.ts).
 *
 * The wasm thread question is measured by two extra contenders: `wasm-threads` forces tfjs-backend-wasm's
 * multithreaded build with 2 threads (bench/wasm-threads.ts), and `wasm-2proc` runs two single-thread wasm
 * processes at once (what a 2-worker sweep does) and reports their summed throughput.
 *
 * Every measurement runs in a fresh child process (a tfjs process holds one backend), and contenders are interleaved
 * round by round so that load from other processes hits all of them alike; the table quotes medians over rounds.
 * Training throughput uses the real step (makeStepLoss + plainGradients + the project's AdamW) on batches prepared
 * up front, after warm-up steps, with one host sync per timed window.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { describeMachine, findTorchPython, flag, formatLoad, lastJsonLine, median, runNodeJson, torchEnv } from './util';
import { WORKLOADS, makeHarness, timeHarness, type Workload } from './workloads';

interface ChildResult {
  backend: string;
  workload: string;
  ok: boolean;
  error?: string;
  note?: string;
  threads?: number | null;
  params?: number;
  trainWindows?: number[];
  /** Samples per CPU-second of this process (all threads), per window. */
  trainCpuWindows?: number[];
  evalSamplesPerSec?: number;
  peakRssMb?: number;
  tensorsBefore?: number;
  tensorsAfter?: number;
  loadavg?: number[];
}

interface TorchSetting {
  label: string;
  threads: number;
  openblasThreads: number;
}

interface TorchResult {
  setting: TorchSetting;
  ok: boolean;
  error?: string;
  blas?: string[];
  torch?: string;
  workloads?: Record<string, { train: number[]; train_cpu: number[]; eval: number; params: number }>;
  loadavg?: number[];
}

const STEPS: Record<string, number> = { A: 30, B: 3, MLP: 100, TEXT: 30 };
const TORCH_SETTINGS: TorchSetting[] = [
  { label: 'torch 1 thread, OpenBLAS 1', threads: 1, openblasThreads: 1 },
  { label: 'torch 2 threads, OpenBLAS 1', threads: 2, openblasThreads: 1 },
  { label: 'torch 2 threads, OpenBLAS 2', threads: 2, openblasThreads: 2 },
];

/** The child: one backend, one workload; prints one JSON line. */
async function child(backend: string, workloadId: string, windows: number, stepsOverride?: number): Promise<ChildResult> {
  const res: ChildResult = { backend, workload: workloadId, ok: false };
  try {
    const { loadBackend } = await import('../src/backend');
    const { configureOps } = await import('../src/model/ops');
    const forced = backend === 'wasm-threads';
    if (forced) (await import('./wasm-threads')).forceWasmThreads(2);
    const info = await loadBackend((forced ? 'wasm' : backend) as 'wasm');
    if (forced) (await import('./wasm-threads')).afterWasmInit();
    configureOps(info.name);
    res.backend = forced ? 'wasm-threads' : info.name;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    res.threads = forced ? require('@tensorflow/tfjs-backend-wasm').getThreadsCount() : info.threads;
    const w = WORKLOADS.find((x) => x.id === workloadId);
    if (!w) throw new Error(`unknown workload ${workloadId}`);
    if (w.modality === 'text') w.vocabSize = textVocab();
    const steps = stepsOverride ?? STEPS[w.id];
    const evalN = info.name === 'cpu' ? 256 : 1024;
    const h = makeHarness(w, { evalN });
    res.params = h.model.parameterCount;
    const t = await timeHarness(h, w.batch, { warmup: Math.min(3, Math.max(1, steps)), steps, windows, evalN, evalBatch: 512, warmEval: info.name !== 'cpu' });
    Object.assign(res, t);
    h.dispose();
    res.ok = true;
  } catch (err) {
    res.error = String(err instanceof Error ? err.message : err).split('\n')[0];
  }
  res.peakRssMb = process.resourceUsage().maxRSS / 1024;
  res.loadavg = os.loadavg();
  return res;
}

let cachedVocab: number | undefined;
/** The spam-subjects vocabulary size when the dataset loads, else 2000. */
function textVocab(): number {
  if (cachedVocab !== undefined) return cachedVocab;
  cachedVocab = 2000;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadDataset } = require('../src/data/load');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { resolveDatasetEntry } = require('../src/data/spec');
    const ds = loadDataset(resolveDatasetEntry('spam-subjects'), 1);
    if (ds.vocabSize) cachedVocab = ds.vocabSize as number;
  } catch {
    /* keep the default */
  }
  return cachedVocab!;
}

function runChild(backend: string, workload: string, windows: number, steps?: number): ChildResult {
  const args = [__filename, '--child', backend, workload, String(windows)];
  if (steps !== undefined) args.push(String(steps));
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = lastJsonLine(r.stdout);
  if (!line) return { backend, workload, ok: false, error: (r.stderr || `exit ${r.status}`).trim().split('\n').slice(-1)[0] };
  return JSON.parse(line) as ChildResult;
}

/** Two single-thread wasm children at once; their windows are summed pairwise (aggregate throughput). */
async function runChildPair(workload: string, windows: number): Promise<ChildResult> {
  const one = async (): Promise<ChildResult> => {
    const r = await runNodeJson<ChildResult>([__filename, '--child', 'wasm', workload, String(windows)]);
    return 'backend' in r ? r : { backend: 'wasm', workload, ok: false, error: 'no output' };
  };
  const [a, b] = await Promise.all([one(), one()]);
  if (!a.ok || !b.ok) return { ...a, backend: 'wasm-2proc', ok: false, error: a.error ?? b.error };
  return {
    ...a, backend: 'wasm-2proc', threads: 1,
    trainWindows: a.trainWindows!.map((x, i) => x + (b.trainWindows![i] ?? 0)),
    trainCpuWindows: a.trainCpuWindows!.map((x, i) => x + (b.trainCpuWindows![i] ?? 0)),
    evalSamplesPerSec: a.evalSamplesPerSec! + b.evalSamplesPerSec!,
    peakRssMb: a.peakRssMb! + b.peakRssMb!,
    note: 'two single-thread processes at once: summed throughput, summed RSS',
  };
}

function runTorch(py: string, setting: TorchSetting, workloads: string[], windows: number): TorchResult {
  const env = torchEnv(setting.threads, setting.openblasThreads);
  const script = join(__dirname, '..', '..', 'bench', 'torch_ref.py');
  const r = spawnSync(py, [script, '--workloads', workloads.join(','), '--threads', String(setting.threads), '--windows', String(windows),
    '--text-vocab', String(textVocab())], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const line = lastJsonLine(r.stdout);
  if (r.status !== 0 || !line) return { setting, ok: false, error: (r.stderr || `exit ${r.status}`).trim().split('\n').slice(-1)[0] };
  const parsed = JSON.parse(line);
  return { setting, ok: true, blas: parsed.blas, torch: parsed.torch, workloads: parsed.workloads, loadavg: os.loadavg() };
}

function fmt(x: number | undefined, digits = 0): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits || 1);
}

async function parent(args: string[]): Promise<void> {
  // The default step table is what a run uses (one wasm process per core); --full adds the settled alternatives
  // (tfjs-node, forced wasm threads, the cpu backend) and the TEXT and MLP workloads, about three times as long.
  const full = args.includes('--full');
  const backends = (flag('backends', args) ?? (full ? 'tensorflow,wasm,wasm-threads,wasm-2proc,cpu' : 'wasm,wasm-2proc')).split(',').filter(Boolean);
  const workloads = (flag('workloads', args) ?? (full ? 'A,B,TEXT,MLP' : 'A,B')).split(',').filter(Boolean);
  const rounds = Number(flag('rounds', args) ?? (full ? 3 : 2));
  const out = resolve(flag('out', args) ?? 'bench-results.json');
  const useTorch = !args.includes('--no-torch');
  const cpuB = args.includes('--cpu-b');
  const started = new Date().toISOString();
  const machine = describeMachine({
    tfjs: (() => { try { return require('@tensorflow/tfjs-core/package.json').version as string; } catch { return 'unknown'; } })(),
  });
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, tfjs ${machine.tfjs}; load average ${formatLoad(machine.loadavgStart)}`);

  // Which backends load (a failed load is reported, not fatal).
  const live: string[] = [];
  const notes: string[] = [];
  for (const b of backends) {
    const probe = runChild(b === 'wasm-2proc' ? 'wasm' : b, 'MLP', 1, 1);
    if (probe.ok) live.push(b);
    else notes.push(`backend ${b}: not measured (${probe.error})`);
  }
  const py = useTorch ? findTorchPython(flag('torch-python', args)) : null;
  if (useTorch && !py) notes.push('PyTorch: not measured (`python3 -c "import torch"` failed; on Debian: apt-get install python3-torch libopenblas0-pthread)');
  if (!useTorch) notes.push('PyTorch: skipped (--no-torch)');

  const results: ChildResult[] = [];
  const torchResults: TorchResult[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const wid of workloads) {
      for (const b of live) {
        const slow = b === 'cpu';
        if (slow && wid === 'B' && !cpuB) {
          if (round === 0) notes.push('cpu backend, workload B: skipped (~2 samples/s, a step takes ~30 s; pass --cpu-b)');
          continue;
        }
        if (slow && round > 0) continue; // the cpu backend is a last resort: one round, short windows
        const steps = slow ? Math.max(1, Math.round(STEPS[wid] / 10)) : undefined;
        const r = b === 'wasm-2proc' ? await runChildPair(wid, 3) : runChild(b, wid, slow ? 1 : 3, steps);
        results.push(r);
        console.error(`  round ${round + 1} ${wid} ${b}: ${r.ok ? `${fmt(median(r.trainWindows!))} samples/s` : r.error} (load ${r.loadavg?.[0]?.toFixed(2)})`);
      }
      if (py) {
        for (const s of TORCH_SETTINGS) {
          const t = runTorch(py, s, [wid], 3);
          torchResults.push(t);
          const w = t.workloads?.[wid];
          console.error(`  round ${round + 1} ${wid} ${s.label}: ${t.ok && w ? `${fmt(median(w.train))} samples/s` : t.error} (load ${t.loadavg?.[0]?.toFixed(2) ?? '?'})`);
        }
      }
    }
  }

  // Summaries: median over all timed windows of all rounds.
  interface Row {
    workload: string; backend: string; trainSamplesPerSec: number; trainSamplesPerCpuSec: number; evalSamplesPerSec: number; peakRssMb: number;
    tensorsBefore?: number; tensorsAfter?: number; params?: number; windows: number[]; loadavg: number[][];
    torchBest?: { setting: string; trainSamplesPerSec: number; trainSamplesPerCpuSec: number; evalSamplesPerSec: number }; ratio?: number;
    /** Ratio of samples per CPU-second against PyTorch 1 thread (both single-threaded: robust to machine load). */
    cpuRatio1?: number;
  }
  const rows: Row[] = [];
  type Best = { setting: string; trainSamplesPerSec: number; trainSamplesPerCpuSec: number; evalSamplesPerSec: number };
  const torchBest = new Map<string, Best & { all: Record<string, number>; cpu1?: number }>();
  for (const wid of workloads) {
    const all: Record<string, number> = {};
    let best: Best | undefined;
    let cpu1: number | undefined;
    for (const s of TORCH_SETTINGS) {
      const rs = torchResults.filter((t) => t.setting === s && t.ok && t.workloads?.[wid]);
      if (!rs.length) continue;
      const train = median(rs.flatMap((t) => t.workloads![wid].train));
      const trainCpu = median(rs.flatMap((t) => t.workloads![wid].train_cpu));
      const ev = median(rs.map((t) => t.workloads![wid].eval));
      all[s.label] = train;
      if (s.threads === 1) cpu1 = trainCpu;
      if (!best || train > best.trainSamplesPerSec) best = { setting: s.label, trainSamplesPerSec: train, trainSamplesPerCpuSec: trainCpu, evalSamplesPerSec: ev };
    }
    if (best) torchBest.set(wid, { ...best, all, cpu1 });
    for (const b of live) {
      const rs = results.filter((r) => r.workload === wid && r.ok && r.backend === b);
      if (!rs.length) continue;
      const train = median(rs.flatMap((r) => r.trainWindows!));
      const row: Row = {
        workload: wid, backend: rs[0].backend, trainSamplesPerSec: train, trainSamplesPerCpuSec: median(rs.flatMap((r) => r.trainCpuWindows!)), evalSamplesPerSec: median(rs.map((r) => r.evalSamplesPerSec!)),
        peakRssMb: Math.max(...rs.map((r) => r.peakRssMb!)), tensorsBefore: rs[0].tensorsBefore, tensorsAfter: rs[0].tensorsAfter,
        params: rs[0].params, windows: rs.flatMap((r) => r.trainWindows!), loadavg: rs.map((r) => r.loadavg!),
      };
      if (best) { row.torchBest = best; row.ratio = train / best.trainSamplesPerSec; }
      if (cpu1 && (b === 'wasm' || b === 'cpu')) row.cpuRatio1 = row.trainSamplesPerCpuSec / cpu1;
      rows.push(row);
    }
  }

  const header = ['workload', 'backend', 'train samples/s', 'eval samples/s', 'peak RSS MB', 'tensors before→after', 'PyTorch best train', '÷ PyTorch',
    'per CPU-s ÷ PyTorch 1-thread'];
  const lines = rows.map((r) => [
    r.workload, r.backend, fmt(r.trainSamplesPerSec), fmt(r.evalSamplesPerSec), fmt(r.peakRssMb), `${r.tensorsBefore}→${r.tensorsAfter}`,
    r.torchBest ? `${fmt(r.torchBest.trainSamplesPerSec)} (${r.torchBest.setting})` : '–', r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '–',
    r.cpuRatio1 !== undefined ? `${r.cpuRatio1.toFixed(2)}×` : '–',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const show = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log('');
  console.log(show(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(show(l));
  if (torchBest.size) {
    console.log('');
    console.log('PyTorch train samples/s by thread setting (medians):');
    for (const [wid, b] of torchBest) console.log(`  ${wid}: ${Object.entries(b.all).map(([k, v]) => `${k} ${fmt(v)}`).join('; ')}`);
    const blas = torchResults.find((t) => t.ok)?.blas;
    console.log(`  BLAS loaded by PyTorch: ${blas?.length ? blas.join(', ') : 'none found in /proc/self/maps'}; OPENBLAS_CORETYPE unset for PyTorch only`);
  }
  // Step-time ratios of every method vs baseline: bench/methods.ts (the methods' own benchmark), when present.
  let methods: { command: string; output: string[] } | null = null;
  const methodsJs = join(__dirname, 'methods.js');
  if (!args.includes('--no-methods') && existsSync(methodsJs) && live.includes('wasm')) {
    const margs = [methodsJs, '--repeats', '5', '--steps', '4', '--clock', 'cpu', '--backend', 'wasm'];
    const r = spawnSync(process.execPath, margs, { encoding: 'utf8', maxBuffer: 1 << 24 });
    const output = `${r.stdout}`.trim().split('\n');
    methods = { command: `node ${margs.map((a) => a.replace(`${__dirname}/`, 'dist/bench/')).join(' ')}`, output };
    console.log('');
    console.log(`Method step time ÷ baseline (wasm, workload A; ${methods.command}):`);
    for (const l of output) console.log(`  ${l}`);
    if (r.status !== 0) notes.push(`bench/methods.ts exited with ${r.status}: ${`${r.stderr}`.trim().split('\n').pop()}`);
  } else if (!args.includes('--no-methods')) {
    notes.push('method step-time ratios: not measured (dist/bench/methods.js or the wasm backend missing)');
  }
  // A sweep's bookkeeping per finished run (records, report) for 500 synthetic runs: bench/bookkeeping.ts.
  let bookkeeping: { output: string[]; result: unknown } | null = null;
  const bookkeepingJs = join(__dirname, 'bookkeeping.js');
  if (!args.includes('--no-bookkeeping') && existsSync(bookkeepingJs)) {
    const json = `${out}.bookkeeping.tmp`;
    const r = spawnSync(process.execPath, [bookkeepingJs, '--runs', '500', '--json', json], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const output = `${r.stdout}`.trim().split('\n');
    console.log('');
    for (const l of output) console.log(l);
    if (r.status === 0 && existsSync(json)) {
      bookkeeping = { output, result: JSON.parse(readFileSync(json, 'utf8')) };
      rmSync(json);
    } else notes.push(`bench/bookkeeping.ts exited with ${r.status}: ${`${r.stderr}`.trim().split('\n').pop()}`);
  }
  const whole = args.includes('--steps-only') ? {} : wholeRunSections(args, py, out, notes);
  for (const n of notes) console.log(`note: ${n}`);
  const loadEnd = os.loadavg();
  summary(machine.cpu, machine.cores, machine.loadavgStart, loadEnd, whole);
  console.log(`load average at end: ${formatLoad(loadEnd)} (shared machine: treat ratios, not absolute values, as the result)`);

  const doc = {
    started, finished: new Date().toISOString(), machine: { ...machine, loadavgEnd: loadEnd }, rounds, workloads: WORKLOADS.filter((w) => workloads.includes(w.id)).map((w: Workload) => ({ id: w.id, description: w.description })),
    rows, torch: torchResults.length ? { python: py, runs: torchResults } : null, methods, bookkeeping, ...whole, notes, raw: results,
  };
  writeFileSync(out, JSON.stringify(doc, null, 2));
  console.log(`JSON: ${out}`);
}

/** The three whole-run comparisons of issue 15 together, with the machine they were measured on. */
function summary(cpu: string, cores: number, loadStart: number[], loadEnd: number[], whole: Record<string, unknown>): void {
  const w = whole as {
    run?: { ratio: number; cpuRatio: number };
    sweep?: { ratio: number; ratioJobs2?: number; cpuRatio: number; runs: number; epochs: number };
    jobs?: { ratio: number; idleBound: number; independent?: { ratio: number } };
  };
  if (!w.run && !w.sweep && !w.jobs) return;
  const x = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'not measured' : `${v.toFixed(2)}×`);
  console.log('');
  console.log(`Summary on ${cpu}, ${cores} cores (load average ${loadStart[0].toFixed(1)} at start, ${loadEnd[0].toFixed(1)} at end):`);
  console.log(`  one run end to end, mixbench ÷ PyTorch samples/s:            ${x(w.run?.ratio)} wall, ${x(w.run?.cpuRatio)} per CPU second (target ≥ 0.5×)`);
  console.log(`  reduced paper sweep, PyTorch one-process-per-run ÷ mixbench: ${x(w.sweep?.ratio)} wall (--jobs 2: ${x(w.sweep?.ratioJobs2)}), ${x(w.sweep?.cpuRatio)} CPU seconds (target ≥ 1.0×)`);
  console.log(`  --jobs 2 ÷ --jobs 1, 8 runs × 3 epochs at dim 32:            ${x(w.jobs?.ratio)} wall, ${x(w.jobs?.idleBound)} from CPU time (target ≥ 1.8×); ` +
    `two independent processes reach ${x(w.jobs?.independent?.ratio)} here`);
}

/** Run a bench script as a child with `--json FILE`; its parsed result, or null (a note says why). */
function jsonChild(script: string, argv: string[], out: string, notes: string[], what: string): unknown {
  const json = `${out}.${what}.tmp`;
  const r = spawnSync(process.execPath, [join(__dirname, script), ...argv, '--json', json], { encoding: 'utf8', maxBuffer: 1 << 26 });
  for (const l of `${r.stderr}`.trim().split('\n')) if (l.startsWith('  ') || l.startsWith('--jobs')) console.error(l);
  if (r.status !== 0 || !existsSync(json)) {
    notes.push(`${what}: bench/${script.replace(/\.js$/, '.ts')} exited with ${r.status}: ${`${r.stderr}`.trim().split('\n').pop()}`);
    return null;
  }
  const parsed = JSON.parse(readFileSync(json, 'utf8'));
  rmSync(json);
  return parsed;
}

interface ProfileSummary { callsPerStep: number; cpuMs: number; phases: Record<string, { calls: number; kernelCpuMs: number }> }

/** The issue-15 measurements: optimizer before/after, whole sweep and one run vs PyTorch, --jobs scaling, run cost. */
function wholeRunSections(args: string[], py: string | null, out: string, notes: string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const torchArgs = py ? ['--torch-python', py] : ['--no-torch'];
  if (!args.includes('--no-optimizer')) {
    // Interleaved rounds of the "before" and "after" step; kernel calls are exact, CPU ms are medians.
    const before: ProfileSummary[] = [];
    const after: ProfileSummary[] = [];
    for (let r = 0; r < 3; r++) {
      for (const [list, extra] of [[before, ['--optimizer', 'per-variable', '--copy-saved']], [after, ['--optimizer', 'fused']]] as const) {
        const p = spawnSync(process.execPath, [join(__dirname, 'profile.js'), 'A', 'wasm', '20', ...extra, '--json'], { encoding: 'utf8' });
        const line = lastJsonLine(`${p.stdout}`);
        if (line) list.push(JSON.parse(line) as ProfileSummary);
      }
    }
    if (before.length && after.length) {
      const row = (xs: ProfileSummary[]) => ({
        callsPerStep: xs[0].callsPerStep, optimizerCalls: xs[0].phases.optimizer?.calls, cpuMsPerStep: median(xs.map((x) => x.cpuMs)),
        optimizerKernelCpuMs: median(xs.map((x) => x.phases.optimizer?.kernelCpuMs ?? NaN)),
      });
      result.optimizer = { before: row(before), after: row(after), load: os.loadavg() };
      const b = row(before);
      const a = row(after);
      console.log('');
      console.log(`Workload A step on wasm, before → after (per-variable optimizer and copied saved tensors → fused flat-buffer optimizer and shared saved tensors; bench/profile.ts, 3 interleaved rounds):`);
      console.log(`  kernel calls per step ${b.callsPerStep} → ${a.callsPerStep} (optimizer ${b.optimizerCalls} → ${a.optimizerCalls}); CPU ms per step ${b.cpuMsPerStep.toFixed(1)} → ${a.cpuMsPerStep.toFixed(1)} (${(b.cpuMsPerStep / a.cpuMsPerStep).toFixed(2)}×)`);
    } else notes.push('optimizer before/after: bench/profile.ts failed');
  }
  const epochs = flag('sweep-epochs', args);
  const rounds = flag('sweep-rounds', args) ?? '1';
  const config = flag('sweep-config', args);
  const what = ['sweep', 'run'].filter((w) => !args.includes(`--no-${w}`));
  if (what.length) {
    const parallel = flag('sweep-torch-parallel', args);
    const argv = ['--what', what.join(','), '--rounds', rounds, ...torchArgs, ...(epochs ? ['--epochs', epochs] : []), ...(config ? ['--config', config] : []),
      ...(parallel ? ['--torch-parallel', parallel] : [])];
    const r = jsonChild('sweep-compare.js', argv, out, notes, 'sweep') as {
      sweep?: {
        config: string; runs: number; epochs: number; best: string; ratio: number; ratioJobs2?: number; cpuRatio: number;
        mixbench: { label: string; seconds: number; cpuSeconds: number; peakRssMb?: number }[]; torch: { label: string; seconds: number; cpuSeconds: number }[];
      };
      run?: { mixbenchSamplesPerSec: number; torchSamplesPerSec: number; ratio: number; cpuRatio: number; samples: number };
    } | null;
    if (r) {
      Object.assign(result, r);
      console.log('');
      if (r.sweep) {
        console.log(`Whole sweep: ${r.sweep.config.replace(/^.*?configs\//, 'configs/')}${epochs ? ` shortened to ${r.sweep.epochs} epochs` : ''} (${r.sweep.runs} runs), wall seconds (median of rounds):`);
        const labels = [...new Set([...r.sweep.mixbench, ...r.sweep.torch].map((t) => t.label))];
        const all = [...r.sweep.mixbench, ...r.sweep.torch] as { label: string; seconds: number; cpuSeconds: number; peakRssMb?: number }[];
        for (const l of labels) {
          const ts = all.filter((t) => t.label === l);
          const rss = ts.map((t) => t.peakRssMb).filter((x): x is number => x !== undefined);
          console.log(`  ${l}: ${median(ts.map((t) => t.seconds)).toFixed(1)} s wall, ${median(ts.map((t) => t.cpuSeconds)).toFixed(1)} CPU s${rss.length ? `, largest process ${Math.max(...rss).toFixed(0)} MB` : ''}`);
        }
        console.log(`  PyTorch best (${r.sweep.best}) ÷ mixbench default flags = ${r.sweep.ratio.toFixed(2)}×${r.sweep.ratioJobs2 ? `; ÷ mixbench --jobs 2 = ${r.sweep.ratioJobs2.toFixed(2)}×` : ''} (≥ 1: mixbench is as fast); CPU seconds ${r.sweep.cpuRatio.toFixed(2)}×`);
      }
      if (r.run) console.log(`One run end to end (configs/quick.yaml model, 15 epochs): mixbench ${fmt(r.run.mixbenchSamplesPerSec)} samples/s, PyTorch ${fmt(r.run.torchSamplesPerSec)} samples/s: ${r.run.ratio.toFixed(2)}× (per CPU second, against PyTorch at 1 thread: ${r.run.cpuRatio.toFixed(2)}×)`);
    }
  }
  if (!args.includes('--no-jobs')) {
    const r = jsonChild('sweep.js', ['--runs', '8', '--epochs', '3', '--jobs', '2', '--backend', 'wasm'], out, notes, 'jobs') as {
      ratio: number; idleBound: number; cpuSecondsPerRun: Record<string, number>; timings: { jobs: number; startupSeconds: number; gapSeconds: number; gaps: number; tailSeconds: number; load: number[] }[];
      independent: { seconds: number[]; ratio: number };
    } | null;
    if (r) {
      result.jobs = r;
      console.log('');
      console.log(`--jobs 2 ÷ --jobs 1, 8 runs × 3 epochs at dim 32 (bench/sweep.ts): ${r.ratio.toFixed(2)}× wall; ${r.idleBound.toFixed(2)}× from CPU time (what an idle machine allows)`);
      console.log(`  the machine's ceiling: two independent --jobs 1 sweeps at once ÷ one = ${r.independent.ratio.toFixed(2)}× (${(100 * r.ratio / r.independent.ratio).toFixed(0)}% of it reached by --jobs 2)`);
      for (const t of r.timings) {
        console.log(`  --jobs ${t.jobs}: start-up ${t.startupSeconds.toFixed(2)} s, ${(1000 * t.gapSeconds / Math.max(1, t.gaps)).toFixed(0)} ms between runs, tail ${t.tailSeconds.toFixed(2)} s; CPU s per run ${r.cpuSecondsPerRun[`jobs${t.jobs}`].toFixed(2)} (load ${t.load.map((l) => l.toFixed(1)).join(' → ')})`);
      }
    }
  }
  if (!args.includes('--no-cost')) {
    const r = jsonChild('run-cost.js', ['--runs', '2', ...(epochs ? ['--epochs', epochs] : []), ...(config ? ['--config', config] : [])], out, notes, 'cost') as {
      runs: { id: string; noise: string; seconds: Record<string, number>; shares: Record<string, number> }[];
    } | null;
    if (r) {
      result.cost = r;
      console.log('');
      console.log('Where a run\'s CPU time goes (bench/run-cost.ts):');
      for (const run of r.runs) {
        console.log(`  ${run.id} (noise ${run.noise}, ${run.seconds.total.toFixed(1)} CPU s): ${Object.entries(run.shares).map(([k, v]) => `${k} ${(100 * v).toFixed(1)}%`).join(', ')}`);
      }
    }
  }
  return result;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const r = await child(args[1], args[2], Number(args[3] ?? 3), args[4] !== undefined ? Number(args[4]) : undefined);
    // Exit explicitly: the forced-threads build leaves pthread workers that keep the event loop alive.
    process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0));
    return;
  }
  await parent(args);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

