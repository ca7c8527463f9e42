import { createHash } from 'node:crypto';

/** JSON with object keys sorted recursively, so equal specs hash equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  if (typeof value === 'number' && Object.is(value, -0)) return 0;
  return value;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A seed in [1, 2^31 − 1] derived from labelled parts. Never 0: tfjs's Gaussian samplers treat seed 0 as
 * "unseeded" (`seed ? seed : Math.random()`), which would silently make runs irreproducible.
 */
export function deriveSeed(...parts: (string | number)[]): number {
  const digest = createHash('sha256').update(parts.map(String).join('\u0000')).digest();
  const n = digest.readUInt32BE(0) % 2147483647;
  return n + 1 > 2147483647 ? 1 : n + 1;
}
