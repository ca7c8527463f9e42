/**
 * Per-kernel time of one training step: `node dist/bench/profile.js [A|B|MLP|TEXT] [wasm|cpu] [steps] [batched|depthwise]`.
 * Wraps every kernel registered for the backend with a CPU-time timer (wasm and cpu kernels run synchronously on
 * this thread, so the time is the kernel's, and CPU time is less disturbed by other processes than wall time), groups by kernel name and input shapes, and prints the top entries.
 */
import * as tf from '../src/tf';
import { loadBackend } from '../src/backend';
import { configureOps } from '../src/model/ops';
import { WORKLOADS, makeHarness } from './workloads';
import { setAttentionImpl, type AttentionImpl } from '../src/model/attention';

interface Entry { ms: number; calls: number }

export function instrumentKernels(backend: string): { table: Map<string, Entry>; reset(): void } {
  const table = new Map<string, Entry>();
  for (const k of tf.getKernelsForBackend(backend)) {
    const orig = k.kernelFunc;
    (k as { kernelFunc: typeof orig }).kernelFunc = (args) => {
      const c0 = process.cpuUsage();
      const out = orig(args);
      const c = process.cpuUsage(c0);
      const ms = (c.user + c.system) / 1000; // CPU time: robust to other processes on a shared machine
      const inputs = Object.values(args.inputs as Record<string, tf.Tensor>).map((t) => t ? `[${t.shape}]` : '-').join('');
      const attrs = args.attrs as Record<string, unknown> | undefined;
      const flags = attrs && (attrs.transposeA || attrs.transposeB) ? ` tA=${attrs.transposeA} tB=${attrs.transposeB}` : '';
      const key = `${k.kernelName} ${inputs}${flags}`;
      const e = table.get(key) ?? { ms: 0, calls: 0 };
      e.ms += ms; e.calls += 1;
      table.set(key, e);
      return out;
    };
  }
  return { table, reset: () => table.clear() };
}

async function main(): Promise<void> {
  const id = process.argv[2] ?? 'A';
  const backend = process.argv[3] ?? 'wasm';
  const steps = Number(process.argv[4] ?? 10);
  const info = await loadBackend(backend as 'wasm');
  configureOps(info.name);
  if (process.argv[5]) setAttentionImpl(process.argv[5] as AttentionImpl);
  const w = WORKLOADS.find((x) => x.id === id)!;
  const h = makeHarness(w);
  for (let i = 0; i < 3; i++) h.step(i).dataSync();
  const prof = instrumentKernels(info.name);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) h.step(i).dispose();
  tf.zeros([1]).dataSync();
  const wall = (performance.now() - t0) / steps;
  const cu = process.cpuUsage(c0);
  const cpuMs = (cu.user + cu.system) / 1000 / steps;
  const rows = [...prof.table.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const kernelTotal = rows.reduce((s, [, e]) => s + e.ms, 0) / steps;
  const calls = rows.reduce((s, [, e]) => s + e.calls, 0) / steps;
  console.log(`${id} on ${info.name}: ${wall.toFixed(1)} ms/step wall, ${cpuMs.toFixed(1)} ms/step CPU, ${kernelTotal.toFixed(1)} ms CPU in kernels, ${calls} kernel calls/step; load ${require('os').loadavg()[0].toFixed(1)}`);
  const byName = new Map<string, Entry>();
  for (const [key, e] of rows) {
    const n = key.split(' ')[0];
    const b = byName.get(n) ?? { ms: 0, calls: 0 };
    b.ms += e.ms; b.calls += e.calls; byName.set(n, b);
  }
  console.log('-- by kernel');
  for (const [n, e] of [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    console.log(`${(e.ms / steps).toFixed(2).padStart(8)} ms ${String(e.calls / steps).padStart(5)}× ${n}`);
  }
  console.log('-- by kernel and shape');
  for (const [key, e] of rows.slice(0, 30)) console.log(`${(e.ms / steps).toFixed(2).padStart(8)} ms ${String(e.calls / steps).padStart(5)}× ${key}`);
  h.dispose();
}

if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
