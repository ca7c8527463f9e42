/**
 * The WebGPU adapter, without tfjs: Dawn (npm `webgpu`, prebuilt for Linux x64, macOS and Windows) and what it reports.
 *
 * Finding the adapter runs in a child process (`probeAdapter`): a broken GPU driver can crash or hang inside adapter
 * enumeration, and Dawn prints its driver warnings ("Couldn't load Vulkan ...") straight to stderr; in a child both
 * become a reason string instead of killing or cluttering the run. Only then is Dawn loaded in this process
 * (`activateWebgpu`) and tfjs's webgpu backend registered on the adapter the probe reported.
 *
 * Vulkan on Linux: Dawn dlopens `libvulkan.so.1`, which the dynamic loader looks up with the LD_LIBRARY_PATH of the
 * process start, and the Vulkan loader reads VK_ICD_FILENAMES when Dawn creates its instance. On a machine with a GPU
 * driver both are already right. For the software adapter the tests use (SwiftShader from Debian's chromium package),
 * both must be in the environment before Node starts: `softwareVulkanEnv` builds it for child processes.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterInfo } from '../core/record';

export type { AdapterInfo };

export type ProbeResult = { ok: true; adapter: AdapterInfo } | { ok: false; reason: string };

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

export function isSoftwareAdapter(a: Omit<AdapterInfo, 'software'>): boolean {
  return a.fallback || SOFTWARE_NAMES.test(`${a.vendor} ${a.architecture} ${a.device} ${a.description}`);
}

/** `google/swiftshader "SwiftShader driver 5.0.0" (software)`. */
export function describeAdapter(a: AdapterInfo): string {
  const name = [a.vendor || '?', a.architecture].filter(Boolean).join('/');
  const desc = a.description || a.device;
  return `${name}${desc ? ` "${desc}"` : ''}${a.software ? ' (software)' : ''}`;
}

/** The adapter options both the probe and tfjs use: the discrete GPU where there are two. */
export const ADAPTER_OPTIONS = { powerPreference: 'high-performance' } as const;

export interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}
export interface DawnAdapter {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor: unknown): Promise<unknown>;
}
export interface DawnGpu {
  requestAdapter(options: unknown): Promise<DawnAdapter | null>;
}

// `webgpu` is an ES module: a real dynamic import (TypeScript would turn `import()` into `require` under CommonJS).
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

export async function loadDawn(): Promise<DawnModule> {
  try {
    return (await importEsm('webgpu')) as DawnModule;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new Error('the `webgpu` package is not installed (it is an optional dependency: `npm ci` installs it on Linux x64, macOS and Windows)');
    throw err;
  }
}

export function adapterInfo(adapter: DawnAdapter): AdapterInfo {
  const i = adapter.info;
  const base = { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '', fallback: !!i.isFallbackAdapter };
  return { ...base, software: isSoftwareAdapter(base) };
}

/** In the probe child: find the adapter and print one JSON line. */
export async function probeHere(): Promise<ProbeResult> {
  try {
    const dawn = await loadDawn();
    Object.assign(globalThis, dawn.globals);
    const adapter = await dawn.create([]).requestAdapter(ADAPTER_OPTIONS);
    if (!adapter) return { ok: false, reason: 'Dawn found no WebGPU adapter' };
    return { ok: true, adapter: adapterInfo(adapter) };
  } catch (err) {
    return { ok: false, reason: String(err instanceof Error ? err.message : err).split('\n')[0] };
  }
}

/** Dawn's own words about a missing adapter, e.g. "Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file". */
function dawnWarnings(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(Warning|Error):/.test(l))
    .map((l) => l.replace(/^(Warning|Error):\s*/, ''));
}

/** Find the WebGPU adapter in a child process with this process's environment (or `env`). */
export function probeAdapter(opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const script = join(__dirname, 'webgpu-probe.js');
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((done) => {
    const child = spawn(process.execPath, [script], { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); done({ ok: false, reason: `could not start the adapter probe: ${e.message}` }); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      const warnings = dawnWarnings(err);
      if (line) {
        const r = JSON.parse(line) as ProbeResult;
        if (!r.ok && warnings.length) r.reason = `${r.reason} (${warnings.join('; ')})`;
        return done(r);
      }
      const how = signal === 'SIGKILL' ? `did not answer within ${timeoutMs / 1000} s` : signal ? `crashed (${signal})` : `exited with ${code}`;
      done({ ok: false, reason: `the adapter probe ${how}${warnings.length ? `: ${warnings.join('; ')}` : ''}` });
    });
  });
}

/**
 * The environment for a child process that should see SwiftShader's Vulkan driver: from MIXBENCH_SWIFTSHADER_LIB and
 * MIXBENCH_SWIFTSHADER_ICD (set by .ci/setup-chromium.sh), else Debian's chromium paths when present; null when
 * neither is there.
 */
export function softwareVulkanEnv(base: NodeJS.ProcessEnv = process.env): { env: NodeJS.ProcessEnv; lib: string; icd: string } | null {
  const lib = base.MIXBENCH_SWIFTSHADER_LIB ?? '/usr/lib/chromium';
  const icd = base.MIXBENCH_SWIFTSHADER_ICD ?? join(lib, 'vk_swiftshader_icd.json');
  if (!existsSync(icd) || !existsSync(join(lib, 'libvulkan.so.1'))) return null;
  const env = { ...base, LD_LIBRARY_PATH: [lib, base.LD_LIBRARY_PATH].filter(Boolean).join(':'), VK_ICD_FILENAMES: icd };
  return { env, lib, icd };
}
