/** Sharding, plan filtering, thread budgets, run ids and the fault hook's parser: pure functions, no training. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../src/config/load';
import { planRuns } from '../src/config/plan';
import { UsageError } from '../src/errors';
import { filterPlan } from '../src/run/filter';
import { injectedFault } from '../src/run/faults';
import { parseShard, resolveShard, selectShard, shardPositions } from '../src/run/shard';
import { threadsPerWorker } from '../src/run/sweep';

const BASE = `name: s
seeds: [1, 2, 3, 4, 5]
datasets: [{name: digits, limit: 200}]
methods: [baseline, {mixup: {alpha: 1}}, {method: mixup, name: mixup-a8, alpha: 8}]
model: {dim: 16, depth: 1, heads: 2, mlpDim: 32}
train: {epochs: 2, batchSize: 32}
`;

test('shards are disjoint, cover the plan, are balanced, and do not depend on the order of the runs', () => {
  const runs = planRuns(parseConfig(BASE, 's.yaml')).runs;
  for (const count of [1, 2, 3, 4, 15, 20]) {
    const parts = Array.from({ length: count }, (_, k) => selectShard(runs, { index: k + 1, count }).map((r) => r.id));
    const all = parts.flat();
    assert.equal(all.length, runs.length);
    assert.equal(new Set(all).size, runs.length, 'disjoint');
    const sizes = parts.map((p) => p.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `balanced: ${sizes}`);
    const reversed = [...runs].reverse();
    for (let k = 0; k < count; k++) {
      assert.deepEqual(selectShard(reversed, { index: k + 1, count }).map((r) => r.id).sort(), [...parts[k]].sort(), 'same split whatever the order');
    }
  }
  // Round-robin over the sorted ids: shard 1/2 takes positions 0, 2, 4, ... of the sorted list.
  const sorted = runs.map((r) => r.id).sort();
  assert.deepEqual(selectShard(runs, { index: 1, count: 2 }).map((r) => r.id).sort(), sorted.filter((_, i) => i % 2 === 0));
  assert.deepEqual(shardPositions(['b', 'a', 'c'], { index: 1, count: 2 }), [1, 2]);
});

test('--shard parses i/N (1-based) and refuses nonsense', () => {
  assert.deepEqual(parseShard('2/4'), { index: 2, count: 4, source: '--shard' });
  for (const bad of ['0/4', '5/4', '1/0', '2', 'a/b', '1/2/3', '-1/2']) assert.throws(() => parseShard(bad), UsageError, bad);
});

test('the shard comes from --shard, then Slurm (ids from 0 or 1, steps), then JOB_COMPLETION_INDEX with a count', () => {
  assert.deepEqual(resolveShard(undefined, undefined, {}), { index: 1, count: 1, source: 'no sharding' });
  const slurm0 = { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4' };
  assert.equal(resolveShard(undefined, undefined, slurm0).index, 1);
  assert.equal(resolveShard(undefined, undefined, { ...slurm0, SLURM_ARRAY_TASK_ID: '3' }).index, 4);
  const slurm1 = { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' };
  assert.deepEqual(resolveShard(undefined, undefined, slurm1), { index: 1, count: 4, source: 'SLURM_ARRAY_TASK_ID=1' });
  assert.equal(resolveShard(undefined, undefined, { ...slurm1, SLURM_ARRAY_TASK_ID: '4' }).index, 4);
  // --array=10-16:2 → ids 10, 12, 14, 16
  const stepped = { SLURM_ARRAY_TASK_ID: '14', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '4' };
  assert.equal(resolveShard(undefined, undefined, stepped).index, 3);
  assert.throws(() => resolveShard(undefined, undefined, { ...slurm1, SLURM_ARRAY_TASK_ID: '9' }), /cannot map Slurm array task 9/);
  assert.throws(() => resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '1' }), /SLURM_ARRAY_TASK_COUNT is not/);
  // --shard wins over the environment.
  assert.equal(resolveShard('2/3', undefined, slurm1).index, 2);
  assert.throws(() => resolveShard('2/3', '4', {}), /disagrees/);
  // Kubernetes Indexed Job: 0-based index, count from --shard-count / MIXBENCH_SHARD_COUNT.
  assert.deepEqual(resolveShard(undefined, '3', { JOB_COMPLETION_INDEX: '0' }), { index: 1, count: 3, source: 'JOB_COMPLETION_INDEX=0' });
  assert.equal(resolveShard(undefined, '3', { JOB_COMPLETION_INDEX: '2' }).index, 3);
  assert.throws(() => resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '0' }), /shard count is not/);
  assert.throws(() => resolveShard(undefined, '3', { JOB_COMPLETION_INDEX: '3' }), /not below the shard count/);
  assert.throws(() => resolveShard(undefined, '3', {}), /needs an index/);
});

test('--only keeps matching runs with unchanged ids and names the values it knows', () => {
  const plan = planRuns(parseConfig(BASE, 's.yaml'));
  const only = filterPlan(plan, ['method=mixup,mixup-a8', 'seed=2']);
  assert.deepEqual(only.runs.map((r) => [r.method.name, r.seed]), [['mixup', 2], ['mixup-a8', 2]]);
  for (const r of only.runs) assert.ok(plan.runs.some((p) => p.id === r.id));
  assert.throws(() => filterPlan(plan, ['method=nosuch']), /its method values are baseline, mixup, mixup-a8/);
  assert.throws(() => filterPlan(plan, ['colour=red']), /key one of dataset, noise, method, seed/);
});

test('threads per worker: jobs × threads ≤ cores unless asked', () => {
  assert.equal(threadsPerWorker(1, 2), 2);
  assert.equal(threadsPerWorker(2, 2), 1);
  assert.equal(threadsPerWorker(3, 8), 2);
  assert.equal(threadsPerWorker(4, 2), 1);
  assert.equal(threadsPerWorker(2, 2, 4), 4);
});

test('changing any setting of a run changes its id; reordering keys does not', () => {
  const ids = (text: string) => planRuns(parseConfig(text, 's.yaml')).runs.map((r) => r.id);
  const base = ids(BASE);
  assert.equal(new Set(base).size, base.length);
  const variants: Array<[string, string, string]> = [
    ['name', 'name: s', 'name: s2'],
    ['dataset limit', 'limit: 200', 'limit: 199'],
    ['method option', 'alpha: 1}', 'alpha: 1.5}'],
    ['model width', 'dim: 16', 'dim: 32'],
    ['model depth', 'depth: 1', 'depth: 2'],
    ['epochs', 'epochs: 2', 'epochs: 3'],
    ['batch size', 'batchSize: 32', 'batchSize: 16'],
    ['learning rate', 'batchSize: 32}', 'batchSize: 32, lr: 0.002}'],
    ['optimizer', 'batchSize: 32}', 'batchSize: 32, optimizer: sgd}'],
    ['split seed', 'name: s\n', 'name: s\nsplitSeed: 7\n'],
  ];
  for (const [what, from, to] of variants) {
    const text = BASE.replace(from, to);
    assert.notEqual(text, BASE, what);
    const changed = ids(text);
    const moved = what === 'method option' ? changed.filter((id) => id.includes('-mixup-none-')) : changed;
    for (const id of moved) assert.ok(!base.includes(id), `${what}: ${id} should be a new id`);
  }
  // An unrelated key (the backend) and key order leave ids alone.
  assert.deepEqual(ids(BASE.replace('name: s\n', 'name: s\nbackend: wasm\n')), base);
});

test('the MIXBENCH_TEST_FAULT testing hook parses patterns, kinds and attempt limits', () => {
  const env = { MIXBENCH_TEST_FAULT: 'mixup-none-s2:throw:1, baseline:nan' };
  assert.equal(injectedFault('digits-mixup-none-s2-abc', 1, env), 'throw');
  assert.equal(injectedFault('digits-mixup-none-s2-abc', 2, env), undefined);
  assert.equal(injectedFault('digits-baseline-none-s1-abc', 3, env), 'nan');
  assert.equal(injectedFault('digits-mixup-none-s1-abc', 1, env), undefined);
  assert.equal(injectedFault('x', 1, {}), undefined);
  assert.throws(() => injectedFault('x', 1, { MIXBENCH_TEST_FAULT: 'x:explode' }), /cannot parse/);
});
