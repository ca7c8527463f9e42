/**
 * Shared pieces of the property-based tests (fast-check).
 *
 * Seed and size: `npm test` runs every property with the fixed seed MIXBENCH_FUZZ_SEED (default 20240601) and its
 * default number of runs; MIXBENCH_FUZZ_RUNS=N runs each property N times (e.g. 20000 for a long session), and a
 * different MIXBENCH_FUZZ_SEED explores other inputs. A failure prints the seed and the shrunk counterexample.
 *
 * `arbitraryFromJsonSchema` turns the JSON Schema of a zod schema (z.toJSONSchema) into values: mostly within the
 * schema, sometimes just outside it (wrong type, out of range, unknown key), so the validation paths are exercised too.
 */
import fc from 'fast-check';

export const FUZZ_SEED = Number(process.env.MIXBENCH_FUZZ_SEED ?? 20240601);

/** Runs of a property: MIXBENCH_FUZZ_RUNS when set, else the property's default. */
export function fuzzRuns(defaultRuns: number): number {
  const v = Number(process.env.MIXBENCH_FUZZ_RUNS);
  return Number.isInteger(v) && v > 0 ? v : defaultRuns;
}

export function fuzzParams<T>(defaultRuns: number): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: fuzzRuns(defaultRuns), includeErrorInReport: true };
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  pattern?: string;
  default?: unknown;
};

/** Values a user might type by mistake anywhere. */
export const wildValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1, 0.5, -0.0, 1e308, -1e308, 2 ** 53, 2 ** 31, 1e21, '', ' ', 'none', 'yes', '~', '.nan', '.inf', '1e999', '-1', '🙂', '../..', '/proc/x', '%s%n'),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.array(fc.constantFrom(1, 'a', null), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('a', 'type', 'rate', 'name', 'x'), fc.constantFrom(1, 'b', null), { maxKeys: 2 }),
);

function numberArb(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + (integer ? 1 : 1e-3) : -5);
  const hiRaw = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - (integer ? 1 : 1e-3) : lo + 10);
  // Keep ordinary values small (runs are planned in-process), with the edges and a few large ones.
  const hi = Math.min(hiRaw, Math.max(lo, 0) + 12);
  const inRange = integer ? fc.integer({ min: Math.ceil(lo), max: Math.max(Math.ceil(lo), Math.floor(hi)) }) : fc.double({ min: lo, max: Math.max(lo, hi), noNaN: true, noDefaultInfinity: true });
  const edges = [s.minimum, s.maximum, s.exclusiveMinimum, s.exclusiveMaximum].filter((v): v is number => v !== undefined && Math.abs(v) < 1e16);
  const large = integer ? fc.constantFrom(100, 1000, 65536, 1e6, 2 ** 31) : fc.constantFrom(1e3, 1e6, 1e-9);
  return fc.oneof({ weight: 8, arbitrary: inRange }, { weight: 1, arbitrary: edges.length ? fc.constantFrom(...edges) : inRange }, { weight: 1, arbitrary: large });
}

function stringArb(s: JsonSchema): fc.Arbitrary<string> {
  if (s.pattern) {
    return fc.stringMatching(new RegExp(s.pattern.replace(/\^/, '^(?:').replace(/\$$/, '){1,12}$'))).filter((x) => x.length >= (s.minLength ?? 0) && x.length <= 24);
  }
  return fc.oneof(fc.constantFrom('digits', 'letters', 'spam-subjects', 'label', 'text', 'x.csv', 'data/a.tsv'), fc.string({ minLength: s.minLength ?? 0, maxLength: 10 }));
}

/** An arbitrary for (mostly) valid instances of `schema`; `wild` is the weight of wrong values at each node (0–10). */
export function arbitraryFromJsonSchema(schema: JsonSchema, wild = 1, depth = 0): fc.Arbitrary<unknown> {
  const valid = validArb(schema, wild, depth);
  return wild > 0 ? fc.oneof({ weight: 20, arbitrary: valid }, { weight: wild, arbitrary: wildValue }) : valid;
}

function validArb(s: JsonSchema, wild: number, depth: number): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map((a) => arbitraryFromJsonSchema(a, wild, depth + 1)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'integer': return numberArb(s, true);
    case 'number': return numberArb(s, false);
    case 'boolean': return fc.boolean();
    case 'string': return stringArb(s);
    case 'null': return fc.constant(null);
    case 'array': {
      const item = s.items ? arbitraryFromJsonSchema(s.items, wild, depth + 1) : wildValue;
      return fc.array(item, { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, depth > 2 ? 1 : 3) });
    }
    case 'object': {
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const entries = Object.entries(props).map(([k, v]) => [k, arbitraryFromJsonSchema(v, wild, depth + 1)] as const);
      const shape = Object.fromEntries(entries);
      const requiredKeys = Object.keys(props).filter((k) => required.has(k));
      const base = fc.record(shape, { requiredKeys }) as fc.Arbitrary<Record<string, unknown>>;
      if (wild === 0) return base;
      // Now and then an unknown key (typos are the commonest config mistake).
      return fc.tuple(base, fc.option(fc.tuple(fc.constantFrom('epoch', 'lr_', 'Name', 'seed', 'datset', 'x'), wildValue), { freq: 8 })).map(([o, extra]) => (extra ? { ...o, [extra[0]]: extra[1] } : o));
    }
    default:
      return wildValue;
  }
}

/** Byte-level mutations of a buffer: truncate, flip, insert, delete, duplicate a range, or replace everything. */
export function mutateBytes(base: Uint8Array): fc.Arbitrary<Buffer> {
  const n = base.length;
  const pos = fc.nat({ max: Math.max(0, n) });
  return fc.oneof(
    pos.map((p) => Buffer.from(base.subarray(0, p))),
    fc.array(fc.tuple(pos, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
      const b = Buffer.from(base);
      for (const [p, v] of flips) if (p < n) b[p] = v;
      return b;
    }),
    fc.tuple(pos, fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([p, ins]) => Buffer.concat([base.subarray(0, p), ins, base.subarray(p)])),
    fc.tuple(pos, fc.nat({ max: 256 })).map(([p, len]) => Buffer.concat([base.subarray(0, p), base.subarray(Math.min(n, p + len))])),
    fc.tuple(pos, fc.nat({ max: 256 })).map(([p, len]) => Buffer.concat([base.subarray(0, p + len), base.subarray(p)])),
    fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  );
}

/** Text-level mutations: the byte mutations above, plus line-level ones (drop, duplicate, swap, re-indent). */
export function mutateText(base: string): fc.Arbitrary<string> {
  const lines = base.split('\n');
  const line = fc.nat({ max: Math.max(0, lines.length - 1) });
  return fc.oneof(
    { weight: 2, arbitrary: mutateBytes(Buffer.from(base)).map((b) => b.toString('utf8')) },
    { weight: 1, arbitrary: line.map((i) => lines.filter((_, j) => j !== i).join('\n')) },
    { weight: 1, arbitrary: line.map((i) => [...lines.slice(0, i + 1), lines[i], ...lines.slice(i + 1)].join('\n')) },
    { weight: 1, arbitrary: fc.tuple(line, line).map(([i, j]) => { const c = [...lines]; [c[i], c[j]] = [c[j], c[i]]; return c.join('\n'); }) },
    { weight: 1, arbitrary: fc.tuple(line, fc.constantFrom('', ' ', '  ', '\t', '- ', '? ', '&a ', '*a ', '!!binary ', '{', '[')).map(([i, p]) => lines.map((l, j) => (j === i ? p + l : l)).join('\n')) },
  );
}
