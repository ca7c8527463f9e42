/**
 * Child process of `mixbench backends`: loads one backend (a tfjs process holds one) and prints one JSON line,
 * `{ok: true, info}` or `{ok: false, reason}`.
 */
import type { BackendName } from '../core/experiment';

async function main(): Promise<void> {
  const name = process.argv[2] as BackendName;
  let line: string;
  try {
    const { loadBackend } = await import('../backend');
    const info = await loadBackend(name);
    line = JSON.stringify({ ok: true, info });
  } catch (err) {
    line = JSON.stringify({ ok: false, reason: String(err instanceof Error ? err.message : err).split('\n')[0] });
  }
  // Exit explicitly: a loaded native backend may keep the event loop alive.
  process.stdout.write(`${line}\n`, () => process.exit(0));
}

void main();
