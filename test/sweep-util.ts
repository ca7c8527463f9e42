/** Helpers for the sweep tests: run the real CLI as a subprocess, read its NDJSON events, compare CSV tables. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SweepEventSchema } from '../src/core/events';
import { CLI } from './helpers';

export const TINY_MODEL = '{dim: 16, depth: 1, heads: 2, mlpDim: 32}';

/** A small config: `seeds` × (baseline, mixup) on 150 digits per split, cpu backend. */
export function writeConfig(dir: string, opts: { seeds?: number[]; epochs?: number; name?: string } = {}): string {
  const path = join(dir, 'sweep.yaml');
  writeFileSync(
    path,
    `name: ${opts.name ?? 'sweeptest'}
seeds: [${(opts.seeds ?? [1, 2, 3]).join(', ')}]
datasets: [{name: digits, limit: 150}]
methods: [baseline, {mixup: {alpha: 1}}]
model: ${TINY_MODEL}
train: {epochs: ${opts.epochs ?? 2}, batchSize: 32}
backend: cpu
output: ${join(dir, 'default-out')}
`,
  );
  return path;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  events: Array<Record<string, unknown> & { type: string }>;
}

export interface Started {
  child: ChildProcess;
  events: CliResult['events'];
  /** Resolves with the first event satisfying `pred` (rejects if the process ends first). */
  waitFor(pred: (e: CliResult['events'][number]) => boolean): Promise<CliResult['events'][number]>;
  done: Promise<CliResult>;
}

/** Start `mixbench <args>`; NDJSON events (with --json) are parsed as they arrive. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Started {
  // Shard, job and fault settings of the environment running the tests must not leak into the sweeps under test.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SLURM_ARRAY_|JOB_COMPLETION_INDEX$|MIXBENCH_)/.test(k)));
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: CliResult['events'] = [];
  let stdout = '';
  let stderr = '';
  let pending = '';
  const waiters: Array<{ pred: (e: CliResult['events'][number]) => boolean; resolve: (e: CliResult['events'][number]) => void; reject: (e: Error) => void }> = [];
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      let e: CliResult['events'][number];
      try {
        e = JSON.parse(line) as CliResult['events'][number];
      } catch {
        continue; // not an event
      }
      // Every line `mixbench run --json` prints is one of the contract's sweep events (src/core/events.ts).
      if (args[0] === 'run') {
        const checked = SweepEventSchema.safeParse(e);
        if (!checked.success) throw new Error(`not a sweep event: ${line} (${checked.error.issues[0].path.join('.')}: ${checked.error.issues[0].message})`);
      }
      events.push(e);
      for (const w of [...waiters]) {
        if (w.pred(e)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      for (const w of waiters) w.reject(new Error(`mixbench exited (${signal ?? code}) before the awaited event; stderr:\n${stderr}`));
      resolve({ code, signal, stdout, stderr, events });
    });
  });
  return {
    child,
    events,
    done,
    waitFor: (pred) => {
      const hit = events.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => waiters.push({ pred, resolve, reject }));
    },
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** RFC 4180 CSV → rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (c !== '\r') cell += c;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** A CSV table without its timing columns (wall-clock figures differ between any two sweeps). */
export function tableWithoutTimings(path: string): string[][] {
  const rows = parseCsv(readFileSync(path, 'utf8'));
  const keep = rows[0].map((h, i) => (/seconds|per_sec|time/i.test(h) ? -1 : i)).filter((i) => i >= 0);
  return rows.map((r) => keep.map((i) => r[i]));
}
