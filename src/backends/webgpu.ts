/**
 * tfjs's webgpu backend (@tensorflow/tfjs-backend-webgpu) on the Dawn adapter that src/backends/adapter.ts found.
 */
import * as tf from '../tf';
import { ADAPTER_OPTIONS, adapterInfo, describeAdapter, loadDawn, type AdapterInfo, type DawnGpu } from './adapter';

/**
 * tfjs-backend-webgpu picks a split-K matmul (partial sums added with atomics, in whatever order the GPU runs them)
 * for products with a long inner dimension and a small output, e.g. a dense layer's weight gradient over more than
 * 2,000 rows. Its results then differ in the last bits from run to run. The packed (tiled) program sums in a fixed
 * order: forcing it keeps "same config, seed and backend → same numbers" on WebGPU.
 */
const MATMUL_PACKED_PROGRAM = 3;

let gpu: DawnGpu | undefined;

/**
 * Load Dawn in this process and register tfjs's webgpu backend on the adapter `expected` describes (the probe's);
 * `tf.setBackend('webgpu')` then creates the device. Returns the adapter in use.
 */
export async function activateWebgpu(expected: AdapterInfo): Promise<AdapterInfo> {
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals);
  gpu ??= dawn.create([]);
  const adapter = await gpu.requestAdapter(ADAPTER_OPTIONS);
  if (!adapter) throw new Error('Dawn found no WebGPU adapter in this process (the probe found one: is the environment the same?)');
  const info = adapterInfo(adapter);
  if (info.vendor !== expected.vendor || info.architecture !== expected.architecture || info.description !== expected.description) {
    throw new Error(`this process got adapter ${describeAdapter(info)}, the probe ${describeAdapter(expected)}`);
  }
  // tfjs-backend-webgpu registers its own factory only when navigator.gpu exists at import time; Node 20 has no
  // navigator, so importing it first registers just the kernels, and the factory below uses this adapter.
  // A variable specifier: the optional package's types are not needed to build mixbench.
  const specifier: string = '@tensorflow/tfjs-backend-webgpu';
  const { WebGPUBackend } = (await import(specifier)) as { WebGPUBackend: WebGPUBackendClass };
  if (tf.engine().registryFactory.webgpu) tf.removeBackend('webgpu');
  // WebGPUBackend's constructor checks for navigator.gpu (Node 20 has no navigator; Node 21+ has one without gpu).
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  g.navigator!.gpu = gpu;
  const NodeBackend = nodeBackendClass(WebGPUBackend);
  tf.registerBackend('webgpu', async () => {
    // The device tfjs's own factory would request: its optional features and the adapter's limits.
    const requiredFeatures = ['timestamp-query', 'bgra8unorm-storage'].filter((f) => adapter.features.has(f));
    const l = adapter.limits;
    const device = (await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      },
    })) as GpuDevice;
    return new NodeBackend(device, adapter.info);
  }, 0);
  replaceAddN();
  tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', MATMUL_PACKED_PROGRAM);
  return info;
}


/** The parts of GPUDevice used here (the `webgpu` package's types are not part of this build). */
interface GpuDevice {
  limits: { maxStorageBuffersPerShaderStage: number };
  lost: Promise<{ reason: string; message: string }>;
  addEventListener(type: 'uncapturederror', listener: (event: { error: { message: string }; preventDefault(): void }) => void): void;
}

/** The parts of tfjs-backend-webgpu's WebGPUBackend used here. */
interface WebGPUBackendInstance extends tf.KernelBackend {
  tensorMap: { get(dataId: object): { values: unknown; dtype: string } };
}
type WebGPUBackendClass = new (device: unknown, adapterInfo: unknown) => WebGPUBackendInstance;

/**
 * tfjs's WebGPUBackend with two changes for Node:
 * - WebGPU reports validation errors, out-of-memory and device loss as events, not exceptions: tfjs would go on
 *   computing with empty buffers and return garbage. They are collected here and thrown at the next host read, so a
 *   run fails with WebGPU's message instead of producing wrong numbers.
 * - readSync of data that lives on the GPU needs a browser's OffscreenCanvas (`dataSync()` fails with
 *   "OffscreenCanvas is not defined"); it now says to read asynchronously (`await t.data()`), which works.
 */
function nodeBackendClass(Base: WebGPUBackendClass) {
  return class NodeWebGPUBackend extends Base {
    private readonly deviceErrors: string[] = [];

    constructor(device: GpuDevice, info: unknown) {
      super(device, info);
      device.addEventListener('uncapturederror', (event) => {
        // preventDefault: Dawn would also print the error on stdout, which carries `--json` events.
        event.preventDefault();
        this.deviceErrors.push(event.error.message.split('\n')[0]);
      });
      void device.lost.then((info) => {
        if (info.reason !== 'destroyed') this.deviceErrors.push(`device lost: ${info.message}`);
      });
    }

    override readSync(dataId: object): tf.BackendValues {
      const data = this.tensorMap.get(dataId);
      if (data.values == null && data.dtype !== 'string' && data.dtype !== 'complex64') {
        throw new Error('webgpu under Node cannot read GPU data synchronously (dataSync/arraySync): use `await tensor.data()`');
      }
      return super.readSync(dataId);
    }

    override async read(dataId: object): Promise<tf.BackendValues> {
      const values = await super.read(dataId);
      if (this.deviceErrors.length) {
        const errors = this.deviceErrors.splice(0);
        throw new Error(`WebGPU error: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`);
      }
      return values;
    }
  };
}

/**
 * tfjs-backend-webgpu's AddN binds every input as a storage buffer in one shader; with more inputs than the device's
 * maxStorageBuffersPerShaderStage − 1 (7 at WebGPU's default limit of 8) pipeline creation fails validation and the
 * sum comes back as garbage. Autodiff and SAM's gradient norm (one term per variable) sum far more. This AddN sums
 * in chunks that fit, then the chunk sums, in a fixed order.
 */
function replaceAddN(): void {
  const original = tf.getKernel('AddN', 'webgpu');
  if (!original || (original.kernelFunc as { chunked?: boolean }).chunked) return;
  const kernelFunc = Object.assign((args: Parameters<tf.KernelFunc>[0]) => {
    const backend = args.backend as unknown as { device: GpuDevice; disposeData(dataId: object): void };
    const max = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    let terms = args.inputs as unknown as tf.TensorInfo[];
    const partials: tf.TensorInfo[] = [];
    while (terms.length > max) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < terms.length; i += max) {
        const chunk = terms.slice(i, i + max);
        if (chunk.length === 1) {
          next.push(chunk[0]);
          continue;
        }
        const sum = original.kernelFunc({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
        partials.push(sum);
        next.push(sum);
      }
      terms = next;
    }
    const out = original.kernelFunc({ ...args, inputs: terms as unknown as tf.NamedTensorInfoMap });
    for (const p of partials) backend.disposeData(p.dataId);
    return out;
  }, { chunked: true });
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({ ...original, kernelFunc });
}
