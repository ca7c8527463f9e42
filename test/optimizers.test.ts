/** The fused optimizer agrees bit for bit with the per-variable reference (test/optimizer-util.ts), on the cpu backend. */
import { before, test } from 'node:test';
import { useBackend } from './helpers';
import { runAgreementSuite } from './optimizer-util';

before(() => useBackend('cpu'));

test('cpu: fused flat-buffer optimizer = per-variable optimizer, bit for bit, for every setting, clipping, withheld gradients and SAM', () => {
  runAgreementSuite();
});
