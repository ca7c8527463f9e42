/**
 * Which records of older versions (RECORD_HISTORY in src/core/record.ts) no longer describe what a run computes.
 * Run ids do not change with the version, so this is the only thing that keeps a resumed sweep from mixing the two.
 */
import type { RunRecord } from '../core/record';
import { modalityOf } from '../data/spec';

/** Why `record` (written as `version`) must be redone, or undefined when it is still valid. */
export function staleReason(record: RunRecord, version: number): string | undefined {
  const spec = record.spec;
  // Version 2 stopped decaying the token-embedding table of text Transformers.
  if (version < 2 && spec.model.type === 'transformer' && spec.train.weightDecay > 0 && modalityOf(spec.dataset) === 'text') {
    return 'made before record version 2, which stopped weight-decaying the token-embedding table of text runs';
  }
  return undefined;
}
