/**
 * `npm run gpu-check`: what the first machine with a GPU should run. It
 *   1. prints the WebGPU adapter Dawn finds (and stops, exit 2, when there is none);
 *   2. runs the golden step fixtures on webgpu against the PyTorch twin's numbers (test/golden-check.ts: every
 *      catalogue method, the tolerance of the wasm and cpu backends); checks one training step of every method on
 *      webgpu against wasm (loss, gradients, weights after AdamW; test/step-check.ts, the tolerance of
 *      test/webgpu.test.ts), and that steps reaching tfjs-webgpu's atomic kernels repeat bit for bit;
 *   3. measures training and evaluation throughput of workloads A and B (bench/workloads.ts) on webgpu, on webgpu with
 *      tfjs's own matmul choice (split-K allowed: faster on some shapes, not bit-reproducible), on wasm, and on
 *      tfjs-node-gpu where it loads, interleaved round by round, each in a fresh process;
 *   4. writes everything to a JSON file (default gpu-check.json) and exits 1 if a golden or step check failed.
 *
 *   npm run gpu-check -- [--out FILE] [--workloads A,B] [--rounds 2] [--steps N] [--windows 3]
 *                        [--contenders webgpu,webgpu-tfjs-matmul,wasm,tensorflow-gpu] [--software]
 *
 * A software adapter (SwiftShader, llvmpipe) is refused unless --software is given: its numbers say nothing about
 * GPUs (use it only to try the command; pass small --steps).
 */
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { describeAdapter, probeAdapter } from '../src/backends/adapter';
import { describeMachine, flag, median, runNodeJson } from './util';
import { WORKLOADS } from './workloads';

const TOLERANCE = { loss: 1e-5, tensor: 1e-4 };
const DEFAULT_STEPS: Record<string, number> = { A: 30, B: 10, TEXT: 30, MLP: 100 };

type Contender = 'webgpu' | 'webgpu-tfjs-matmul' | 'wasm' | 'tensorflow-gpu';

interface Measurement {
  contender: Contender;
  workload: string;
  ok: boolean;
  error?: string;
  device?: string | null;
  /** Training samples per second, one value per timed window. */
  train?: number[];
  evalSamplesPerSec?: number;
  peakRssMb?: number;
  tensorsBefore?: number;
  tensorsAfter?: number;
}

/** The child: one contender, one workload; prints one JSON line. */
async function child(contender: Contender, workloadId: string, steps: number, windows: number): Promise<Measurement> {
  const res: Measurement = { contender, workload: workloadId, ok: false };
  try {
    const { loadBackend } = await import('../src/backend');
    const { configureOps } = await import('../src/model/ops');
    const tf = await import('../src/tf');
    const info = await loadBackend(contender === 'webgpu-tfjs-matmul' ? 'webgpu' : contender);
    configureOps(info.name);
    // tfjs's own choice of matmul program (-1), split-K with atomic adds included.
    if (contender === 'webgpu-tfjs-matmul') tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', -1);
    res.device = info.device;
    const { makeHarness, timeHarness } = await import('./workloads');
    const w = WORKLOADS.find((x) => x.id === workloadId);
    if (!w) throw new Error(`unknown workload ${workloadId}`);
    const evalN = 512;
    const h = makeHarness(w, { evalN });
    const t = await timeHarness(h, w.batch, { warmup: 2, steps, windows, evalN, evalBatch: 256, warmEval: true });
    res.train = t.trainWindows;
    res.tensorsBefore = t.tensorsBefore;
    res.tensorsAfter = t.tensorsAfter;
    res.evalSamplesPerSec = t.evalSamplesPerSec;
    h.dispose();
    res.ok = true;
  } catch (err) {
    res.error = String(err instanceof Error ? err.message : err).split('\n')[0];
  }
  res.peakRssMb = process.resourceUsage().maxRSS / 1024;
  return res;
}

interface StepOutput {
  results?: import('../test/step-check').StepResult[];
  error?: string;
}

async function goldenChecks(): Promise<{ ok: boolean; tolerance: unknown; results: unknown }> {
  const { GOLDEN_TOLERANCE } = await import('../test/golden-util');
  console.log('golden fixtures: one step of every golden case on webgpu against the PyTorch twin ...');
  const out = await runNodeJson<import('../test/golden-check').GoldenCheckOutput>([join(__dirname, '..', 'test', 'golden-check.js'), 'webgpu']);
  if ('error' in out || !out.results) {
    console.log(`  could not run (${out.error})`);
    return { ok: false, tolerance: GOLDEN_TOLERANCE, results: out };
  }
  for (const r of out.results) {
    const worst = r.worst ? `worst: ${r.worst.what} ${r.worst.rel.toExponential(2)}` : '';
    console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.case.padEnd(36)} ${worst}${r.error ? `\n       ${r.error.split('\n').join('\n       ')}` : ''}`);
  }
  return { ok: out.results.every((r) => r.ok), tolerance: GOLDEN_TOLERANCE, results: out.results };
}

async function stepChecks(): Promise<{ ok: boolean; agreement: unknown; determinism: unknown }> {
  const { compareStep, firstBitDifference } = await import('../test/step-check');
  const script = join(__dirname, '..', 'test', 'step-check.js');
  console.log('step checks: one step of every method on webgpu and on wasm, and repeats of the atomic-kernel cases ...');
  const [gpu, ref, det] = [
    await runNodeJson<StepOutput>([script, 'webgpu', 'agreement']),
    await runNodeJson<StepOutput>([script, 'wasm', 'agreement']),
    await runNodeJson<StepOutput>([script, 'webgpu', 'determinism']),
  ];
  const agreement: { id: string; worst: string; problems: string[] }[] = [];
  let ok = true;
  if ('error' in gpu || 'error' in ref || !gpu.results || !ref.results) {
    ok = false;
    console.log(`  agreement: could not run (${(gpu as { error?: string }).error ?? (ref as { error?: string }).error})`);
  } else {
    for (const r of ref.results) {
      const g = gpu.results.find((x) => x.id === r.id);
      const c = g ? compareStep(r, g, TOLERANCE) : { worst: [], problems: [`${r.id}: missing on webgpu`] };
      agreement.push({ id: r.id, worst: c.worst.map((w) => `${w.what} ${w.rel.toExponential(2)}`).join('; '), problems: c.problems });
      if (c.problems.length) ok = false;
      console.log(`  ${c.problems.length ? 'FAIL' : 'ok  '} ${r.id.padEnd(26)} worst: ${agreement[agreement.length - 1].worst}${c.problems.length ? `\n       ${c.problems.join('\n       ')}` : ''}`);
    }
  }
  const determinism: { id: string; difference: string | null }[] = [];
  if ('error' in det || !det.results) {
    ok = false;
    console.log(`  determinism: could not run (${(det as { error?: string }).error})`);
  } else {
    for (let i = 0; i < det.results.length; i += 2) {
      const difference = firstBitDifference(det.results[i], det.results[i + 1]);
      determinism.push({ id: det.results[i].id, difference });
      if (difference) ok = false;
      console.log(`  ${difference ? 'FAIL' : 'ok  '} ${det.results[i].id.padEnd(26)} same bits twice${difference ? `: ${difference}` : ''}`);
    }
  }
  return { ok, agreement, determinism };
}

async function parent(args: string[]): Promise<number> {
  const out = resolve(flag('out', args) ?? 'gpu-check.json');
  const workloads = (flag('workloads', args) ?? 'A,B').split(',').filter(Boolean);
  const rounds = Number(flag('rounds', args) ?? 2);
  const stepsOverride = flag('steps', args);
  const windows = flag('windows', args) ?? '3';
  const contenders = (flag('contenders', args) ?? 'webgpu,webgpu-tfjs-matmul,wasm,tensorflow-gpu').split(',').filter(Boolean) as Contender[];
  const probe = await probeAdapter();
  if (!probe.ok) {
    const { WEBGPU_HINT } = await import('../src/backends/hints');
    console.error(`no WebGPU adapter: ${probe.reason}\n${WEBGPU_HINT}`);
    return 2;
  }
  console.log(`adapter: ${describeAdapter(probe.adapter)} (vendor ${probe.adapter.vendor}, architecture ${probe.adapter.architecture}, device ${probe.adapter.device || '?'})`);
  if (probe.adapter.software && !args.includes('--software')) {
    console.error('this is a software adapter: its numbers say nothing about GPUs. Pass --software to run the check on it anyway (with small --steps).');
    return 2;
  }
  const machine = describeMachine();
  const golden = await goldenChecks();
  const checks = await stepChecks();

  const measurements: Measurement[] = [];
  const script = __filename;
  for (let round = 0; round < rounds; round++) {
    for (const wid of workloads) {
      for (const c of contenders) {
        if (round > 0 && measurements.some((m) => m.contender === c && !m.ok)) continue; // does not load here
        const steps = Number(stepsOverride ?? DEFAULT_STEPS[wid] ?? 10);
        const m = await runNodeJson<Measurement>([script, '--child', c, wid, String(steps), windows]);
        const r: Measurement = 'contender' in m ? m : { contender: c, workload: wid, ok: false, error: m.error };
        measurements.push(r);
        console.log(`  round ${round + 1} ${wid} ${c}: ${r.ok ? `${Math.round(median(r.train!))} samples/s` : `not measured (${r.error})`}`);
      }
    }
  }
  const rows = workloads.flatMap((wid) => contenders.map((c) => {
    const ms = measurements.filter((m) => m.workload === wid && m.contender === c && m.ok);
    if (!ms.length) return null;
    return {
      workload: wid, contender: c, device: ms[0].device, trainSamplesPerSec: median(ms.flatMap((m) => m.train!)),
      evalSamplesPerSec: median(ms.map((m) => m.evalSamplesPerSec!)), peakRssMb: Math.max(...ms.map((m) => m.peakRssMb!)),
      tensorsBefore: ms[0].tensorsBefore, tensorsAfter: ms[0].tensorsAfter,
    };
  }).filter((r): r is NonNullable<typeof r> => r !== null));
  console.log('\n| workload | contender | train samples/s | eval samples/s | ÷ wasm (train) | peak RSS MB |\n|---|---|---|---|---|---|');
  for (const r of rows) {
    const wasm = rows.find((x) => x.workload === r.workload && x.contender === 'wasm');
    console.log(`| ${r.workload} | ${r.contender} | ${Math.round(r.trainSamplesPerSec)} | ${Math.round(r.evalSamplesPerSec)} | ${wasm ? `${(r.trainSamplesPerSec / wasm.trainSamplesPerSec).toFixed(2)}×` : '–'} | ${Math.round(r.peakRssMb)} |`);
  }
  const doc = {
    finished: new Date().toISOString(), adapter: probe.adapter, machine: { ...machine, loadavgEnd: os.loadavg() },
    golden, stepChecks: { tolerance: TOLERANCE, ...checks }, workloads: WORKLOADS.filter((w) => workloads.includes(w.id)).map((w) => ({ id: w.id, description: w.description })),
    rows, raw: measurements,
  };
  writeFileSync(out, `${JSON.stringify(doc, null, 1)}\n`);
  console.log(`\ngolden fixtures: ${golden.ok ? 'passed' : 'FAILED'}; step checks: ${checks.ok ? 'passed' : 'FAILED'}; JSON: ${out}`);
  return golden.ok && checks.ok ? 0 : 1;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const m = await child(args[1] as Contender, args[2], Number(args[3]), Number(args[4]));
    process.stdout.write(`${JSON.stringify(m)}\n`, () => process.exit(0));
    return;
  }
  process.exitCode = await parent(args);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
