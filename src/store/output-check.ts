/**
 * The output directory, checked before any training, and the message when the disk fails during a sweep.
 *
 * `checkOutputDir` creates the directory (one component at a time: never Node's recursive mkdir, which spins forever
 * on paths like /proc/x), refuses a file in its place, and writes and removes a probe file, which catches a read-only
 * or unwritable directory and a full disk. `checkOutputSpace` compares the free space with an estimate of what the
 * sweep will write. Every refusal is a StorageError (exit 2) naming the path and the fix.
 */
import { existsSync, statfsSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSpec } from '../core/run';
import { ensureDir, formatBytes, StorageError, storageError, writeFileAtomic } from '../util/fs';

/** Bytes written by the probe: enough to need real free blocks, small enough to be instant. */
export const PROBE_BYTES = 64 * 1024;

/** How the user chose the directory, for the fix: "-o DIR" or the config file's `output:` key. */
export interface OutputSource {
  /** The `-o/--output` flag was given. */
  flag: boolean;
  /** The config file (when the directory came from it or its default). */
  config?: string;
}

function howToChoose(src: OutputSource): string {
  return src.flag ? 'pass another directory with -o DIR' : `choose another directory with -o DIR or \`output:\` in ${src.config ?? 'the config'}`;
}

function fixFor(code: string, dir: string, src: OutputSource): string {
  const other = howToChoose(src);
  switch (code) {
    case 'ENOTDIR': return `remove or rename that file, or ${other}`;
    case 'EROFS': return `remount the file system read-write, or ${other}`;
    case 'EACCES':
    case 'EPERM': return `make ${dir} writable for this user (chmod, chown), or ${other}`;
    case 'ENOSPC':
    case 'EDQUOT': return `free space on that device (\`df -h ${dir}\`), or ${other}`;
    default: return other;
  }
}

/** Re-throw a StorageError from the pre-flight check as the user-facing sentence: path, what is wrong, the fix. */
function refuse(err: StorageError, dir: string, src: OutputSource): never {
  const fix = fixFor(err.code, visible(dir), src);
  throw new StorageError(`output directory ${visible(dir)}: ${visible(err.message)}.\n  Fix: ${fix.charAt(0).toUpperCase()}${fix.slice(1)}; nothing was run.`, err.path, err.code);
}

/** Control characters in a path (a NUL from a YAML "\0" escape) shown as \xNN instead of written to the terminal. */
function visible(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Make sure `dir` exists, is a directory and takes new files. Creates it when missing (as the sweep would). Throws a
 * StorageError whose message names `dir` and the fix; returns quickly (no retry loops).
 */
export function checkOutputDir(dir: string, src: OutputSource): void {
  try {
    ensureDir(dir);
    const runs = join(dir, 'runs');
    const st = statSync(runs, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new StorageError(`${runs} is a file, not a directory`, runs, 'ENOTDIR');
    const probe = join(dir, `.mixbench-probe-${process.pid}`);
    try {
      writeFileAtomic(probe, Buffer.alloc(PROBE_BYTES), dir);
    } finally {
      try {
        unlinkSync(probe);
      } catch {
        // never written
      }
    }
  } catch (err) {
    if (err instanceof StorageError) refuse(err, dir, src);
    const wrapped = storageError(err, 'use', dir);
    if (wrapped instanceof StorageError) refuse(wrapped, dir, src);
    throw err;
  }
}

/** Free bytes for this user on the device holding `dir`, or undefined where statfs is not available. */
export function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** What the disk-space estimate of a run needs to know. */
export interface RunOutputShape {
  epochs: number;
  /** Transformer depth (per-layer diagnostic rows), 0 for the MLP. */
  depth: number;
  /** Ensemble members store test logits: group elements × test examples × classes float32, plus the labels. */
  orbit?: { elements: number; examples: number; classes: number };
}

/** File-system block: every file and directory takes at least one. */
const BLOCK = 4096;
const blocks = (bytes: number): number => Math.max(1, Math.ceil(bytes / BLOCK)) * BLOCK;

/**
 * Bytes one run leaves on disk (its directory, result.json, done marker, orbit logits), with the temp copy that exists
 * while a file is renamed into place. result.json: ~3 KB of spec and environment, ~300 B per epoch, ~120 B per layer.
 */
export function runOutputBytes(r: RunOutputShape): number {
  const record = 3000 + 300 * r.epochs + 120 * (r.depth + 1);
  const orbit = r.orbit ? (r.orbit.elements * r.orbit.examples * r.orbit.classes + r.orbit.examples) * 4 : 0;
  return BLOCK /* directory */ + 2 * blocks(record) + BLOCK /* done */ + (orbit ? 2 * blocks(orbit) : 0);
}

/** The tables and plots, staged next to the old ones while they are replaced: ~64 KiB plus ~600 B per run, twice. */
export function tablesBytes(runs: number): number {
  return 2 * (64 * 1024 + 600 * runs);
}

/** What a run's data adds to its record (a loaded Dataset has it). */
export interface RunDataShape {
  modality: string;
  numClasses: number;
  test: { n: number };
}

/** The disk-space shapes of runs still to be written (`runsWithoutRecord`: the runs without a complete record). */
export function outputShapes(runs: RunSpec[], dataOf: (spec: RunSpec) => RunDataShape): RunOutputShape[] {
  const out: RunOutputShape[] = [];
  for (const r of runs) {
    const d = dataOf(r);
    const elements = r.member && d.modality === 'image' ? ({ c4: 4, flip: 2, none: 1 } as const)[r.member.measure] : 1;
    out.push({
      epochs: r.train.epochs,
      depth: r.model.type === 'transformer' ? r.model.depth : 0,
      orbit: r.member ? { elements, examples: d.test.n, classes: d.numClasses } : undefined,
    });
  }
  return out;
}

/**
 * Refuse a sweep whose records and tables cannot fit in the free space of `dir` (a lower estimate: when it says no,
 * the sweep would certainly hit a full disk). `todo` are the runs still to be written, `total` all the table's runs.
 */
export function checkOutputSpace(dir: string, todo: RunOutputShape[], total: number, src: OutputSource, free = freeBytes(dir)): void {
  if (free === undefined || todo.length === 0) return;
  const need = todo.reduce((s, r) => s + runOutputBytes(r), 0) + tablesBytes(total);
  if (free >= need) return;
  throw new StorageError(
    `output directory ${dir}: ${todo.length} run record${todo.length === 1 ? '' : 's'} and the tables need about ${formatBytes(need)}, ` +
      `and only ${formatBytes(free)} is free on that device.\n  Fix: free space there (\`df -h ${dir}\`), or ${howToChoose(src)}; nothing was run.`,
    dir,
    'ENOSPC',
  );
}

/** What a sweep had done when the disk failed under it, for the message. */
export interface SweepState {
  output: string;
  /** Runs of this sweep with a complete record on disk. */
  complete: number;
  /** Runs that were being trained or written when the sweep stopped: incomplete, redone by the next sweep. */
  inFlight: string[];
}

/** The error that ends a sweep stopped by the file system: what happened, what is kept, what to do. */
export function sweepStoppedError(err: StorageError, state: SweepState): StorageError {
  // A write that failed with ENOENT because the directory was moved away is a vanished directory too.
  const vanished = err.code === 'vanished' || !existsSync(state.output);
  const what = vanished
    ? `the output directory ${state.output} vanished during the sweep (deleted, moved or unmounted)`
    : err.code === 'ENOSPC' || err.code === 'EDQUOT'
      ? `the disk holding ${state.output} is full (${err.message})`
      : `writing into ${state.output} failed (${err.message})`;
  const flight = state.inFlight.length
    ? ` The run${state.inFlight.length === 1 ? '' : 's'} in flight (${state.inFlight.join(', ')}) ${state.inFlight.length === 1 ? 'is' : 'are'} incomplete and will be redone.`
    : '';
  const fix = vanished
    ? 'restore the directory (or choose another with -o DIR)'
    : err.code === 'ENOSPC' || err.code === 'EDQUOT'
      ? `free space (\`df -h ${state.output}\`)`
      : 'fix the directory';
  return new StorageError(
    `sweep stopped: ${what}.\n  ${state.complete} complete run record${state.complete === 1 ? ' is' : 's are'} kept and valid; ` +
      `the tables are those of the last complete write.${flight}\n  Fix: ${fix}, then run the same command again to finish the sweep.`,
    err.path,
    err.code,
  );
}
