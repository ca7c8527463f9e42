/** Workers started ahead of a sweep (src/run/pool.ts): what they say before the sweep listens is not lost. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { forkWorker, WorkerPool } from '../src/run/pool';
import type { FromWorker } from '../src/run/worker-protocol';

test('a worker started ahead: its ready message, sent before anyone listens, reaches the sweep when it listens', async () => {
  const w = forkWorker(1, 'cpu', 1, []);
  await once(w.proc, 'message'); // the worker has reported ready; the pool kept the message
  const seen: FromWorker[] = [];
  const exited = new Promise<[number | null, string | null]>((resolve) => w.listen((msg) => seen.push(msg), (code, signal) => resolve([code, signal])));
  assert.deepEqual(seen.map((m) => m.type), ['ready']);
  w.proc.send({ type: 'exit' });
  assert.deepEqual(await exited, [0, null]);
});

test('a worker that died before the sweep took it: its exit is replayed, so the sweep sees it and replaces it', async () => {
  const w = forkWorker(1, 'cpu', 1, []);
  w.proc.kill('SIGKILL');
  await once(w.proc, 'exit');
  let exit: [number | null, string | null] | undefined;
  w.listen(() => undefined, (code, signal) => (exit = [code, signal]));
  assert.deepEqual(exit, [null, 'SIGKILL']);
});

test('the pool hands out its started workers by slot, forks any other, and close stops the ones never taken', async () => {
  const pool = new WorkerPool('cpu', 1, [], 2);
  const first = pool.take(1);
  const third = pool.take(3);
  const untaken = (pool as unknown as { waiting: { proc: import('node:child_process').ChildProcess }[] }).waiting.map((w) => w.proc);
  assert.equal(untaken.length, 1);
  const stopped = once(untaken[0], 'exit');
  pool.close();
  const [code, signal] = await stopped;
  assert.ok(signal === 'SIGTERM' || code === 130, `stopped: ${code} ${signal}`);
  for (const w of [first, third]) {
    const exited = new Promise((resolve) => w.listen((msg) => msg.type === 'ready' && w.proc.send({ type: 'exit' }), resolve));
    await exited;
  }
  assert.deepEqual([first.slot, third.slot], [1, 3]);
});
