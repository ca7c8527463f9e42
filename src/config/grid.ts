/**
 * The model × training grid: `model` and `train` axes (src/config/axes.ts), crossed, except the axes of a `zip` group,
 * which take their i-th values together (`zip: [[model.dim, model.mlpDim]]`). Each point is resolved with every
 * default (resolve.ts), so a default that depends on another key (mlpDim = 2·dim, the learning rate of SGD) follows
 * the swept value.
 */
import type { z } from 'zod';
import type { GridPoint, SweepAxis } from '../core/experiment';
import type { Issue } from '../errors';
import {
  checkSplit, crossed, productPoints, productSize, splitAxes, valuesAt, type AxisSplit, type Factor, type Point, type WrittenAxis, type YamlPath,
} from './axes';
import { issueAt, type SourceMap } from './locate';
import { resolveModel, resolveTrain } from './resolve';
import { ModelSchema, TrainSchema } from './schema';

type Section = 'model' | 'train';

export interface WrittenGrid {
  /** The split sections; undefined when the section is absent or not a map (the file schema reports that). */
  model?: AxisSplit;
  train?: AxisSplit;
  factors: Factor[];
  /** Whether every value checked out (else no experiment is made of the grid). */
  ok: boolean;
  /** Sections with a problem: left at their defaults when the grid is expanded for the checks across fields. */
  broken: Set<Section>;
}

export interface ResolvedGridPoint extends GridPoint {
  /** The axis values of this point (where each is written, for messages). */
  point: Point;
}

const SCHEMAS: Record<Section, z.ZodObject> = { model: ModelSchema, train: TrainSchema };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Split and check `model` and `train`, and group their axes by `zip`. */
export function writtenGrid(
  src: SourceMap,
  fields: Record<string, unknown>,
  toIssue: (zi: z.core.$ZodIssue, path: YamlPath) => Issue,
  issues: Issue[],
): WrittenGrid {
  const grid: WrittenGrid = { factors: [], ok: true, broken: new Set() };
  const axes: { key: string; axis: WrittenAxis }[] = [];
  for (const section of ['model', 'train'] as const) {
    const raw = fields[section];
    if (!isPlainObject(raw)) continue;
    const before = issues.length;
    const split = splitAxes(src, raw, SCHEMAS[section].shape, [section], (k) => `${section}.${k}`, issues);
    const ok = checkSplit(split, SCHEMAS[section], [section], toIssue, issues);
    if (!ok || issues.length > before) {
      grid.ok = false;
      grid.broken.add(section);
    }
    grid[section] = split;
    for (const axis of split.axes) axes.push({ key: `${section}.${axis.key}`, axis });
  }
  const zipped = zipGroups(src, fields.zip, axes, issues);
  if (!zipped) {
    grid.ok = false;
    return grid;
  }
  const inZip = new Set(zipped.flat());
  const factors: Factor[] = [];
  for (const { axis } of axes) {
    if (!inZip.has(axis)) {
      factors.push(...crossed([axis]));
      continue;
    }
    const group = zipped.find((g) => g.includes(axis))!;
    if (group[0] === axis) factors.push({ axes: group, size: axis.values.length });
  }
  grid.factors = factors;
  return grid;
}

/** The zip groups as axes (each in at most one group, all of one length), or undefined after an issue. */
function zipGroups(src: SourceMap, zip: unknown, axes: { key: string; axis: WrittenAxis }[], issues: Issue[]): WrittenAxis[][] | undefined {
  if (zip === undefined) return [];
  if (!Array.isArray(zip) || !zip.every((g) => Array.isArray(g) && g.every((k) => typeof k === 'string'))) return undefined; // the file schema says what zip is
  const groups: WrittenAxis[][] = [];
  const used = new Map<string, number>();
  let ok = true;
  zip.forEach((g: string[], i) => {
    const group: WrittenAxis[] = [];
    if (g.length < 2) {
      issues.push(issueAt(src, ['zip', i], 'a zip group names two or more axes that move together, e.g. [model.dim, model.mlpDim]'));
      ok = false;
      return;
    }
    g.forEach((key, j) => {
      const found = axes.find((a) => a.key === key);
      if (!found) {
        const known = axes.map((a) => a.key);
        issues.push(issueAt(src, ['zip', i, j], `${key} is not a model or train axis of this config${known.length ? ` (axes: ${known.join(', ')})` : ''}; zip groups name keys written with a list of values`));
        ok = false;
        return;
      }
      if (used.has(key)) {
        issues.push(issueAt(src, ['zip', i, j], `${key} is already in zip group ${used.get(key)}; an axis moves with one group`));
        ok = false;
        return;
      }
      used.set(key, i);
      group.push(found.axis);
    });
    const lengths = new Set(group.map((a) => a.values.length));
    if (group.length === g.length && lengths.size > 1) {
      issues.push(issueAt(src, ['zip', i], `the axes of a zip group take their values together, so they need as many values each (${group.map((a, k) => `${g[k]}: ${a.values.length}`).join(', ')})`));
      ok = false;
      return;
    }
    groups.push(group);
  });
  return ok ? groups : undefined;
}

export function gridSize(grid: WrittenGrid): number {
  return productSize(grid.factors);
}

/**
 * Every point of the grid, resolved (call once its size is known to be acceptable). A section with a problem is left
 * at its defaults, so that the checks across fields still see every model when only `train` is wrong.
 */
export function expandGrid(grid: WrittenGrid): ResolvedGridPoint[] {
  const usable = (split: AxisSplit | undefined, section: Section) => (split && !grid.broken.has(section) ? split : undefined);
  const model0 = usable(grid.model, 'model');
  const train0 = usable(grid.train, 'train');
  const factors = grid.factors.filter((f) => f.axes.every((a) => !grid.broken.has(a.path[0] as Section)));
  return productPoints(factors).map((point) => {
    const of = (split: AxisSplit | undefined) => (split ? valuesAt(split, point.filter((p) => split.axes.includes(p.axis))) : undefined);
    const model = of(model0);
    const train = of(train0);
    return {
      model: resolveModel(model === undefined ? undefined : ModelSchema.parse(model)),
      train: resolveTrain(train === undefined ? undefined : TrainSchema.parse(train)),
      point,
    };
  });
}

/** The declared axes of the grid, in the order written, with their zip partners. */
export function gridAxes(grid: WrittenGrid): SweepAxis[] {
  const out: SweepAxis[] = [];
  for (const f of grid.factors) {
    for (const a of f.axes) {
      const key = (axis: WrittenAxis) => `${axis.path[0]}.${axis.key}`;
      const partners = f.axes.filter((b) => b !== a).map(key);
      out.push({ key: key(a), values: a.values, ...(partners.length ? { zip: partners } : {}) });
    }
  }
  return out;
}
