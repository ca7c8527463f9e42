/**
 * Golden step tests: mixbench agrees with its PyTorch twin (reference/) on one training step of every golden
 * fixture (test/golden/steps, `npm run golden`) on wasm, on cpu, and on cpu with the tensorflow backends' op
 * formulations; the fixtures cover every catalogue method on every modality and model it takes.
 */
import { test } from 'node:test';
import { checkGoldenCase, loadGoldenCases, useGoldenBackend, type Deviation } from './golden-util';

const cases = loadGoldenCases();

for (const backend of ['wasm', 'cpu', 'cpu-tensorflow-ops'] as const) {
  test(`golden steps on ${backend}`, async (t) => {
    await useGoldenBackend(backend);
    const worst: [string, Deviation][] = [];
    for (const c of cases) {
      await t.test(c.fixture.case, () => {
        const devs = checkGoldenCase(backend, c);
        worst.push([c.fixture.case, devs.reduce((a, b) => (b.rel > a.rel ? b : a))]);
      });
    }
    if (process.env.GOLDEN_REPORT) for (const [n, d] of worst) console.log(`${backend}\t${n}\t${d.rel.toExponential(2)}\t${d.what}`);
  });
}
