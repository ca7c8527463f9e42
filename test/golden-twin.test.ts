/**
 * The committed golden fixtures are what the PyTorch twin computes: reference/twin.py --check recomputes every
 * fixture from its inputs and compares (1e-6 relative). Needs a Python with PyTorch (CI installs Debian's
 * python3-torch, .ci/setup-torch.sh); skipped, saying so, where there is none — the golden comparisons of mixbench
 * itself (test/golden.test.ts) never need Python.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GOLDEN_STEPS_DIR } from './golden/format';
import { findTorchPython, INSTALL_TORCH, runTwin } from './golden/python';

const python = findTorchPython();

test('the committed golden fixtures are what the PyTorch twin computes', { skip: python ? false : `no Python with PyTorch (${INSTALL_TORCH})` }, () => {
  const r = runTwin(python!, ['--check', GOLDEN_STEPS_DIR]);
  assert.equal(r.status, 0, `reference/twin.py --check failed (after changing reference/, run \`npm run golden\`):\n${r.stderr}${r.stdout}`);
  assert.match(r.stdout, /fixtures checked, 0 differ/);
});
