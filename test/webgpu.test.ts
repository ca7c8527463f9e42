/**
 * The webgpu backend on SwiftShader, the software Vulkan driver in Debian's chromium package (CI installs it with
 * .ci/setup-chromium.sh, which exports MIXBENCH_SWIFTSHADER_LIB and MIXBENCH_SWIFTSHADER_ICD):
 *   - `auto` sees the software adapter, says so in its one line, and picks wasm; `--backend webgpu` without any
 *     adapter exits 2 naming what to install; `mixbench backends` lists every backend with its adapter or device,
 *     what auto picks and what to install;
 *   - the golden step fixtures (test/golden/steps: every catalogue method on every modality and model it takes)
 *     agree with the PyTorch twin to the tolerance the wasm and cpu backends meet (test/golden-util.ts);
 *   - one training step of every method (and the text, tabular, CLS/dropout and MLP paths) agrees with wasm: loss,
 *     every gradient and every weight after AdamW, to the tolerance below, and leaves no tensor behind;
 *   - steps that reach tfjs-backend-webgpu's atomic kernels give the same bits twice;
 *   - `mixbench run --backend webgpu` trains a tiny config whose records name webgpu and the SwiftShader adapter and
 *     whose runs.csv says webgpu, and a second run of it gives the same numbers bit for bit.
 *
 * Every check runs in a child process: Dawn loads libvulkan.so.1 through the dynamic loader, which reads
 * LD_LIBRARY_PATH once, when a process starts; and a tfjs process holds one backend.
 *
 * Skipped, with the reason, only when no SwiftShader adapter can be had (no chromium, or no `webgpu` binary for this
 * platform). When MIXBENCH_SWIFTSHADER_ICD is set (CI), a missing driver or adapter fails instead.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeAdapter, softwareVulkanEnv, type AdapterInfo } from '../src/backends/adapter';
import type { BackendInfo } from '../src/backend';
import type { RunRecord } from '../src/core/record';
import type { GoldenCheckOutput } from './golden-check';
import { loadGoldenCases } from './golden-util';
import { methodNames } from '../src/methods/index';
import { compareStep, firstBitDifference, relativeDifference, type StepResult, type Tolerance } from './step-check';
import { CLI, tempDir } from './helpers';

/**
 * webgpu against wasm, one step. Measured on SwiftShader: losses within 4e-7 relative, gradients and updated weights
 * within 4e-6 relative (worst: a bias gradient of the tabular case); float32 sums in another order explain that much.
 * A broken kernel is off by O(1) (the unchunked AddN made SAM's gradients differ by 100%).
 */
const TOLERANCE: Tolerance = { loss: 1e-5, tensor: 1e-4 };

type Setup = { env: NodeJS.ProcessEnv; adapter: AdapterInfo } | { skip: string };

let setup: Promise<Setup> | undefined;

/** The SwiftShader environment and its adapter, found once for the file. */
function swiftShader(): Promise<Setup> {
  setup ??= (async (): Promise<Setup> => {
    const icd = process.env.MIXBENCH_SWIFTSHADER_ICD;
    const sw = softwareVulkanEnv();
    if (!sw) {
      if (icd !== undefined) throw new Error(`MIXBENCH_SWIFTSHADER_ICD=${icd} is set, but that file or libvulkan.so.1 in MIXBENCH_SWIFTSHADER_LIB is missing`);
      return { skip: 'no SwiftShader Vulkan driver (Debian: apt-get install chromium, which ships it in /usr/lib/chromium)' };
    }
    const probe = await probeAdapter({ env: sw.env });
    if (!probe.ok) {
      if (icd !== undefined) throw new Error(`SwiftShader is set up (VK_ICD_FILENAMES=${sw.icd}, LD_LIBRARY_PATH=${sw.lib}) but no WebGPU adapter came up: ${probe.reason}`);
      return { skip: `no WebGPU adapter on SwiftShader: ${probe.reason}` };
    }
    assert.equal(probe.adapter.architecture, 'swiftshader', `the adapter under VK_ICD_FILENAMES=${sw.icd} is SwiftShader`);
    return { env: sw.env, adapter: probe.adapter };
  })();
  return setup;
}

async function envOrSkip(t: TestContext): Promise<NodeJS.ProcessEnv | null> {
  const s = await swiftShader();
  if ('skip' in s) {
    t.skip(s.skip);
    return null;
  }
  return s.env;
}

/**
 * Run node with `args` and `env`; the last JSON line of stdout. The timeout only guards against a hung driver: the
 * agreement child needs ~35 CPU-seconds on SwiftShader, but took over 300 s of wall time on the shared development
 * machine (load 27 on 2 cores).
 */
function runJson<T>(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 1_200_000): Promise<T> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (!line) return fail(new Error(`${args.join(' ')}: ${signal ?? `exit ${code}`}, no JSON; stderr: ${err.trim().split('\n').slice(-5).join(' | ')}`));
      done(JSON.parse(line) as T);
    });
  });
}

interface StepOutput {
  backend?: string;
  adapter?: AdapterInfo | null;
  syncRead?: string;
  results?: StepResult[];
  error?: string;
}

const STEP_CHECK = join(__dirname, 'step-check.js');

async function steps(backend: 'wasm' | 'webgpu', kind: 'agreement' | 'determinism', env: NodeJS.ProcessEnv): Promise<StepResult[]> {
  const out = await runJson<StepOutput>([STEP_CHECK, backend, kind], env);
  assert.ok(out.results, `${backend} ${kind}: ${out.error}`);
  assert.equal(out.backend, backend);
  if (backend === 'webgpu') {
    assert.equal(out.adapter?.architecture, 'swiftshader', 'explicit --backend webgpu uses the software adapter');
    // tfjs-webgpu's own readSync dies on a missing OffscreenCanvas; ours says what to do instead.
    assert.match(out.syncRead ?? '', /cannot read GPU data synchronously.*await tensor\.data\(\)/);
  }
  return out.results;
}

test('auto sees the SwiftShader adapter, says why it does not use it, and picks wasm; webgpu without an adapter exits 2', async (t) => {
  const env = await envOrSkip(t);
  if (!env) return;
  const auto = await runJson<{ ok: boolean; info: BackendInfo }>([join(__dirname, '..', 'src', 'backends', 'check.js'), 'auto'], env);
  assert.ok(auto.ok);
  assert.equal(auto.info.name, 'wasm');
  assert.doesNotMatch(auto.info.summary, /\n/, 'one line');
  assert.match(auto.info.summary, /webgpu: adapter google\/swiftshader "SwiftShader driver [^"]*" \(software\) is a software adapter.*auto does not use it/);
  t.diagnostic(auto.info.summary);

  if (process.platform !== 'linux') return;
  // No Vulkan driver at all: an explicit request fails before any training, exit 2, naming what to install.
  const dir = tempDir();
  const noDriver = { ...env, VK_ICD_FILENAMES: join(dir, 'none.json') };
  const r = await new Promise<{ code: number | null; stderr: string }>((done) => {
    const child = spawn(process.execPath, [CLI, 'run', tinyConfig(dir, 'out'), '--backend', 'webgpu', '--quiet'], { env: noDriver, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => done({ code, stderr }));
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /cannot load backend "webgpu": Dawn found no WebGPU adapter/);
  assert.match(r.stderr, /Vulkan \(Linux\), Metal \(macOS\) or D3D12 \(Windows\)/);
});

test('mixbench backends: each backend, whether it loads, its device or adapter, what auto picks, what to install', async (t) => {
  const env = await envOrSkip(t);
  if (!env) return;
  const r = await runCli(['backends', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { backends: { backend: string; loads: boolean; detail: string; info: BackendInfo | null; install: string | null }[]; auto: string };
  assert.deepEqual(s.backends.map((b) => b.backend), ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'], 'in the order auto tries them');
  const by = Object.fromEntries(s.backends.map((b) => [b.backend, b]));
  assert.ok(by.webgpu.loads, by.webgpu.detail);
  assert.equal(by.webgpu.info?.adapter?.architecture, 'swiftshader');
  assert.match(by.webgpu.detail, /swiftshader.*auto never picks a software adapter/i);
  assert.ok(by.wasm.loads && by.cpu.loads);
  assert.match(s.auto, /^wasm .*webgpu: adapter google\/swiftshader.*auto does not use it/);
  // tfjs-node-gpu is not installed here: the CUDA versions it needs are named.
  if (!by['tensorflow-gpu'].loads) assert.match(by['tensorflow-gpu'].install ?? '', /CUDA 11\.2 and cuDNN 8\.1/);
  const text = await runCli(['backends'], env);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /webgpu\s+loads\s+.*swiftshader/i);
  assert.match(text.stdout, /auto picks: wasm/);
});

test('golden step fixtures of every method agree with the PyTorch twin on webgpu', async (t) => {
  const env = await envOrSkip(t);
  if (!env) return;
  const t0 = performance.now();
  const out = await runJson<GoldenCheckOutput>([join(__dirname, 'golden-check.js'), 'webgpu'], env);
  assert.ok(out.results, `golden check on webgpu: ${out.error}`);
  assert.equal(out.backend, 'webgpu');
  assert.equal((out.adapter as AdapterInfo | null)?.architecture, 'swiftshader');
  // Every fixture ran, so every catalogue method (test/golden.test.ts holds the fixtures to that) was checked here.
  assert.deepEqual(out.results.map((r) => r.case), loadGoldenCases().map((c) => c.fixture.case));
  const checked = new Set(out.results.flatMap((r) => r.methods));
  for (const m of methodNames()) assert.ok(checked.has(m), `method ${m} has a golden fixture that ran on webgpu`);
  const failed = out.results.filter((r) => !r.ok).map((r) => r.error);
  const slowest = [...out.results].sort((a, b) => b.seconds - a.seconds).slice(0, 3);
  t.diagnostic(`${out.results.length} fixtures on SwiftShader in ${((performance.now() - t0) / 1000).toFixed(0)} s wall (slowest: ${slowest.map((r) => `${r.case} ${r.seconds.toFixed(1)} s`).join(', ')})`);
  assert.deepEqual(failed, []);
});

test('webgpu agrees with wasm on one training step of every method: loss, gradients, updated weights', async (t) => {
  const env = await envOrSkip(t);
  if (!env) return;
  const [wasm, webgpu] = await Promise.all([steps('wasm', 'agreement', process.env), steps('webgpu', 'agreement', env)]);
  assert.deepEqual(webgpu.map((r) => r.id), wasm.map((r) => r.id));
  const problems: string[] = [];
  let worst = { what: '', rel: 0 };
  for (const [i, ref] of wasm.entries()) {
    const got = webgpu[i];
    const c = compareStep(ref, got, TOLERANCE);
    problems.push(...c.problems);
    if (c.worst[0].rel > worst.rel) worst = { what: `${ref.id}: ${c.worst[0].what}`, rel: c.worst[0].rel };
    for (const [name, g] of Object.entries(got.grads)) {
      const norm = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
      // The key bias's gradient is zero up to rounding (softmax ignores a per-query constant); every other is not.
      if (name.endsWith('/k/b')) assert.ok(norm < 1e-5, `${ref.id}: gradient ${name} is ~0 (${norm})`);
      else assert.ok(norm > 1e-7, `${ref.id}: gradient ${name} is not zero`);
    }
  }
  t.diagnostic(`worst relative difference: ${worst.rel.toExponential(2)} (${worst.what}); step seconds on SwiftShader: ${webgpu.map((r) => `${r.id} ${r.seconds.toFixed(1)}`).join(', ')}`);
  assert.deepEqual(problems, []);
  // The comparison can fail: a perturbed gradient is caught.
  const bent = { ...webgpu[0], grads: { ...webgpu[0].grads, 'head/b': webgpu[0].grads['head/b'].map((v) => v * 1.001) } };
  assert.ok(relativeDifference(wasm[0].grads['head/b'], bent.grads['head/b']) > TOLERANCE.tensor);
  assert.notDeepEqual(compareStep(wasm[0], bent, TOLERANCE).problems, []);
});

test('webgpu gives the same bits twice on steps that reach its atomic kernels (split-K matmul, segment sums)', async (t) => {
  const env = await envOrSkip(t);
  if (!env) return;
  const results = await steps('webgpu', 'determinism', env);
  assert.equal(results.length, 4);
  for (let i = 0; i < results.length; i += 2) {
    assert.equal(results[i].id, results[i + 1].id);
    assert.equal(firstBitDifference(results[i], results[i + 1]), null, results[i].id);
  }
});

function tinyConfig(dir: string, output: string): string {
  const path = join(dir, 'webgpu-tiny.yaml');
  writeFileSync(path, `name: webgpu-tiny
seeds: [1]
datasets: [{name: digits, limit: 64}]
methods: [baseline]
model: {type: transformer, dim: 8, depth: 1, heads: 2, mlpDim: 16, patch: 4}
train: {epochs: 2, batchSize: 16, evalBatchSize: 64}
output: ${join(dir, output)}
`);
  return path;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

test('mixbench run --backend webgpu: records name webgpu and SwiftShader, runs.csv says webgpu, a second run repeats the numbers', async (t) => {
  const env = await envOrSkip(t);
  if (!env) return;
  const dir = tempDir();
  const records: RunRecord[] = [];
  for (const out of ['first', 'second']) {
    const r = await runCli(['run', tinyConfig(dir, out), '--backend', 'webgpu'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /backend: webgpu \(@tensorflow\/tfjs-backend-webgpu, adapter google\/swiftshader/);
    const [header, row] = readFileSync(join(dir, out, 'runs.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    assert.equal(row[header.indexOf('backend')], 'webgpu');
    assert.equal(row[header.indexOf('status')], 'ok');
    const id = row[header.indexOf('run_id')];
    records.push(JSON.parse(readFileSync(join(dir, out, 'runs', id, 'result.json'), 'utf8')) as RunRecord);
  }
  for (const rec of records) {
    assert.equal(rec.environment.backend, 'webgpu');
    assert.equal(rec.environment.backendPackage, '@tensorflow/tfjs-backend-webgpu');
    assert.equal(rec.environment.adapter?.architecture, 'swiftshader');
    assert.equal(rec.environment.adapter?.software, true);
    assert.match(rec.environment.device ?? '', /swiftshader/);
  }
  const numbers = (rec: RunRecord) => ({
    curve: rec.curve.map((e) => [e.trainLoss, e.testAccuracy, e.testNll, e.testEce]),
    oversmoothing: rec.oversmoothing?.layers.map((l) => l.cosine),
  });
  assert.ok(records[0].oversmoothing?.layers.length, 'the diagnostic ran');
  assert.deepEqual(numbers(records[1]), numbers(records[0]), 'same config, seed and backend: same numbers');
});
