/**
 * The `done` marker of a run carries the SHA-256 of its result.json: `ok sha256=<hex>`. A record whose bytes changed
 * after it was written (a flipped bit, a half-copied file, an edit) no longer matches and is redone, instead of being
 * read with a wrong number in it. Markers written before this (`ok`, `diverged`, `failed` alone) are accepted when the
 * status agrees, so existing result directories stay resumable.
 */
import { createHash } from 'node:crypto';

const STATUSES = ['ok', 'diverged', 'failed'] as const;

export function sha256(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The marker written after result.json. */
export function doneMarker(status: string, resultJson: string | Uint8Array): string {
  return `${status} sha256=${sha256(resultJson)}\n`;
}

/**
 * The numbers an `ok` record must have to be used: finite accuracies in [0, 1] in its metrics and in every epoch of its
 * curve (an `ok` run always has them; null there means the record was damaged or hand-edited).
 */
export function okNumbersSound(rec: { metrics: { bestAccuracy: number; lastAccuracy: number } | null; curve: { testAccuracy: number }[] }): boolean {
  const acc = (v: number) => Number.isFinite(v) && v >= 0 && v <= 1;
  return !!rec.metrics && acc(rec.metrics.bestAccuracy) && acc(rec.metrics.lastAccuracy) && rec.curve.every((e) => acc(e.testAccuracy));
}

export type DoneCheck = 'verified' | 'legacy' | 'mismatch';

/**
 * Whether a `done` marker vouches for these result.json bytes with this status: 'verified' (hash matches), 'legacy'
 * (an older marker with the status only, no hash), or 'mismatch' (anything else: corrupt, or not this record).
 */
export function checkDone(marker: string, resultJson: Uint8Array, status: string): DoneCheck {
  const m = /^(ok|diverged|failed)(?: sha256=([0-9a-f]{64}))?\n?$/.exec(marker);
  if (!m || m[1] !== status || !(STATUSES as readonly string[]).includes(status)) return 'mismatch';
  if (m[2] === undefined) return 'legacy';
  return m[2] === sha256(resultJson) ? 'verified' : 'mismatch';
}
