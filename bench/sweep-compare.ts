/**
 * Whole-sweep and one-run wall time against PyTorch, side by side and interleaved (part of `npm run bench`):
 *
 *   node dist/bench/sweep-compare.js [--config configs/papers/reduced/mixup-label-noise-small.yaml] [--epochs N]
 *        [--rounds 1] [--what sweep,run] [--torch-parallel 1,2] [--torch-python PATH] [--json FILE]
 *        [-- extra mixbench run flags]
 *
 * sweep: `mixbench run CONFIG` with the default flags (a fresh output directory each round; process start to exit)
 *   against the same runs done the way a PyTorch user would: bench/torch_run.py once per run, one process per run,
 *   either one process at a time (torch 2 threads, OpenBLAS 1) or two at a time (1 thread each) — the table takes the
 *   better of the two (`--torch-parallel 2` measures only the second). Each PyTorch run trains on exactly the data of its mixbench run (training split after its
 *   label noise, written to a file by this script), with the same model, epochs, batch size, optimizer and schedule,
 *   mixup draws for mixup arms, the test set evaluated after every epoch, the memorisation probe of noisy runs after
 *   every epoch, and the over-smoothing diagnostic at the end. `--epochs N` runs a shortened copy of the config.
 * run: one run end to end (the digits ViT of configs/quick.yaml, baseline, seed 1, 15 epochs): samples trained per
 *   second of the whole process (start, data, training, evaluation, diagnostics, record) for `mixbench run` and
 *   bench/torch_run.py (its better thread setting).
 * Prints the machine, the load average before and after each contender, and the ratios (≥ 1: mixbench is faster).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfigFile } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import type { RunSpec } from '../src/core/run';
import { datasetFor } from '../src/data/cache';
import { featureSize } from '../src/data/dataset';
import { applyNoise } from '../src/data/noise';
import { memorisationProbe } from '../src/train/memorisation';
import { arg, childCpuSeconds, CLI, findTorchPython, machineLine, median, ROOT, shellQuote as q, torchEnv, writeResultJson } from './util';

export interface Timed {
  label: string;
  seconds: number;
  /** CPU seconds of the contender's processes (user + system, children included). */
  cpuSeconds: number;
  load: [number, number];
  /** Largest resident set of any one process of the contender (MB), when GNU time is there to say. */
  peakRssMb?: number;
  detail?: unknown;
}

/** The data of one run for bench/torch_run.py: a JSON header line, then the arrays as raw float32/int32. */
export function writeRunData(spec: RunSpec, file: string): void {
  const noisy = applyNoise(datasetFor(spec), spec.noise, spec.seed);
  const ds = noisy.ds;
  const probe = memorisationProbe(noisy);
  if (spec.model.type !== 'transformer' || ds.modality !== 'image') throw new Error(`${spec.id}: the PyTorch trainer takes image ViT runs only`);
  const methods = spec.method.parts.map((p) => p.method);
  if (methods.some((m) => m !== 'baseline' && m !== 'mixup')) throw new Error(`${spec.id}: the PyTorch trainer knows baseline and mixup only, not ${methods.join('+')}`);
  const mixup = spec.method.parts.find((p) => p.method === 'mixup');
  const arrays: [string, 'f' | 'i', Float32Array | Int32Array][] = [
    ['train_x', 'f', ds.train.x], ['train_y', 'i', ds.train.y], ['test_x', 'f', ds.test.x], ['test_y', 'i', ds.test.y],
  ];
  if (probe) arrays.push(['probe_x', 'f', probe.x.subarray(0, probe.n * featureSize(ds.shape))]);
  const header = {
    id: spec.id, shape: ds.shape, classes: ds.numClasses, model: spec.model, train: spec.train, seed: spec.seed,
    mixupAlpha: mixup ? (mixup.options.alpha as number) : null, arrays: arrays.map(([n, t, a]) => [n, t, a.length]),
  };
  const chunks = [Buffer.from(`${JSON.stringify(header)}\n`), ...arrays.map(([, , a]) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))];
  writeFileSync(file, Buffer.concat(chunks));
}

/** Run a shell command; its stdout (without the `times` lines) and the CPU seconds of its children (bash `times`). */
function shell(cmd: string, env?: NodeJS.ProcessEnv): Promise<{ stdout: string; cpuSeconds: number }> {
  return new Promise((done, fail) => {
    const p = spawn('bash', ['-c', `${cmd}; s=$?; times; exit $s`], { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => {
      if (code !== 0) fail(new Error(`${cmd} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      else done({ stdout: stdout.trim().split('\n').slice(0, -2).join('\n'), cpuSeconds: childCpuSeconds(stdout) });
    });
  });
}

async function mixbenchRun(label: string, config: string, out: string, extra: string[]): Promise<Timed> {
  const load0 = os.loadavg()[0];
  rmSync(out, { recursive: true, force: true });
  // GNU time's maximum resident set size covers the process and the workers it waited for: the largest of them.
  const rss = `${out}.rss`;
  const timer = existsSync('/usr/bin/time') ? `/usr/bin/time -f %M -o ${q(rss)} ` : '';
  const t0 = process.hrtime.bigint();
  const r = await shell(`${timer}${q(process.execPath)} ${q(CLI)} run ${q(config)} -o ${q(out)} -q ${extra.map(q).join(' ')} >/dev/null`);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peakRssMb = timer && existsSync(rss) ? Number(readFileSync(rss, 'utf8').trim().split('\n').pop()) / 1024 : undefined;
  return { label, seconds, cpuSeconds: r.cpuSeconds, load: [load0, os.loadavg()[0]], peakRssMb };
}

/** All runs' PyTorch processes, `parallel` at a time, each with `threads` threads; wall and CPU time of the whole. */
async function torchSweep(label: string, py: string, files: string[], parallel: number, threads: number): Promise<Timed> {
  const load0 = os.loadavg()[0];
  const script = join(ROOT, 'bench', 'torch_run.py');
  const t0 = process.hrtime.bigint();
  const results: unknown[] = [];
  let cpuSeconds = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++];
      const r = await shell(`${q(py)} ${q(script)} --data ${q(file)} --threads ${threads}`, torchEnv(threads));
      cpuSeconds += r.cpuSeconds;
      results.push(JSON.parse(r.stdout.split('\n').pop()!));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { label, seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds, load: [load0, os.loadavg()[0]], detail: results };
}

/** A copy of a config with other epochs and output, in `dir`. */
function configCopy(path: string, dir: string, name: string, edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(readFileSync(path, 'utf8'));
  edit(doc);
  const file = join(dir, name);
  writeFileSync(file, doc.toString());
  return file;
}

export interface CompareResult {
  sweep?: {
    config: string; runs: number; epochs: number; mixbench: Timed[]; torch: Timed[]; ratio: number; ratioJobs2: number; best: string;
    /** PyTorch's CPU seconds (its better setting) ÷ mixbench's (default flags): the work ratio, robust to machine load. */
    cpuRatio: number;
  };
  run?: {
    config: string; samples: number; mixbench: Timed[]; torch: Timed[]; mixbenchSamplesPerSec: number; torchSamplesPerSec: number; ratio: number;
    /** Samples per CPU second of the whole process, mixbench ÷ PyTorch at 1 thread (both single-threaded). */
    cpuRatio: number;
  };
}

export async function compare(opts: {
  config: string; epochs?: number; rounds: number; what: string[]; py: string | null; extra: string[]; torchParallel: number[]; log: (s: string) => void;
}): Promise<CompareResult> {
  const dir = mkdtempSync(join(os.tmpdir(), 'mixbench-bench-compare-'));
  const result: CompareResult = {};
  try {
    if (opts.what.includes('sweep')) {
      const cfg = configCopy(opts.config, dir, 'sweep.yaml', (doc) => {
        if (opts.epochs) doc.setIn(['train', 'epochs'], opts.epochs);
      });
      const exp = loadConfigFile(cfg);
      const plan = planRuns(exp);
      const files = plan.runs.map((spec, i) => {
        const f = join(dir, `run${i}.bin`);
        writeRunData(spec, f);
        return f;
      });
      const mix: Timed[] = [];
      const torch: Timed[] = [];
      for (let r = 0; r < opts.rounds; r++) {
        const order = (r % 2 === 0 ? ['mixbench', 'mixbench2', 'torch1', 'torch2'] : ['torch2', 'torch1', 'mixbench2', 'mixbench'])
          .filter((c) => !c.startsWith('torch') || opts.torchParallel.includes(Number(c.slice(5))));
        for (const c of order) {
          let t: Timed;
          if (c === 'mixbench') t = await mixbenchRun('mixbench run (default flags)', cfg, join(dir, 'out'), opts.extra);
          else if (c === 'mixbench2') t = await mixbenchRun('mixbench run --jobs 2', cfg, join(dir, 'out'), [...opts.extra, '--jobs', '2']);
          else if (!opts.py) continue;
          else if (c === 'torch1') t = await torchSweep('PyTorch, 1 process at a time, 2 threads', opts.py, files, 1, 2);
          else t = await torchSweep('PyTorch, 2 processes at a time, 1 thread each', opts.py, files, 2, 1);
          (c.startsWith('mixbench') ? mix : torch).push(t);
          opts.log(`  sweep round ${r + 1}: ${t.label}: ${t.seconds.toFixed(1)} s (load ${t.load.map((l) => l.toFixed(1)).join(' → ')})`);
        }
      }
      const mixS = median(mix.filter((t) => !t.label.includes('--jobs')).map((t) => t.seconds));
      const mix2S = median(mix.filter((t) => t.label.includes('--jobs')).map((t) => t.seconds));
      const labels = [...new Set(torch.map((t) => t.label))];
      const best = labels.map((l) => ({ l, s: median(torch.filter((t) => t.label === l).map((t) => t.seconds)) })).sort((a, b) => a.s - b.s)[0];
      result.sweep = {
        config: opts.config, runs: plan.runs.length, epochs: plan.runs[0].train.epochs, mixbench: mix, torch,
        ratio: best ? best.s / mixS : NaN, ratioJobs2: best ? best.s / mix2S : NaN, best: best?.l ?? 'not measured',
        cpuRatio: best ? median(torch.filter((t) => t.label === best.l).map((t) => t.cpuSeconds)) / median(mix.filter((t) => !t.label.includes('--jobs')).map((t) => t.cpuSeconds)) : NaN,
      };
    }
    if (opts.what.includes('run')) {
      const cfg = configCopy(join(ROOT, 'configs', 'quick.yaml'), dir, 'one.yaml', (doc) => {
        doc.set('seeds', [1]);
        doc.set('methods', ['baseline']);
      });
      const exp = loadConfigFile(cfg);
      const [spec] = planRuns(exp).runs;
      const file = join(dir, 'one.bin');
      writeRunData(spec, file);
      const ds = datasetFor(spec);
      const bs = Math.min(spec.train.batchSize, ds.train.n);
      const samples = Math.floor(ds.train.n / bs) * bs * spec.train.epochs;
      const mix: Timed[] = [];
      const torch: Timed[] = [];
      for (let r = 0; r < opts.rounds; r++) {
        mix.push(await mixbenchRun('mixbench run, one run', cfg, join(dir, 'out-one'), opts.extra));
        opts.log(`  one run, round ${r + 1}: mixbench ${mix[mix.length - 1].seconds.toFixed(1)} s`);
        if (!opts.py) continue;
        // One process: 1 thread, and 2 threads unless only two-process settings were asked for (--torch-parallel 2).
        for (const threads of opts.torchParallel.includes(1) ? [1, 2] : [1]) {
          torch.push(await torchSweep(`PyTorch, ${threads} thread${threads > 1 ? 's' : ''}`, opts.py, [file], 1, threads));
          opts.log(`  one run, round ${r + 1}: ${torch[torch.length - 1].label} ${torch[torch.length - 1].seconds.toFixed(1)} s`);
        }
      }
      const mixRate = samples / median(mix.map((t) => t.seconds));
      const rates = [1, 2].map((th) => torch.filter((t) => t.label.startsWith(`PyTorch, ${th} `)).map((t) => t.seconds))
        .filter((xs) => xs.length).map((xs) => samples / median(xs));
      const torchRate = rates.length ? Math.max(...rates) : NaN;
      const torch1Cpu = torch.filter((t) => t.label.startsWith('PyTorch, 1 ')).map((t) => t.cpuSeconds);
      result.run = {
        config: 'configs/quick.yaml, baseline, seed 1', samples, mixbench: mix, torch, mixbenchSamplesPerSec: mixRate, torchSamplesPerSec: torchRate, ratio: mixRate / torchRate,
        cpuRatio: torch1Cpu.length ? median(torch1Cpu) / median(mix.map((t) => t.cpuSeconds)) : NaN,
      };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

async function main(): Promise<void> {
  const sep = process.argv.indexOf('--');
  const extra = sep >= 0 ? process.argv.slice(sep + 1) : [];
  const epochs = arg('epochs', '');
  const py = process.argv.includes('--no-torch') ? null : findTorchPython(arg('torch-python', '') || undefined);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(machineLine());
  const r = await compare({
    config: resolve(arg('config', join(ROOT, 'configs', 'papers', 'reduced', 'mixup-label-noise-small.yaml'))),
    epochs: epochs ? Number(epochs) : undefined, rounds: Number(arg('rounds', '1')), what: arg('what', 'sweep,run').split(','), py, extra, log,
    torchParallel: arg('torch-parallel', '1,2').split(',').map(Number),
  });
  if (r.sweep) log(`sweep (${r.sweep.runs} runs × ${r.sweep.epochs} epochs): PyTorch best (${r.sweep.best}) ÷ mixbench wall time = ${r.sweep.ratio.toFixed(2)}× (default flags), ${r.sweep.ratioJobs2.toFixed(2)}× (--jobs 2); CPU time ${r.sweep.cpuRatio.toFixed(2)}×`);
  if (r.run) log(`one run: mixbench ${r.run.mixbenchSamplesPerSec.toFixed(0)} samples/s, PyTorch ${r.run.torchSamplesPerSec.toFixed(0)} samples/s: ${r.run.ratio.toFixed(2)}×; per CPU second ${r.run.cpuRatio.toFixed(2)}×`);
  writeResultJson(r);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
