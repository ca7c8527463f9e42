/**
 * Method entries of a config. Three written forms, one resolved form:
 *   - baseline                               a bare name
 *   - mixup: {alpha: 1}                      a one-key map name → options
 *   - {method: mixup, name: mixup-a8, alpha: 8, sam: {rho: 0.05}}
 *                                            an object with `method`, an optional display `name`, the method's own
 *                                            options, and further methods as keys (composition)
 * Any option may be an axis (src/config/axes.ts): `{method: mixup, alpha: [0.2, 1, 8]}` is one arm per value. The
 * arms share the entry's name, so their run ids stay when values are added; a `name` with placeholders,
 * `mixup-a{alpha}`, names each arm instead (`mixup-a0.2`, ...).
 */
import type { z } from 'zod';
import { formatAxisValue } from '../core/axes';
import type { Issue } from '../errors';
import type { MethodModule } from '../methods/define';
import { methodInfo, methodNames } from '../methods/index';
import { checkSplit, crossed, productPoints, productSize, splitAxes, valuesAt, type AxisSplit, type Factor } from './axes';
import { issueAt, keyIssue, type SourceMap } from './locate';
import type { ResolvedMethod, ResolvedMethodPart, SweepAxis } from '../core/experiment';

interface WrittenPart {
  method: string;
  options: unknown;
  /** YAML path of the options map (or of the name) for error positions. */
  path: (string | number)[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function unknownMethod(name: string): string {
  return `unknown method "${name}"; known methods: ${methodNames().join(', ')} (see \`mixbench methods\`)`;
}

/** A method entry after its options are checked: its parts' single values and axes, not yet expanded. */
export interface WrittenEntry {
  /** Index in `methods`. */
  index: number;
  /** The name as written (`name`, possibly a template with {option} placeholders), or the derived name. */
  name: string;
  template: boolean;
  parts: { info: MethodModule; split: AxisSplit }[];
  factors: Factor[];
}

/** The option key of a part's option: `mixup.alpha`. */
const optionKey = (part: string, option: string) => `${part}.${option}`;

/**
 * Check every method entry, collecting all issues; option axes are found and checked but not expanded (see
 * `expandMethods`), so the size of the plan is known first.
 */
export function writtenMethods(src: SourceMap, entries: unknown[]): { entries: WrittenEntry[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const out: WrittenEntry[] = [];

  entries.forEach((entry, i) => {
    const at: (string | number)[] = ['methods', i];
    let displayName: string | undefined;
    const parts: WrittenPart[] = [];

    if (typeof entry === 'string') {
      parts.push({ method: entry, options: {}, path: at });
    } else if (isPlainObject(entry) && 'method' in entry) {
      const { method, name, ...rest } = entry;
      if (typeof method !== 'string') {
        issues.push(issueAt(src, [...at, 'method'], 'method must be a method name (a string)'));
        return;
      }
      if (name !== undefined) {
        if (typeof name !== 'string' || !/^[A-Za-z0-9._+{}-]+$/.test(name)) {
          issues.push(issueAt(src, [...at, 'name'], 'name must be a string of letters, digits, ".", "_", "+" or "-" (and {option} placeholders for swept options)'));
          return;
        }
        displayName = name;
      }
      const own: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(rest)) {
        if (methodInfo(key) && key !== method) parts.push({ method: key, options: value ?? {}, path: [...at, key] });
        else own[key] = value;
      }
      parts.unshift({ method, options: own, path: at });
    } else if (isPlainObject(entry) && Object.keys(entry).length === 1) {
      const [method, options] = Object.entries(entry)[0];
      parts.push({ method, options: options ?? {}, path: [...at, method] });
    } else {
      issues.push(
        issueAt(src, at, 'a method entry is a name (`- mixup`), a one-key map (`- mixup: {alpha: 1}`) or an object with `method` (`- {method: mixup, name: mixup-a8, alpha: 8}`)'),
      );
      return;
    }

    const written: WrittenEntry['parts'] = [];
    const composed = parts.length > 1;
    for (const part of parts) {
      const info = methodInfo(part.method);
      if (!info) {
        issues.push(part.path === at ? issueAt(src, [...at, ...(typeof entry === 'string' ? [] : ['method'])], unknownMethod(part.method)) : keyIssue(src, at, part.method, unknownMethod(part.method)));
        continue;
      }
      if (!isPlainObject(part.options)) {
        issues.push(issueAt(src, part.path, `options of ${part.method} must be a map, e.g. {${optionNames(info)[0] ?? 'key'}: ...}`));
        continue;
      }
      const keyName = (k: string) => (composed ? optionKey(part.method, k) : k);
      const before = issues.length;
      const split = splitAxes(src, part.options, info.options.shape, part.path, keyName, issues);
      const ok = checkSplit(split, info.options, part.path, (zi, path) => optionIssue(src, path, zi, info), issues);
      if (!ok || issues.length > before) continue;
      written.push({ info, split });
    }
    if (written.length !== parts.length) return;

    // Two parts of one kind cannot be combined.
    for (let a = 0; a < written.length; a++) {
      for (let b = a + 1; b < written.length; b++) {
        const shared = written[a].info.kinds.filter((k) => written[b].info.kinds.includes(k));
        if (shared.length) {
          issues.push(issueAt(src, parts[b].path, `cannot combine ${written[a].info.name} with ${written[b].info.name}: both are ${shared[0]} methods; keep one of them`));
        }
      }
    }

    const partNames = written.map((p) => p.info.name);
    const name = displayName ?? partNames.filter((m, k, all) => all.length === 1 || m !== 'baseline').join('+');
    const template = name.includes('{') || name.includes('}');
    if (template) {
      const problem = templateProblem(name, written);
      if (problem) {
        issues.push(issueAt(src, [...at, 'name'], problem));
        return;
      }
    }
    out.push({ index: i, name, template, parts: written, factors: crossed(written.flatMap((p) => p.split.axes)) });
  });
  return { entries: out, issues };
}

/** The arms of an entry: the size of its option product (1 without axes). */
export function armCount(entry: WrittenEntry): number {
  return productSize(entry.factors);
}

/**
 * Every arm of every entry (call once the plan's size is known to be acceptable). Arms of an entry without a name
 * template share its name (their labels add the swept options: src/core/axes.ts); with a template each arm's name is
 * the template with its values. Names must be unique across entries.
 */
export function expandMethods(src: SourceMap, entries: WrittenEntry[]): { methods: ResolvedMethod[]; entryIndex: number[]; axes: SweepAxis[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const methods: ResolvedMethod[] = [];
  const entryIndex: number[] = [];
  const axes: SweepAxis[] = [];
  const seenNames = new Map<string, number>();
  for (const entry of entries) {
    const at = ['methods', entry.index];
    const arms: ResolvedMethod[] = [];
    for (const point of productPoints(entry.factors)) {
      const parts: ResolvedMethodPart[] = entry.parts.map(({ info, split }) => ({
        method: info.name,
        options: info.options.parse(valuesAt(split, point.filter((p) => split.axes.includes(p.axis)))) as Record<string, unknown>,
      }));
      arms.push({ name: entry.template ? renderName(entry.name, parts) : entry.name, parts });
    }
    const names = entry.template ? arms.map((a) => a.name) : [entry.name];
    const clash = entry.template ? names.find((n, k) => names.indexOf(n) !== k) : undefined;
    if (clash !== undefined) {
      issues.push(issueAt(src, [...at, 'name'], `the name template gives several arms the name "${clash}"; put every swept option in it, e.g. ${entry.name}-{${entry.factors[0]?.axes[0].key ?? 'option'}}`));
      continue;
    }
    const bad = names.find((n) => !/^[A-Za-z0-9._+-]+$/.test(n));
    if (bad !== undefined) {
      issues.push(issueAt(src, [...at, 'name'], `the name template gives the arm name "${bad}", which has characters other than letters, digits, ".", "_", "+" and "-"; leave that option out of the name`));
      continue;
    }
    const taken = names.find((n) => seenNames.has(n));
    if (taken !== undefined) {
      const name = taken;
      issues.push(issueAt(src, at, `method name "${name}" is already used by methods[${seenNames.get(name)}]; give this entry a distinct \`name\`, e.g. {method: ${arms[0].parts[0].method}, name: ${name}-2, ...}`));
      continue;
    }
    for (const n of names) seenNames.set(n, entry.index);
    for (const arm of arms) {
      methods.push(arm);
      entryIndex.push(entry.index);
    }
    for (const { info, split } of entry.parts) {
      for (const a of split.axes) axes.push({ key: optionKey(info.name, a.key), values: a.values, ...(entry.template ? {} : { method: entry.name }) });
    }
  }
  return { methods, entryIndex, axes, issues };
}

/** Placeholders of a name template: `{alpha}` (an option of the first part) or `{neutreno.lambda}`. */
function placeholders(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]);
}

function templateProblem(template: string, parts: WrittenEntry['parts']): string | undefined {
  if (/[{}]/.test(template.replace(/\{[^{}]*\}/g, ''))) return `name "${template}": unbalanced braces; a placeholder is {option}, e.g. ${parts[0].info.name}-{${optionNames(parts[0].info)[0] ?? 'option'}}`;
  for (const p of placeholders(template)) {
    if (!placeholderValue(p, parts.map((x) => ({ method: x.info.name, options: Object.fromEntries(Object.keys(x.info.options.shape).map((k) => [k, true])) })))) {
      const known = parts.flatMap((x, k) => optionNames(x.info).map((o) => (k === 0 ? o : optionKey(x.info.name, o))));
      return `name "${template}": {${p}} is not an option of this entry; options: ${known.join(', ') || 'none'}`;
    }
  }
  return undefined;
}

function placeholderValue(p: string, parts: { method: string; options: Record<string, unknown> }[]): { value: unknown } | undefined {
  const dot = p.indexOf('.');
  const part = dot < 0 ? parts[0] : parts.find((x) => x.method === p.slice(0, dot));
  const option = dot < 0 ? p : p.slice(dot + 1);
  if (!part || !(option in part.options)) return undefined;
  return { value: part.options[option] };
}

function renderName(template: string, parts: ResolvedMethodPart[]): string {
  return template.replace(/\{([^{}]*)\}/g, (_, p: string) => formatAxisValue(placeholderValue(p, parts)?.value));
}

/** Resolve every method entry at once (tests and small configs): written, then expanded. */
export function resolveMethods(src: SourceMap, entries: unknown[]): { methods: ResolvedMethod[]; entryIndex: number[]; issues: Issue[] } {
  const written = writtenMethods(src, entries);
  const expanded = expandMethods(src, written.entries);
  return { methods: expanded.methods, entryIndex: expanded.entryIndex, issues: [...written.issues, ...expanded.issues] };
}

function optionNames(info: MethodModule): string[] {
  return Object.keys(info.options.shape);
}

/** A zod issue of a method's options, at `path` (the YAML path of the offending value, or of the options map). */
function optionIssue(src: SourceMap, path: (string | number)[], zi: z.core.$ZodIssue, info: MethodModule): Issue {
  if (zi.code === 'unrecognized_keys') {
    const known = optionNames(info);
    const keys = zi.keys;
    const hint = known.length ? `options of ${info.name}: ${known.join(', ')}` : `${info.name} takes no options`;
    return keyIssue(src, path, keys[0], `unknown option "${keys.join('", "')}" for ${info.name}; ${hint}`);
  }
  return issueAt(src, path, `${info.name}: ${zi.message}`);
}
