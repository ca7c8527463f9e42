/**
 * Per-kernel time of one training step:
 *   node dist/bench/profile.js [A|B|MLP|TEXT] [wasm|cpu] [steps] [--attention batched|depthwise]
 *                              [--optimizer fused|per-variable] [--copy-saved] [--json]
 * Wraps every kernel registered for the backend with a CPU-time timer (wasm and cpu kernels run synchronously on
 * this thread, so the time is the kernel's, and CPU time is less disturbed by other processes than wall time), groups
 * by kernel name and input shapes, and by phase of the step (forward + backward, optimizer), and prints the top
 * entries. `--copy-saved` restores tfjs-backend-wasm's copying Identity kernel (the "before" of src/model/ops.ts's
 * shared saved tensors).
 */
import * as os from 'node:os';
import * as tf from '../src/tf';
import { loadBackend } from '../src/backend';
import { configureOps } from '../src/model/ops';
import { WORKLOADS, makeHarness, type OptimizerForm } from './workloads';
import { setAttentionImpl, type AttentionImpl } from '../src/model/attention';
import { flag } from './util';

interface Entry { ms: number; calls: number }

export interface KernelProfile {
  table: Map<string, Entry>;
  /** Kernel calls and CPU ms per phase label. */
  phases: Map<string, Entry>;
  /** The label the next kernel calls are counted under. */
  phase: string;
  reset(): void;
}

export function instrumentKernels(backend: string): KernelProfile {
  const prof: KernelProfile = {
    table: new Map(),
    phases: new Map(),
    phase: 'step',
    reset() {
      this.table.clear();
      this.phases.clear();
    },
  };
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
      for (const [map, name] of [[prof.table, key], [prof.phases, prof.phase]] as const) {
        const e = map.get(name) ?? { ms: 0, calls: 0 };
        e.ms += ms; e.calls += 1;
        map.set(name, e);
      }
      return out;
    };
  }
  return prof;
}

const KINDS: [string, RegExp][] = [
  ['dense products (BatchMatMul)', /^BatchMatMul$/],
  ['attention products (DepthwiseConv2dNative)', /^DepthwiseConv2dNative$/],
  ['transposes', /^Transpose$/],
  ['element-wise and reductions', /^(Multiply|Add|AddN|Sub|RealDiv|Mean|Sum|Max|Min|Maximum|Minimum|Neg|Exp|Log|Sqrt|Rsqrt|Sigmoid|Softmax|Square|Cast|Select|Fill)$/],
  ['views and saved tensors (Reshape, Identity)', /^(Reshape|Identity)$/],
  ['flat-buffer copies (optimizer)', /^(MixbenchFlatten|MixbenchUnflatten|Concat|SplitV|Slice)$/],
  ['column sums', /^MixbenchColumnSums$/],
];

/** Kernel totals grouped into kinds (everything unlisted under "other"). */
function byKind(byName: Map<string, Entry>): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const [name, e] of byName) {
    const kind = KINDS.find(([, re]) => re.test(name))?.[0] ?? 'other';
    const k = out.get(kind) ?? { ms: 0, calls: 0 };
    k.ms += e.ms; k.calls += e.calls;
    out.set(kind, k);
  }
  return out;
}

async function main(): Promise<void> {
  const valued = new Set(['--attention', '--optimizer']);
  const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !valued.has(all[i - 1]));
  const id = positional[0] ?? 'A';
  const backend = positional[1] ?? 'wasm';
  const steps = Number(positional[2] ?? 10);
  const optimizer = (flag('optimizer') ?? 'fused') as OptimizerForm;
  const info = await loadBackend(backend as 'wasm');
  configureOps(info.name);
  if (process.argv.includes('--copy-saved')) (await import('../src/model/ops')).useCopyingIdentity();
  const attention = flag('attention');
  if (attention) setAttentionImpl(attention as AttentionImpl);
  const w = WORKLOADS.find((x) => x.id === id)!;
  const h = makeHarness(w, { optimizer });
  for (let i = 0; i < 3; i++) h.step(i).dataSync();
  const prof = instrumentKernels(info.name);
  const apply = h.optimizer.apply.bind(h.optimizer);
  h.optimizer.apply = (grads, lr, clip) => {
    prof.phase = 'optimizer';
    try {
      apply(grads, lr, clip);
    } finally {
      prof.phase = 'forward + backward';
    }
  };
  prof.phase = 'forward + backward';
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
  const load = os.loadavg()[0];
  const summary = {
    workload: id, backend: info.name, optimizer, copySaved: process.argv.includes('--copy-saved'), wallMs: wall, cpuMs, kernelCpuMs: kernelTotal, callsPerStep: calls,
    phases: Object.fromEntries([...prof.phases.entries()].map(([k, e]) => [k, { calls: e.calls / steps, kernelCpuMs: e.ms / steps }])),
    load,
  };
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(summary));
    h.dispose();
    return;
  }
  console.log(`${id} on ${info.name} (${optimizer} optimizer${summary.copySaved ? ', copying saved tensors' : ''}): ${wall.toFixed(1)} ms/step wall, ${cpuMs.toFixed(1)} ms/step CPU, ` +
    `${kernelTotal.toFixed(1)} ms CPU in kernels, ${calls} kernel calls/step; load ${load.toFixed(1)}`);
  for (const [phase, e] of prof.phases) console.log(`  ${phase}: ${e.calls / steps} calls, ${(e.ms / steps).toFixed(2)} ms CPU in kernels`);
  const byName = new Map<string, Entry>();
  for (const [key, e] of rows) {
    const n = key.split(' ')[0];
    const b = byName.get(n) ?? { ms: 0, calls: 0 };
    b.ms += e.ms; b.calls += e.calls; byName.set(n, b);
  }
  console.log('-- by kind (CPU ms per step; outside kernels = tfjs engine, JavaScript and the instrumentation itself)');
  for (const [kind, e] of [...byKind(byName).entries()].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`${(e.ms / steps).toFixed(2).padStart(8)} ms ${String(e.calls / steps).padStart(5)}× ${kind}`);
  }
  console.log(`${(cpuMs - kernelTotal).toFixed(2).padStart(8)} ms        outside kernels`);
  console.log('-- by kernel');
  for (const [n, e] of [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    console.log(`${(e.ms / steps).toFixed(2).padStart(8)} ms ${String(e.calls / steps).padStart(5)}× ${n}`);
  }
  console.log('-- by kernel and shape');
  for (const [key, e] of rows.slice(0, 30)) console.log(`${(e.ms / steps).toFixed(2).padStart(8)} ms ${String(e.calls / steps).padStart(5)}× ${key}`);
  h.dispose();
}

if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
