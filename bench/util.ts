/**
 * Helpers shared by the benchmark scripts of bench/: flag readers, the median, the machine description, the
 * `--json FILE` result of run-cost and sweep-compare, node children that answer with one JSON line, bash `times`
 * parsing and quoting, and finding and configuring PyTorch for bench/torch_ref.py and bench/torch_run.py.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';

/** The repository root (the scripts run from dist/bench/). */
export const ROOT = join(__dirname, '..', '..');
/** The mixbench command the whole-run benchmarks start. */
export const CLI = join(ROOT, 'bin', 'mixbench.js');

/** The value after `--name` in `argv`, or undefined when the flag is absent. */
export function flag(name: string, argv: string[] = process.argv): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The value after `--name` in `argv`, or `def` when the flag is absent or its value missing or empty. */
export function arg(name: string, def: string, argv: string[] = process.argv): string {
  return flag(name, argv) || def;
}

/** The median; NaN for no values. */
export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The load average as the scripts print it: `0.52 0.71 0.80`. */
export function formatLoad(load: number[] = os.loadavg()): string {
  return load.map((l) => l.toFixed(2)).join(' ');
}

/** CPU model and core count (the model is undefined where the platform does not report one). */
export function cpuInfo(): { cpu: string | undefined; cores: number } {
  return { cpu: os.cpus()[0]?.model, cores: os.cpus().length };
}

/** `machine: MODEL, N cores; load average A B C`, the first line of the whole-run benchmarks. */
export function machineLine(): string {
  const { cpu, cores } = cpuInfo();
  return `machine: ${cpu}, ${cores} cores; load average ${formatLoad()}`;
}

/** The machine section of bench.ts's and gpu-check.ts's JSON; `extra` goes before the load average. */
export function describeMachine<E extends Record<string, unknown>>(extra?: E) {
  const { cpu, cores } = cpuInfo();
  return {
    cpu: cpu ?? 'unknown', cores, memoryGb: os.totalmem() / 2 ** 30, platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version, ...(extra as E), loadavgStart: os.loadavg(),
  };
}

/** The `--json FILE` output of run-cost.ts and sweep-compare.ts: machine, load average at the end, then the result. */
export function writeResultJson(result: object, file: string = arg('json', '')): void {
  const { cpu, cores } = cpuInfo();
  if (file) writeFileSync(file, JSON.stringify({ machine: { cpu, cores }, load: os.loadavg(), ...result }, null, 1));
}

/** The last line of a child's stdout that starts with `{` (its result line), if any. */
export function lastJsonLine(stdout: string): string | undefined {
  return stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
}

/** Run node with `args`; the parsed last JSON line of stdout, or an error built from the exit and stderr's last lines. */
export function runNodeJson<T>(args: string[]): Promise<T | { error: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code, signal) => {
      const line = lastJsonLine(out);
      done(line ? (JSON.parse(line) as T) : { error: `${signal ?? `exit ${code}`}: ${err.trim().split('\n').slice(-3).join(' | ')}` });
    });
  });
}

/** Quote for bash. */
export const shellQuote = (x: string): string => `'${x.replace(/'/g, `'\\''`)}'`;

/** User + system CPU seconds of the children, from output whose last line is bash `times`'s second line. */
export function childCpuSeconds(timesOutput: string): number {
  const children = timesOutput.trim().split('\n').pop()!.trim().split(/\s+/);
  const sec = (t: string) => { const m = /^(\d+)m([\d.]+)s$/.exec(t); return m ? 60 * Number(m[1]) + Number(m[2]) : NaN; };
  return sec(children[0]) + sec(children[1]);
}

const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

/** `explicit`, else python3, else /usr/bin/python3: the first that imports torch; null if none does. */
export function findTorchPython(explicit?: string): string | null {
  for (const py of explicit ? [explicit] : ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) return py;
  }
  return null;
}

/** The environment of a PyTorch benchmark process with `threads` torch threads and `openblasThreads` OpenBLAS threads. */
export function torchEnv(threads: number, openblasThreads = 1): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(openblasThreads), OMP_NUM_THREADS: String(threads) };
  // OPENBLAS_CORETYPE=Haswell (exported on these machines) forces AVX2 kernels: unset for PyTorch only.
  delete env.OPENBLAS_CORETYPE;
  // Debian's python3-torch links the generic libblas.so.3; point it at OpenBLAS explicitly when installed.
  if (existsSync(OPENBLAS_DIR)) env.LD_LIBRARY_PATH = [OPENBLAS_DIR, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return env;
}
