/** Host-side helpers over row-major logits. */

/** Index of the largest of the k logits starting at `offset` (the first on ties, as tf.argMax). */
export function argmaxAt(logits: Float32Array, offset: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (logits[offset + j] > logits[offset + best]) best = j;
  return best;
}
