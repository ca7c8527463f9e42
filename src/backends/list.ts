/**
 * `mixbench backends`: every backend, whether it loads on this machine, the device or WebGPU adapter it would use,
 * which one `auto` picks and why, and what to install for the ones that do not load. Each backend is loaded in its
 * own child process (src/backends/check.ts), as `mixbench run` would load it.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { BackendInfo } from '../backend';
import type { BackendName } from '../core/experiment';
import { AUTO_ORDER, HINTS } from './hints';

export interface BackendStatus {
  backend: BackendName;
  loads: boolean;
  /** Loaded: the device or adapter; not loaded: why. */
  detail: string;
  info: BackendInfo | null;
  /** What to install, when it does not load. */
  install: string | null;
}

function check(name: BackendName): Promise<{ ok: true; info: BackendInfo } | { ok: false; reason: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(__dirname, 'check.js'), name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code, signal) => {
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (line) return done(JSON.parse(line));
      const last = err.trim().split('\n').pop();
      done({ ok: false, reason: `the check ${signal ? `crashed (${signal})` : `exited with ${code}`}${last ? `: ${last}` : ''}` });
    });
  });
}

function detailOf(info: BackendInfo): string {
  if (info.adapter) return `${info.device}${info.adapter.software ? '; auto never picks a software adapter' : ''}`;
  if (info.threads !== null) return `${info.threads} thread${info.threads === 1 ? '' : 's'}${info.device ? `, ${info.device}` : ''}`;
  return info.device ?? '';
}

export async function backendStatuses(): Promise<{ backends: BackendStatus[]; auto: string }> {
  const [auto, ...results] = await Promise.all([check('auto'), ...AUTO_ORDER.map(check)]);
  const backends = results.map((r, i): BackendStatus => {
    const backend = AUTO_ORDER[i];
    if (r.ok) return { backend, loads: true, detail: detailOf(r.info), info: r.info, install: null };
    return { backend, loads: false, detail: r.reason.replace(/^cannot load backend "[^"]+": /, ''), info: null, install: HINTS[backend] ?? 'reinstall mixbench with `npm ci`' };
  });
  return { backends, auto: auto.ok ? auto.info.summary.replace(/^backend: /, '') : `nothing loads: ${auto.reason}` };
}

export function formatBackendStatuses(s: { backends: BackendStatus[]; auto: string }): string {
  const width = Math.max(...s.backends.map((b) => b.backend.length));
  const lines = s.backends.map((b) => `  ${b.backend.padEnd(width)}  ${b.loads ? 'loads    ' : 'not here '} ${b.detail}`);
  const missing = s.backends.filter((b) => !b.loads && b.install);
  return [
    'backend (auto tries them in this order):',
    ...lines,
    '',
    `auto picks: ${s.auto}`,
    ...(missing.length ? ['', 'to get the others:', ...missing.map((b) => `  ${b.backend}: ${b.install}`)] : []),
    '',
  ].join('\n');
}
