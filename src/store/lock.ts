/**
 * Lock files in the output directory.
 *
 * - The sweep lock `<output>/.mixbench-lock-<i>of<N>` (one per shard, so shards may share a directory) keeps a second
 *   `mixbench run` of the same shard out (exit 2). It holds {pid, host, started, heartbeat}; the holder rewrites it every
 *   few seconds. A lock is stale, and is taken over, when its process is gone (same host, pid not alive) or when its
 *   heartbeat (rewritten every 5 s from a separate thread) is older than MIXBENCH_LOCK_STALE_SECONDS (default 30; covers holders on other hosts, e.g. a Kubernetes pod
 *   replaced by one with the same index on a shared volume).
 * - The tables lock `<output>/.mixbench-tables.lock` serialises "read every record, write the CSVs" between shards, so
 *   the last shard to write leaves tables that cover everything in the directory.
 *
 * Creation is `open(..., 'wx')`, atomic on local and NFSv3+ file systems. A takeover goes through a short-lived
 * `<lock>.takeover` file so two processes cannot both replace the same stale lock.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../errors';

/** Which shard of a sweep holds a lock (1-based index of count). */
export interface ShardId {
  index: number;
  count: number;
}

export interface LockInfo {
  pid: number;
  host: string;
  started: string;
  heartbeat: string;
  command: string;
}

export class LockedError extends UsageError {
  constructor(message: string, readonly holder: LockInfo | undefined) {
    super(message);
    this.name = 'LockedError';
  }
}

export function sweepLockPath(output: string, shard: ShardId): string {
  return join(output, `.mixbench-lock-${shard.index}of${shard.count}`);
}

function staleSeconds(): number {
  const v = Number(process.env.MIXBENCH_LOCK_STALE_SECONDS);
  return Number.isFinite(v) && v > 0 ? v : 30;
}

const HEARTBEAT_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { path, pid, host, ms, state } = workerData;
setInterval(() => {
  if (Atomics.compareExchange(state, 0, 0, 1) !== 0) return;
  try {
    const cur = JSON.parse(fs.readFileSync(path, 'utf8'));
    if (cur.pid === pid && cur.host === host) {
      cur.heartbeat = new Date().toISOString();
      const tmp = path + '.beat-' + pid;
      fs.writeFileSync(tmp, JSON.stringify(cur) + '\\n');
      fs.renameSync(tmp, path);
    }
  } catch {
    // a missed heartbeat is harmless
  } finally {
    Atomics.store(state, 0, 0);
    Atomics.notify(state, 0);
  }
}, ms);
`;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Why the lock at `path` may be taken over, or undefined when its holder looks alive. */
function staleReason(path: string, info: LockInfo | undefined): string | undefined {
  let mtime: number;
  try {
    mtime = statSync(path).mtimeMs;
  } catch {
    return 'vanished';
  }
  const beat = Math.max(mtime, info ? Date.parse(info.heartbeat) || 0 : 0);
  const age = (Date.now() - beat) / 1000;
  if (!info) return age > 5 ? 'unreadable lock file' : undefined; // being written right now, or garbage
  if (info.host === hostname() && !pidAlive(info.pid)) return `process ${info.pid} on ${info.host} is gone`;
  if (age > staleSeconds()) return `no heartbeat for ${Math.round(age)} s`;
  return undefined;
}

/** A lock file's holder and, when the lock may be taken over, why (undefined: a live holder). For `mixbench status`. */
export function inspectLock(path: string): { holder: LockInfo | undefined; stale: string | undefined } {
  const holder = readLock(path);
  return { holder, stale: staleReason(path, holder) };
}

function tryCreate(path: string, body: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, body);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Replace a stale lock, at most one process at a time. True when we now hold `path`. */
function takeOver(path: string, body: string, judged: LockInfo | undefined): boolean {
  const guard = `${path}.takeover`;
  if (!tryCreate(guard, String(process.pid))) {
    try {
      if (Date.now() - statSync(guard).mtimeMs > 10_000) unlinkSync(guard); // a taker died mid-takeover
    } catch {
      // gone already
    }
    return false;
  }
  try {
    const now = readLock(path);
    if (JSON.stringify(now) !== JSON.stringify(judged)) return false; // changed under us: judge again
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
    return tryCreate(path, body);
  } finally {
    try {
      unlinkSync(guard);
    } catch {
      // ignore
    }
  }
}

export interface HeldLock {
  path: string;
  /** Stale lock that was replaced, for the log. */
  tookOver: string | undefined;
  release(): void;
}

/** Take the sweep lock of a shard or throw LockedError (exit 2) naming the holder. */
export function acquireSweepLock(output: string, shard: ShardId, heartbeatMs = 5000): HeldLock {
  mkdirSync(output, { recursive: true });
  const path = sweepLockPath(output, shard);
  const started = new Date().toISOString();
  const body = (): string =>
    `${JSON.stringify({ pid: process.pid, host: hostname(), started, heartbeat: new Date().toISOString(), command: process.argv.slice(1).join(' ') } satisfies LockInfo)}\n`;
  let tookOver: string | undefined;
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(path, body())) break;
    const info = readLock(path);
    const why = staleReason(path, info);
    if (why === 'vanished') continue;
    if (why === undefined || attempt >= 5) {
      const who = info ? `pid ${info.pid} on ${info.host}, started ${info.started}` : 'another process';
      const what = shard.count > 1 ? `shard ${`${shard.index}/${shard.count}`} of this sweep` : 'this sweep';
      throw new LockedError(
        `${output} is locked: ${what} is already running (${who}; lock file ${path}).\n` +
          '  Wait for it to finish, or run another shard (--shard i/N) into the same directory. If that process is gone\n' +
          `  for good (e.g. on another machine), delete ${path}; a lock whose process has died on this host, or whose\n` +
          `  heartbeat is older than ${staleSeconds()} s, is taken over automatically.`,
        info,
      );
    }
    if (takeOver(path, body(), info)) {
      tookOver = why;
      break;
    }
  }
  // Shards of different splits would overlap: refuse to run next to a live sweep split another way.
  for (const name of readdirSync(output)) {
    const m = /^\.mixbench-lock-(\d+)of(\d+)$/.exec(name);
    if (!m || Number(m[2]) === shard.count) continue;
    const other = join(output, name);
    const info = readLock(other);
    if (staleReason(other, info) !== undefined) continue;
    try {
      unlinkSync(path);
    } catch {
      // ignore
    }
    throw new LockedError(
      `${output} is in use by a sweep split into ${m[2]} shard${m[2] === '1' ? '' : 's'} (shard ${m[1]}/${m[2]}, pid ${info?.pid ?? '?'} on ${info?.host ?? '?'}); ` +
        `this one is split into ${shard.count}. Shards sharing a directory must use the same N.`,
      info,
    );
  }
  // The heartbeat runs on its own thread, so a long synchronous tfjs op on the main thread cannot make a live lock
  // look stale. `state` (0 idle, 1 writing, 2 released) keeps a late heartbeat from recreating a released lock.
  const state = new Int32Array(new SharedArrayBuffer(4));
  const beat = new Worker(HEARTBEAT_SOURCE, { eval: true, workerData: { path, pid: process.pid, host: hostname(), ms: heartbeatMs, state } });
  beat.unref();
  let released = false;
  return {
    path,
    tookOver,
    release: () => {
      if (released) return;
      released = true;
      while (Atomics.compareExchange(state, 0, 0, 2) !== 0) Atomics.wait(state, 0, 1, 10);
      void beat.terminate();
      const mine = readLock(path);
      if (mine && mine.pid === process.pid && mine.host === hostname()) {
        try {
          unlinkSync(path);
        } catch {
          // ignore
        }
      }
    },
  };
}

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleepBuf, 0, 0, ms);
}

/** Run `fn` holding `<output>/.mixbench-tables.lock` (short waits; a holder that died is taken over). */
export function withTablesLock<T>(output: string, fn: () => T): T {
  mkdirSync(output, { recursive: true });
  const path = join(output, '.mixbench-tables.lock');
  const body = `${JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString(), heartbeat: new Date().toISOString(), command: 'tables' })}\n`;
  const deadline = Date.now() + 30_000;
  let held = false;
  while (!held) {
    held = tryCreate(path, body);
    if (held) break;
    const info = readLock(path);
    const why = staleReason(path, info);
    // Writing tables takes well under a second; a lock older than 30 s is abandoned whatever its pid says.
    const st = statSync(path, { throwIfNoEntry: false });
    const old = !!st && Date.now() - st.mtimeMs > 30_000;
    if ((why && why !== 'vanished') || old) {
      held = takeOver(path, body, info);
      if (held) break;
    }
    if (Date.now() > deadline) break; // write anyway rather than hang: tables are rewritten atomically
    sleepMs(20);
  }
  try {
    return fn();
  } finally {
    if (held) {
      try {
        unlinkSync(path);
      } catch {
        // ignore
      }
    }
  }
}
