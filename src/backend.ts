/**
 * Loading a tfjs backend. `auto` tries tfjs-node-gpu (CUDA), WebGPU on a hardware adapter, tfjs-node, wasm, then cpu,
 * and says in one line which it got and why the faster ones were unavailable (for WebGPU: the adapter it found). It
 * never picks a software WebGPU adapter (SwiftShader, llvmpipe): asked for explicitly (`--backend webgpu`), one is
 * used. An explicitly requested backend that cannot load is a BackendError (exit 2).
 * All backends share the tfjs-core API; src/model/ops.ts chooses the op formulations per backend (configureOps).
 */
import type { BackendName } from './core/experiment';
import { BackendError } from './errors';
import { describeAdapter, probeAdapter, type AdapterInfo } from './backends/adapter';
import { AUTO_ORDER, HINTS } from './backends/hints';
import * as tf from './tf';

export interface BackendInfo {
  /** What was asked for. */
  requested: BackendName;
  /** tfjs's name of the backend in use: tensorflow | webgpu | wasm | cpu. */
  name: string;
  /** Which package provided it. */
  package: string;
  /** wasm: threads in use; tensorflow: null. */
  threads: number | null;
  /** The device in one phrase: tfjs-node-gpu's GPU, tfjs-node's CPU, or the WebGPU adapter. */
  device: string | null;
  /** webgpu: the adapter Dawn reported. */
  adapter: AdapterInfo | null;
  /** One line for the log: what we got and why the faster ones were unavailable. */
  summary: string;
}

let loaded: BackendInfo | undefined;

export async function loadBackend(requested: BackendName): Promise<BackendInfo> {
  if (loaded) {
    if (requested === 'auto' || requested === loaded.requested || backendFor(requested) === loaded.name) return loaded;
    throw new BackendError(`backend ${loaded.name} is already loaded in this process; cannot switch to ${requested}`);
  }
  const skipped: string[] = [];
  const order: BackendName[] = requested === 'auto' ? AUTO_ORDER : [requested];
  for (const candidate of order) {
    try {
      const info = await tryLoad(candidate, requested);
      info.summary = `backend: ${describe(info)}${skipped.length ? ` (unavailable: ${skipped.join('; ')})` : ''}`;
      loaded = info;
      return info;
    } catch (err) {
      const reason = firstLine(err);
      if (requested !== 'auto') {
        const hint = HINTS[candidate] ?? 'reinstall mixbench with `npm ci`';
        throw new BackendError(`cannot load backend "${candidate}": ${reason}\n  ${hint}\n  or use --backend auto to fall back to the fastest backend that loads`);
      }
      skipped.push(`${candidate}: ${reason}`);
    }
  }
  throw new BackendError(`no tfjs backend could be loaded: ${skipped.join('; ')}`);
}

function backendFor(name: BackendName): string {
  return name === 'tensorflow-gpu' || name === 'tensorflow' ? 'tensorflow' : name;
}

async function tryLoad(candidate: BackendName, requested: BackendName): Promise<BackendInfo> {
  const info: BackendInfo = { requested, name: backendFor(candidate), package: '', threads: null, device: null, adapter: null, summary: '' };
  switch (candidate) {
    case 'tensorflow-gpu': {
      info.package = '@tensorflow/tfjs-node-gpu';
      await importOptional(info.package);
      await activate('tensorflow');
      info.device = 'GPU (tfjs-node-gpu does not report the device name; libtensorflow logs it on stderr)';
      break;
    }
    case 'tensorflow': {
      info.package = '@tensorflow/tfjs-node';
      await importOptional(info.package);
      await activate('tensorflow');
      info.device = 'CPU';
      break;
    }
    case 'webgpu': {
      info.package = '@tensorflow/tfjs-backend-webgpu';
      const probe = await probeAdapter();
      if (!probe.ok) throw new Error(probe.reason);
      if (probe.adapter.software && requested === 'auto') {
        throw new Error(`adapter ${describeAdapter(probe.adapter)} is a software adapter, slower than wasm: auto does not use it (--backend webgpu does)`);
      }
      const { activateWebgpu } = await import('./backends/webgpu');
      info.adapter = await activateWebgpu(probe.adapter);
      await activate('webgpu');
      info.device = `adapter ${describeAdapter(info.adapter)}`;
      break;
    }
    case 'wasm': {
      info.package = '@tensorflow/tfjs-backend-wasm';
      const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm');
      await activate('wasm');
      // Under Node the multithreaded wasm build is disabled (tfjs#3830), so this reports what actually runs.
      info.threads = wasm.getThreadsCount();
      break;
    }
    case 'cpu': {
      info.package = '@tensorflow/tfjs-backend-cpu';
      await activate('cpu');
      info.threads = 1;
      break;
    }
    case 'auto':
      throw new Error('unreachable');
  }
  return info;
}

async function importOptional(pkg: string): Promise<void> {
  try {
    // A variable specifier keeps TypeScript from requiring the optional package's types at build time.
    const spec: string = pkg;
    await import(spec);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') throw new Error(`${pkg} is not installed`);
    throw err;
  }
}

async function activate(name: string): Promise<void> {
  if (!tf.engine().registryFactory[name]) throw new Error(`backend "${name}" did not register`);
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend "${name}" failed to initialise`);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`tfjs chose ${tf.getBackend()} instead of ${name}`);
}

function describe(info: BackendInfo): string {
  const extra = info.threads !== null ? `, ${info.threads} thread${info.threads === 1 ? '' : 's'}` : info.device ? `, ${info.device}` : '';
  return `${info.name} (${info.package}${extra})`;
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0];
}
