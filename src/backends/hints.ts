/** The order `auto` tries the backends in, and what to install when one does not load (no tfjs: `mixbench backends` shows them). */
import type { BackendName } from '../core/experiment';

/** The order `auto` tries. */
export const AUTO_ORDER: BackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

export const GPU_HINT =
  'install it with `npm install @tensorflow/tfjs-node-gpu@4.22.0` on Linux x86-64 with an NVIDIA GPU; it needs CUDA 11.2 and cuDNN 8.1 ' +
  '(libcudnn.so.8) on the library path, and its install script downloads libtensorflow, which needs network access to Google storage';
export const WEBGPU_HINT =
  'WebGPU needs a GPU driver with Vulkan (Linux), Metal (macOS) or D3D12 (Windows) and the `webgpu` package (an optional ' +
  'dependency that `npm ci` installs); on Linux `libvulkan.so.1` must be loadable (Debian/Ubuntu: apt-get install libvulkan1 ' +
  'and your GPU\'s Vulkan driver). Without a GPU, for tests: the software adapter from Debian\'s chromium package, ' +
  'LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json set before mixbench starts';
export const NODE_HINT = 'install it with `npm install @tensorflow/tfjs-node@4.22.0`; its install script downloads libtensorflow, which needs network access to Google storage';

/** What to install when a backend does not load. */
export const HINTS: Partial<Record<BackendName, string>> = { 'tensorflow-gpu': GPU_HINT, webgpu: WEBGPU_HINT, tensorflow: NODE_HINT };
