/** Finding and running a Python with PyTorch for the twin (reference/twin.py). */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './format';

/** OPENBLAS_CORETYPE (exported on some machines to force a CPU kernel family) is unset for PyTorch only. */
export function torchEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  return env;
}

/**
 * A Python that imports torch and numpy: `explicit`, else $MIXBENCH_TORCH_PYTHON (set by .ci/setup-torch.sh), else
 * python3, else /usr/bin/python3 (Debian's python3-torch, when python3 is another interpreter). Null if none does.
 */
export function findTorchPython(explicit?: string): string | null {
  const configured = explicit ?? process.env.MIXBENCH_TORCH_PYTHON;
  for (const py of configured ? [configured] : ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch, numpy'], { encoding: 'utf8', env: torchEnv() });
    if (r.status === 0) return py;
  }
  return null;
}

export const INSTALL_TORCH = 'on Debian/Ubuntu: apt-get install python3-torch (numpy comes with it)';

/** Runs reference/twin.py with the given arguments. */
export function runTwin(python: string, args: string[], inherit = false): SpawnSyncReturns<string> {
  return spawnSync(python, [join(REPO_ROOT, 'reference', 'twin.py'), ...args], {
    encoding: 'utf8', env: torchEnv(), stdio: inherit ? 'inherit' : 'pipe', maxBuffer: 1 << 24,
  });
}
