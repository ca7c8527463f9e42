/**
 * The JSON Schema of a config file for editors (`mixbench schema`; committed as schema/mixbench.schema.json, which
 * the shipped configs name in their `# yaml-language-server: $schema=...` line). Generated from the zod schemas that
 * check configs (zod's `toJSONSchema`), with:
 *   - every key of `model`, `train` and of each method's options also taking a list of values or `{sweep: [...]}`
 *     (src/config/axes.ts), except that a key whose value is a list takes `{sweep: [...]}` only;
 *   - the method entries from the method list: a name, a one-key map name → options, or an object with `method`,
 *     its options and further methods (composition), each method's options with their descriptions and defaults;
 *   - the noise entries (checked in code by resolveNoise; described here with the same types and names);
 *   - the defaults resolve.ts fills in, read from the resolver itself.
 * A test checks that the committed copy is this output and that every shipped config validates against it (ajv).
 */
import { z } from 'zod';
import { INPUT_NOISE_TYPES, LABEL_NOISE_TYPES, TEXT_NOISE_TYPES } from '../core/experiment';
import { METHODS } from '../methods/index';
import { takesList } from './axes';
import { DEFAULT_BACKEND, DEFAULT_SEEDS, DEFAULT_SPLIT_SEED, resolveModel, resolveTrain } from './resolve';
import { ExperimentFileSchema, ModelSchema, TrainSchema } from './schema';

type Json = Record<string, unknown>;

export const SCHEMA_ID = 'https://github.com/mixbench/mixbench/schema/mixbench.schema.json';

const rate = z.union([z.number().min(0), z.array(z.number().min(0)).min(1)]);
/** Noise entries as resolveNoise reads them (a list of rates gives one setting per rate). */
const NoiseEntrySchema = z.union([
  z.literal('none'),
  z.null(),
  z.strictObject({
    label: z.strictObject({
      type: z.enum(LABEL_NOISE_TYPES),
      rate: rate.describe('fraction of training labels corrupted, in [0, 1); a list gives one setting per rate'),
      map: z.union([z.array(z.number().int().min(0)), z.record(z.string(), z.number().int().min(0))]).optional()
        .describe('asymmetric: class k → map[k] (a list, or a map {from: to}); default k+1 mod K'),
    }),
  }).describe('label noise on the training split'),
  z.strictObject({
    input: z.strictObject({
      type: z.enum(INPUT_NOISE_TYPES),
      rate: rate.optional().describe('outliers: fraction of inputs replaced; gaussian: the std (or write std)'),
      std: rate.optional().describe('gaussian: noise std relative to each feature\'s std'),
    }),
  }).describe('input noise on the training split'),
  z.strictObject({
    text: z.strictObject({
      type: z.enum(TEXT_NOISE_TYPES),
      rate: rate.describe('probability that each token is replaced or deleted'),
    }),
  }).describe('token noise on the training split (text)'),
]).describe('`none` or one kind of noise: {label: ...}, {input: ...} or {text: ...}');

function toJson(schema: z.core.$ZodType): Json {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

/** Keywords zod writes from `.meta()` that are not JSON Schema: folded into the description. */
function cleanMeta(node: Json): Json {
  const { defaultDoc, ...rest } = node;
  if (typeof defaultDoc === 'string') rest.description = `${rest.description ? `${String(rest.description)}; ` : ''}default: ${defaultDoc}`;
  return rest;
}

/** A key that may be an axis: its value, a list of values (unless the value is a list), or {sweep: [...]}. */
function axisOf(field: z.core.$ZodType, defaultValue?: unknown): Json {
  const node = cleanMeta(toJson(field));
  const { description, default: zodDefault, ...value } = node;
  const sweep = { type: 'object', properties: { sweep: { type: 'array', items: value, minItems: 1 } }, required: ['sweep'], additionalProperties: false };
  const forms = takesList(field) ? [value, sweep] : [value, { type: 'array', items: value, minItems: 1 }, sweep];
  const def = zodDefault ?? defaultValue;
  return {
    ...(description ? { description } : {}),
    ...(def !== undefined && def !== null ? { default: def } : {}),
    anyOf: forms,
  };
}

function sectionOf(schema: z.ZodObject, defaults: Record<string, unknown>): Json {
  const base = toJson(schema);
  const properties: Json = {};
  for (const [key, field] of Object.entries(schema.shape)) properties[key] = axisOf(field as z.core.$ZodType, defaults[key]);
  return { ...base, properties };
}

/** A method's options: each may be an axis. */
function optionsOf(options: z.ZodObject): Json {
  return sectionOf(options, {});
}

function methodEntries(): { entry: Json; defs: Json } {
  const defs: Json = {};
  const ref = (name: string) => ({ $ref: `#/$defs/options-${name}` });
  for (const m of METHODS) defs[`options-${m.name}`] = { description: `options of ${m.name}: ${m.summary}`, ...optionsOf(m.options) };
  const names = METHODS.map((m) => m.name);
  const bare = { type: 'string', enum: names, description: 'a method with its default options' };
  const oneKey = {
    type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: false,
    properties: Object.fromEntries(names.map((n) => [n, { anyOf: [ref(n), { type: 'null' }] }])),
    description: 'a method with options: `mixup: {alpha: 1}`',
  };
  const objects = METHODS.map((m) => ({
    type: 'object',
    required: ['method'],
    additionalProperties: false,
    properties: {
      method: { const: m.name },
      name: {
        type: 'string', pattern: '^[A-Za-z0-9._+{}-]+$',
        description: 'display name, unique in the config (default: the method, or the composed methods joined by +); placeholders {option} name each arm of a swept option, e.g. mixup-a{alpha}',
      },
      ...(defs[`options-${m.name}`] as { properties: Json }).properties,
      ...Object.fromEntries(names.filter((n) => n !== m.name).map((n) => [n, { ...ref(n), description: `compose with ${n}` }])),
    },
    description: `${m.name}: ${m.summary}`,
  }));
  return { entry: { anyOf: [bare, oneKey, ...objects] }, defs };
}

/** The JSON Schema of a config file. */
export function configJsonSchema(): Json {
  const root = toJson(ExperimentFileSchema);
  const props = root.properties as Record<string, Json>;
  const { entry, defs } = methodEntries();
  props.methods = { ...props.methods, items: entry };
  props.noise = { ...props.noise, items: toJson(NoiseEntrySchema), default: ['none'] };
  const model = sectionOf(ModelSchema, { ...resolveModel({ type: 'mlp' }), ...resolveModel(undefined) });
  props.model = { ...props.model, ...model };
  props.train = { ...props.train, ...sectionOf(TrainSchema, resolveTrain(undefined)) };
  props.seeds = { ...props.seeds, default: DEFAULT_SEEDS };
  props.backend = { ...props.backend, default: DEFAULT_BACKEND };
  props.splitSeed = { ...props.splitSeed, default: DEFAULT_SPLIT_SEED };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_ID,
    title: 'mixbench experiment config',
    description: 'A mixbench experiment: datasets × noise × model/training grid × methods × seeds. Lists where one value is expected are sweep axes (docs/sweeps.md).',
    ...root,
    $defs: defs,
  };
}

/** The schema as the committed file holds it (2-space JSON, final newline). */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
