/** Shared test helpers. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendName } from '../src/core/experiment';

/** Load a backend once per test process and choose the matching op formulations. */
export async function useBackend(name: BackendName = 'cpu'): Promise<void> {
  const { loadBackend } = await import('../src/backend');
  const { configureOps } = await import('../src/model/ops');
  const info = await loadBackend(name);
  configureOps(info.name);
}

export function tempDir(prefix = 'mixbench-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Path of the compiled CLI entry (tests run from dist/test). */
export const CLI = join(__dirname, '..', '..', 'bin', 'mixbench.js');
