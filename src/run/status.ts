/**
 * `mixbench status`: where a sweep stands, from its output directory alone (records and lock files), per shard.
 *
 * A run of the plan is
 * - complete: a valid, current record with status ok or diverged (what `mixbench run` skips);
 * - failed: a valid record with status failed (redone by the next run of its shard);
 * - running: no record yet, and its shard's process is alive (a live lock: same-host pid alive and heartbeat fresh);
 * - missing: no such record and no live process for its shard (not started, interrupted, or a record the next run of
 *   its shard redoes: unreadable, or stale after a record version change).
 *
 * "Running" is per shard: the lock says which shard a live process works on, not which of its runs is in flight.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspectLock } from '../store/lock';
import { readRunRecord } from '../store/records';
import { shardLabel, shardPositions } from './shard';

export type RunState = 'complete' | 'failed' | 'running' | 'missing';

export interface LockView {
  shard: string;
  index: number;
  count: number;
  live: boolean;
  /** Why the lock may be taken over (dead process, old heartbeat); null when live. */
  stale: string | null;
  pid: number | null;
  host: string | null;
  started: string | null;
  heartbeatAgeSeconds: number | null;
}

export interface Counts {
  runs: number;
  complete: number;
  /** Of the complete runs, how many diverged (a NaN loss is a result). */
  diverged: number;
  failed: number;
  running: number;
  missing: number;
}

export interface ShardStatus extends Counts {
  shard: string;
  /** The lock of this shard's process, if any (live or stale). */
  lock: LockView | null;
}

export interface SweepStatus {
  experiment: string | null;
  output: string;
  /** Where the plan's run ids came from: a config, the plan `mixbench slurm` saved, or (plan unknown) the directory. */
  planSource: string;
  planKnown: boolean;
  shards: number;
  counts: Counts;
  perShard: ShardStatus[];
  failed: Array<{ id: string; error: string }>;
  running: string[];
  missing: string[];
  locks: LockView[];
}

export interface StatusPlan {
  experiment: string | null;
  /** The plan's run ids; null when unknown (then the run directories found stand in for the plan). */
  ids: string[] | null;
  /** Shards to break the counts down by; default: the split of the lock files found, else 1. */
  shards?: number;
  source: string;
}

const LOCK_NAME = /^\.mixbench-lock-(\d+)of(\d+)$/;

export function readLocks(output: string, now = Date.now()): LockView[] {
  if (!existsSync(output)) return [];
  const out: LockView[] = [];
  for (const name of readdirSync(output).sort()) {
    const m = LOCK_NAME.exec(name);
    if (!m) continue;
    const index = Number(m[1]);
    const count = Number(m[2]);
    const { holder, stale } = inspectLock(join(output, name));
    if (stale === 'vanished') continue;
    const beat = holder ? Date.parse(holder.heartbeat) : NaN;
    out.push({
      shard: shardLabel({ index, count }), index, count, live: stale === undefined, stale: stale ?? null,
      pid: holder?.pid ?? null, host: holder?.host ?? null, started: holder?.started ?? null,
      heartbeatAgeSeconds: Number.isFinite(beat) ? Math.max(0, Math.round((now - beat) / 1000)) : null,
    });
  }
  return out.sort((a, b) => a.count - b.count || a.index - b.index);
}

function firstLine(text: string | null): string {
  return (text ?? 'no error recorded').split('\n')[0].slice(0, 300);
}

export function sweepStatus(output: string, plan: StatusPlan): SweepStatus {
  const locks = readLocks(output);
  const runsDir = join(output, 'runs');
  const ids = plan.ids ?? (existsSync(runsDir) ? readdirSync(runsDir).sort() : []);
  const splits = [...new Set(locks.map((l) => l.count))];
  const shards = plan.shards ?? (splits.length === 1 ? splits[0] : 1);

  // Runs a live process is working on: every run of each live lock's shard (under that lock's own split).
  const live = new Set<number>();
  for (const l of locks.filter((x) => x.live)) for (const i of shardPositions(ids, l)) live.add(i);

  const state: RunState[] = [];
  const diverged = new Set<number>();
  const failed: SweepStatus['failed'] = [];
  ids.forEach((id, i) => {
    const rec = readRunRecord(output, { id });
    if (rec && rec.status !== 'failed') {
      state.push('complete');
      if (rec.status === 'diverged') diverged.add(i);
    } else if (rec) {
      state.push('failed');
      failed.push({ id, error: firstLine(rec.error) });
    } else state.push(live.has(i) ? 'running' : 'missing');
  });

  const count = (positions: number[]): Counts => ({
    runs: positions.length,
    complete: positions.filter((i) => state[i] === 'complete').length,
    diverged: positions.filter((i) => diverged.has(i)).length,
    failed: positions.filter((i) => state[i] === 'failed').length,
    running: positions.filter((i) => state[i] === 'running').length,
    missing: positions.filter((i) => state[i] === 'missing').length,
  });
  const perShard = Array.from({ length: shards }, (_, k): ShardStatus => {
    const s = { index: k + 1, count: shards };
    const lock = locks.find((l) => l.index === s.index && l.count === s.count) ?? null;
    return { shard: shardLabel(s), ...count(shardPositions(ids, s)), lock };
  });
  return {
    experiment: plan.experiment, output, planSource: plan.source, planKnown: plan.ids !== null, shards,
    counts: count(ids.map((_, i) => i)), perShard, failed,
    running: ids.filter((_, i) => state[i] === 'running'),
    missing: ids.filter((_, i) => state[i] === 'missing'),
    locks,
  };
}

function lockText(l: LockView | null): string {
  if (!l) return '-';
  const who = `pid ${l.pid ?? '?'} on ${l.host ?? '?'}`;
  if (l.live) return `running: ${who}, heartbeat ${l.heartbeatAgeSeconds ?? '?'} s ago`;
  return `stale lock (${l.stale}; ${who})`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => `  ${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')}`.trimEnd()).join('\n');
}

export function formatStatus(s: SweepStatus): string {
  const c = s.counts;
  const lines: string[] = [];
  const name = s.experiment ?? 'sweep';
  lines.push(`${name}: ${c.runs} runs${s.shards > 1 ? ` in ${s.shards} shards` : ''} in ${s.output} (plan: ${s.planSource})`);
  lines.push(
    `  complete ${c.complete}${c.diverged ? ` (${c.diverged} diverged)` : ''} · running ${c.running} · failed ${c.failed} · missing ${c.missing}` +
      (c.runs && c.complete === c.runs ? ' — done' : ''),
  );
  if (!s.planKnown) lines.push('  (plan unknown: only the runs found in the directory are counted; pass --plan <config> to count the missing ones)');
  if (s.shards > 1 || s.perShard[0]?.lock) {
    const rows = [['shard', 'runs', 'complete', 'running', 'failed', 'missing', 'process']];
    for (const p of s.perShard) rows.push([p.shard, String(p.runs), String(p.complete), String(p.running), String(p.failed), String(p.missing), lockText(p.lock)]);
    lines.push(table(rows));
  }
  const other = s.locks.filter((l) => l.count !== s.shards);
  for (const l of other) lines.push(`  lock of another split, shard ${l.shard}: ${lockText(l)}`);
  if (s.failed.length) {
    lines.push('failed runs (the next run of their shard redoes them):');
    for (const f of s.failed.slice(0, 20)) lines.push(`  ${f.id}: ${f.error}`);
    if (s.failed.length > 20) lines.push(`  ... and ${s.failed.length - 20} more (--json lists all)`);
  }
  return `${lines.join('\n')}\n`;
}
