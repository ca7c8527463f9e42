/** The fused optimizer agrees bit for bit with the per-variable reference (test/optimizer-util.ts), on the wasm backend. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '../src/tf';
import { useBackend } from './helpers';
import { runAgreementSuite } from './optimizer-util';

before(async () => {
  await useBackend('wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

test('wasm: fused flat-buffer optimizer = per-variable optimizer, bit for bit, for every setting, clipping, withheld gradients and SAM', () => {
  runAgreementSuite();
});
