/**
 * Static sharding without a coordinator: shard i of N (1-based, like vitest's `--shard`) takes the runs at positions
 * i-1, i-1+N, i-1+2N, ... of the run ids sorted by code unit. Every machine computes the same split from the config
 * alone, shards are disjoint and cover the plan, and interleaving spreads slow methods over the shards.
 *
 * Where the shard comes from, first match wins: `--shard i/N` (or MIXBENCH_SHARD), a Slurm job array
 * (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_STEP), a Kubernetes Indexed Job
 * (JOB_COMPLETION_INDEX, 0-based, with the count from `--shard-count` or MIXBENCH_SHARD_COUNT).
 */
import { UsageError } from '../errors';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
  /** Where it came from, for the log: "--shard", "SLURM_ARRAY_TASK_ID=3", ... */
  source: string;
}

export const WHOLE: Shard = { index: 1, count: 1, source: 'no sharding' };

export function parseShard(text: string, source = '--shard'): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`${source} must look like i/N with 1 ≤ i ≤ N (e.g. 2/4), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UsageError(`${source} ${text}: need 1 ≤ i ≤ N`);
  return { index, count, source };
}

function intVar(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name}="${v}" is not a non-negative integer`);
  return n;
}

/**
 * The shard for this process. `flag` is `--shard` (commander already folds MIXBENCH_SHARD into it); `countFlag` is
 * `--shard-count` (or MIXBENCH_SHARD_COUNT), needed with JOB_COMPLETION_INDEX and optional with Slurm.
 */
export function resolveShard(flag: string | undefined, countFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): Shard {
  let count: number | undefined;
  if (countFlag !== undefined) {
    count = Number(countFlag);
    if (!Number.isInteger(count) || count < 1) throw new UsageError(`--shard-count must be a positive integer, got "${countFlag}"`);
  }
  if (flag !== undefined) {
    const s = parseShard(flag);
    if (count !== undefined && count !== s.count) throw new UsageError(`--shard ${flag} disagrees with --shard-count ${count}`);
    return s;
  }
  const slurmId = intVar(env, 'SLURM_ARRAY_TASK_ID');
  if (slurmId !== undefined) {
    const min = intVar(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
    const step = intVar(env, 'SLURM_ARRAY_TASK_STEP') ?? 1;
    const n = count ?? intVar(env, 'SLURM_ARRAY_TASK_COUNT');
    if (n === undefined) throw new UsageError('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard-count N or --shard i/N');
    const offset = slurmId - min;
    if (offset < 0 || step < 1 || offset % step !== 0 || offset / step >= n) {
      throw new UsageError(
        `cannot map Slurm array task ${slurmId} (min ${min}, step ${step}, count ${n}) to a shard; use a contiguous array such as --array=0-${n - 1} or pass --shard i/N`,
      );
    }
    return { index: offset / step + 1, count: n, source: `SLURM_ARRAY_TASK_ID=${slurmId}` };
  }
  const k8s = intVar(env, 'JOB_COMPLETION_INDEX');
  if (k8s !== undefined) {
    if (count === undefined) throw new UsageError('JOB_COMPLETION_INDEX is set but the shard count is not; pass --shard-count N or set MIXBENCH_SHARD_COUNT (= the Job\'s completions)');
    if (k8s >= count) throw new UsageError(`JOB_COMPLETION_INDEX=${k8s} is not below the shard count ${count}`);
    return { index: k8s + 1, count, source: `JOB_COMPLETION_INDEX=${k8s}` };
  }
  if (count !== undefined && count !== 1) throw new UsageError(`--shard-count ${count} needs an index: --shard i/N, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX`);
  return WHOLE;
}

/** Positions (into `ids`) of the runs of `shard`: round-robin over the ids in code-unit order. */
export function shardPositions(ids: readonly string[], shard: Pick<Shard, 'index' | 'count'>): number[] {
  const order = ids.map((id, i) => ({ id, i })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.i - b.i));
  const out: number[] = [];
  order.forEach((o, k) => {
    if (k % shard.count === shard.index - 1) out.push(o.i);
  });
  return out.sort((a, b) => a - b);
}

/** The elements of `items` (keyed by `id`) that belong to `shard`, in their original order. */
export function selectShard<T extends { id: string }>(items: readonly T[], shard: Pick<Shard, 'index' | 'count'>): T[] {
  if (shard.count === 1) return [...items];
  return shardPositions(items.map((r) => r.id), shard).map((i) => items[i]);
}

export function shardLabel(shard: Pick<Shard, 'index' | 'count'>): string {
  return `${shard.index}/${shard.count}`;
}
