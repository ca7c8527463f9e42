/**
 * Forcing tfjs-backend-wasm's multithreaded build under Node (an experiment for the benchmark, not used by runs).
 *
 * tfjs disables threads under Node (WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE, tfjs#3830) because
 * Emscripten starts its pthread workers from `blob:` URLs, which Node's worker_threads refuse. Here the worker
 * script and the main script are written to real files, `URL.createObjectURL` hands out those paths (in this
 * thread for the worker, in the worker for the main script), the flag is overridden and the thread count is set.
 * Call before the wasm backend initialises.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import * as tf from '../src/tf';

export function forceWasmThreads(threads: number): void {
  const dir = mkdtempSync(join(os.tmpdir(), 'mixbench-wasm-threads-'));
  const mainPath = join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const workerPath = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
  /* eslint-disable @typescript-eslint/no-require-imports */
  const factoryModule = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const factory = factoryModule.default ?? factoryModule;
  const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  /* eslint-enable @typescript-eslint/no-require-imports */
  writeFileSync(mainPath, `var WasmBackendModuleThreadedSimd = ${factory.toString()};\n`);
  // In the worker, the main script arrives as a Blob: map it to the file.
  writeFileSync(workerPath, `URL.createObjectURL = () => ${JSON.stringify(mainPath)};\n${String(wasmWorkerContents).replace(/\n/g, "\\n")}`);
  const original = URL.createObjectURL;
  URL.createObjectURL = ((obj: unknown) => (obj instanceof Blob && obj.type === 'application/javascript' ? workerPath : original(obj as Blob))) as typeof URL.createObjectURL;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  // tfjs's C side caps the pool at half of emscripten_num_logical_cores() (os.cpus().length under Node): report
  // 2·threads cores until the backend has initialised, then restore.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mutableOs = require('os') as { cpus: typeof os.cpus };
  const cpus = mutableOs.cpus;
  mutableOs.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus()[i % cpus().length]);
  restoreCpus = () => { mutableOs.cpus = cpus; };
}

let restoreCpus = (): void => {};

/** Undo the os.cpus() override once the wasm backend is ready. */
export function afterWasmInit(): void {
  restoreCpus();
}
