/**
 * Sweep axes as written in a config. In `model`, `train` and a method's options, a list where the key takes a single
 * value is an axis (`depth: [2, 4, 8]`, `lr: [0.001, 0.003]`, `{method: mixup, alpha: [0.2, 1, 8]}`); a key whose
 * value is itself a list (`model.hidden`, `manifold-mixup.layers`) is swept with the explicit form
 * `{sweep: [[256], [128, 128]]}`, which any key accepts. A list of lists where a list is expected is refused as
 * ambiguous, naming the fix. Whether a key takes a list is read from its zod schema, so every option of every method
 * (present and future) is sweepable without a list of known keys.
 *
 * Values are checked one by one against the key's schema, exactly as a single value would be, and located at their
 * element of the list. The product is taken only after the number of points is known (`points`), so a config asking
 * for millions of runs is refused before anything is expanded.
 */
import { z } from 'zod';
import type { Issue } from '../errors';
import { issueAt, type SourceMap } from './locate';

export type YamlPath = (string | number)[];

/** One axis of a map: the key, its values, and where each value is written (`valueAt(j)`). */
export interface WrittenAxis {
  key: string;
  values: unknown[];
  /** YAML path of the list of values (the element j is at [...path, j]). */
  path: YamlPath;
}

export interface AxisSplit {
  /** The keys with a single value. */
  fixed: Record<string, unknown>;
  axes: WrittenAxis[];
}

const listCache = new WeakMap<object, boolean>();

type JsonNode = z.core.JSONSchema._JSONSchema;

function admitsArray(node: JsonNode): boolean {
  if (typeof node === 'boolean') return node;
  if (node.type === 'array' || (Array.isArray(node.type) && node.type.includes('array'))) return true;
  return [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])].some(admitsArray);
}

/** Whether a key's schema takes a list as its value (then a list is the value, not an axis). */
export function takesList(field: z.core.$ZodType): boolean {
  let v = listCache.get(field);
  if (v === undefined) {
    try {
      v = admitsArray(z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }));
    } catch {
      v = false;
    }
    listCache.set(field, v);
  }
  return v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `{sweep: [...]}`: the explicit form of an axis. */
export function isSweepForm(v: unknown): v is { sweep: unknown } {
  return isPlainObject(v) && 'sweep' in v;
}

/**
 * Split a written map (model, train, or one method part's options) into single values and axes. `keyName` names a key
 * in messages (`model.depth`, `alpha`). Keys the schema does not know stay in `fixed` (the schema reports them).
 */
export function splitAxes(
  src: SourceMap,
  raw: Record<string, unknown>,
  shape: Readonly<Record<string, z.core.$ZodType>>,
  at: YamlPath,
  keyName: (key: string) => string,
  issues: Issue[],
): AxisSplit {
  const fixed: Record<string, unknown> = {};
  const axes: WrittenAxis[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const field = shape[key] as z.core.$ZodType | undefined;
    if (isSweepForm(value)) {
      const extra = Object.keys(value).filter((k) => k !== 'sweep');
      if (extra.length) {
        issues.push(issueAt(src, [...at, key], `{sweep: [...]} takes no other keys (found ${extra.join(', ')}); write ${keyName(key)}: {sweep: [v1, v2, ...]}`));
        continue;
      }
      if (!Array.isArray(value.sweep) || value.sweep.length === 0) {
        issues.push(issueAt(src, [...at, key, 'sweep'], `sweep takes a non-empty list of values, e.g. ${keyName(key)}: {sweep: [v1, v2]}`));
        continue;
      }
      if (!field) {
        fixed[key] = value;
        continue;
      }
      axes.push({ key, values: value.sweep, path: [...at, key, 'sweep'] });
      continue;
    }
    if (!Array.isArray(value) || !field) {
      fixed[key] = value;
      continue;
    }
    if (takesList(field)) {
      if (value.length > 0 && value.every(Array.isArray)) {
        issues.push(issueAt(src, [...at, key], `${keyName(key)} takes a list, so a list of lists is ambiguous: to sweep it, write ${keyName(key)}: {sweep: ${JSON.stringify(value)}}; for one value, write the list itself`));
        continue;
      }
      fixed[key] = value;
      continue;
    }
    if (value.length === 0) {
      issues.push(issueAt(src, [...at, key], `an empty list sweeps nothing: give ${keyName(key)} one value, or a list of values to sweep`));
      continue;
    }
    axes.push({ key, values: value, path: [...at, key] });
  }
  for (const axis of axes) {
    const seen = new Map<string, number>();
    axis.values.forEach((v, j) => {
      const id = JSON.stringify(v);
      const first = seen.get(id);
      if (first !== undefined) issues.push(issueAt(src, [...axis.path, j], `${keyName(axis.key)} lists ${JSON.stringify(v)} twice (also at position ${first + 1}); remove one (both would be the same runs)`));
      else seen.set(id, j);
    });
  }
  return { fixed, axes };
}

/**
 * Check a split map against its (strict object) schema exactly as a file without axes is checked: the single values
 * with each axis at its first value, then every value of every axis in place. `toIssue` turns a zod issue at a YAML
 * path into a located issue. Returns whether everything parsed.
 */
export function checkSplit(
  split: AxisSplit,
  schema: z.ZodType,
  at: YamlPath,
  toIssue: (zi: z.core.$ZodIssue, path: YamlPath) => Issue,
  issues: Issue[],
): boolean {
  const axisKeys = new Set(split.axes.map((a) => a.key));
  const base: Record<string, unknown> = { ...split.fixed };
  for (const a of split.axes) base[a.key] = a.values[0];
  let ok = true;
  const parsed = schema.safeParse(base);
  if (!parsed.success) {
    for (const zi of parsed.error.issues) {
      const head = zi.path[0];
      if (typeof head === 'string' && axisKeys.has(head)) continue;
      if (zi.code === 'unrecognized_keys') {
        const keys = (zi as { keys: string[] }).keys.filter((k) => !axisKeys.has(k));
        if (!keys.length) continue;
      }
      ok = false;
      issues.push(toIssue(zi, [...at, ...(zi.path as YamlPath)]));
    }
  }
  for (const a of split.axes) {
    a.values.forEach((v, j) => {
      const r = schema.safeParse({ ...base, [a.key]: v });
      if (r.success) return;
      for (const zi of r.error.issues) {
        if (zi.path[0] !== a.key) continue;
        ok = false;
        issues.push(toIssue({ ...zi, path: zi.path.slice(1) } as z.core.$ZodIssue, [...a.path, j, ...(zi.path.slice(1) as YamlPath)]));
      }
    });
  }
  return ok;
}

/** One factor of a product: axes that move together (a zip group) or a single axis. */
export interface Factor {
  axes: WrittenAxis[];
  /** Number of points (the common length). */
  size: number;
}

/** A point of a product: for each factor, the index of its value. */
export type Point = { axis: WrittenAxis; index: number }[];

export function productSize(factors: readonly Factor[]): number {
  return factors.reduce((n, f) => n * f.size, 1);
}

/** Every point of the product, the first factor outermost. Call only after `productSize` is known to be small. */
export function productPoints(factors: readonly Factor[]): Point[] {
  let points: Point[] = [[]];
  for (const f of factors) {
    const next: Point[] = [];
    for (const p of points) for (let i = 0; i < f.size; i++) next.push([...p, ...f.axes.map((axis) => ({ axis, index: i }))]);
    points = next;
  }
  return points;
}

/** The map of a point: the single values and each axis at its index. */
export function valuesAt(split: AxisSplit, point: Point): Record<string, unknown> {
  const out: Record<string, unknown> = { ...split.fixed };
  for (const { axis, index } of point) out[axis.key] = axis.values[index];
  return out;
}

/** Factors of independent axes (each crossed with the others). */
export function crossed(axes: readonly WrittenAxis[]): Factor[] {
  return axes.map((a) => ({ axes: [a], size: a.values.length }));
}



