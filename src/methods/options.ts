/**
 * Option schemas shared by several methods, and the option documentation derived from any method's schema (name,
 * default, range, description) for `mixbench methods` and the docs, so that no default or range is written twice.
 */
import { z } from 'zod';
import type { OptionSchema } from './define';

/** The Beta(α, α) concentration of a mixing method; α = 0 means no mixing. */
export function mixingAlpha(defaultValue: number, description: string) {
  return z.number().min(0, 'alpha must be >= 0 (0 disables mixing)').default(defaultValue).describe(description);
}

/**
 * What the cutting-based methods (cutmix, resizemix, fmix, timm-mixup) say on data that is not an image: a pasted
 * region needs a pixel grid. Mixing text is wordMixup/senMixup (mixup) or hidden-state mixing.
 */
export const CUT_OTHER_DATA =
  'a pasted region needs a pixel grid, so cutting-based mixing is not defined for text or tabular rows: use mixup (on text wordMixup at the token embeddings, or text: sentence), regmixup or manifold-mixup';

/** SAM's options, shared by sam and the G-Mix family. */
export const samOptionShape = {
  rho: z.number().min(0, 'rho must be >= 0 (0 is the base optimizer)').default(0.05)
    .describe('radius of the weight perturbation (‖ε̂‖₂ = ρ); 0 gives the base optimizer; ASAM needs ~10× larger ρ'),
  adaptive: z.boolean().default(false).describe('ASAM: ε̂ = ρ·T²g/‖Tg‖ with T = |w| (scale-invariant sharpness)'),
};

/**
 * Schema metadata for an option whose default depends on the run (it is computed by the method and so has no
 * zod default): how the docs describe that default.
 */
export interface OptionMeta {
  defaultDoc: string;
}

export interface OptionDoc {
  name: string;
  default: string;
  range: string;
  description: string;
}

type JsonSchema = z.core.JSONSchema._JSONSchema;

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  return String(v);
}

/** A numeric bound of a JSON-schema node (zod writes exclusive bounds as numbers). */
function bound(v: number | boolean | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/** The values a JSON-schema node admits, in words: ">= 0", "[0, 1]", "max-beta | beta", "integer >= 0", … */
function rangeOf(s: JsonSchema): string {
  if (typeof s === 'boolean') return s ? 'any' : 'nothing';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map(String).join(' | ');
  if (s.anyOf) return s.anyOf.map(rangeOf).join(' | ');
  if (s.type === 'boolean') return 'true | false';
  if (s.type === 'array') {
    const items = s.items && !Array.isArray(s.items) ? rangeOf(s.items) : 'values';
    return `list of (${items})${s.minItems ? `, at least ${s.minItems}` : ''}`;
  }
  if (s.type === 'number' || s.type === 'integer') {
    const word = s.type === 'integer' ? 'integer ' : '';
    const exclusiveMin = bound(s.exclusiveMinimum);
    const exclusiveMax = bound(s.exclusiveMaximum);
    const lo = exclusiveMin !== undefined ? { v: exclusiveMin, open: true } : s.minimum !== undefined ? { v: s.minimum, open: false } : undefined;
    // zod states an integer's upper limit as the largest safe integer: no real bound.
    const hiValue = exclusiveMax ?? (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined);
    const hi = hiValue === undefined ? undefined : { v: hiValue, open: exclusiveMax !== undefined };
    if (lo && hi) return `${word}${lo.open ? '(' : '['}${lo.v}, ${hi.v}${hi.open ? ')' : ']'}`;
    if (lo) return `${word}${lo.open ? '>' : '>='} ${lo.v}`;
    if (hi) return `${word}${hi.open ? '<' : '<='} ${hi.v}`;
    return s.type === 'integer' ? 'integer' : 'number';
  }
  return 'any';
}

/** Name, default, range and description of every option, in schema order. */
export function optionDocs(schema: OptionSchema): OptionDoc[] {
  const json = z.toJSONSchema(schema, { io: 'input' });
  return Object.entries(json.properties ?? {}).map(([name, s]) => {
    const node = typeof s === 'boolean' ? {} : s;
    const defaultDoc = node.defaultDoc;
    return {
      name,
      default: node.default !== undefined ? formatValue(node.default) : typeof defaultDoc === 'string' ? defaultDoc : 'none',
      range: rangeOf(s),
      description: node.description ?? '',
    };
  });
}
