/**
 * Method entries of a config. Three written forms, one resolved form:
 *   - baseline                               a bare name
 *   - mixup: {alpha: 1}                      a one-key map name → options
 *   - {method: mixup, name: mixup-a8, alpha: 8, sam: {rho: 0.05}}
 *                                            an object with `method`, an optional display `name`, the method's own
 *                                            options, and further methods as keys (composition)
 */
import type { z } from 'zod';
import type { Issue } from '../errors';
import type { MethodModule } from '../methods/define';
import { methodInfo, methodNames } from '../methods/index';
import { issueAt, keyIssue, type SourceMap } from './locate';
import type { ResolvedMethod, ResolvedMethodPart } from '../core/experiment';

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

/** Resolve every method entry, collecting all issues. */
export function resolveMethods(
  src: SourceMap,
  entries: unknown[],
): { methods: ResolvedMethod[]; entryIndex: number[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const methods: ResolvedMethod[] = [];
  const entryIndex: number[] = [];
  const seenNames = new Map<string, number>();

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
        if (typeof name !== 'string' || !/^[A-Za-z0-9._+-]+$/.test(name)) {
          issues.push(issueAt(src, [...at, 'name'], 'name must be a string of letters, digits, ".", "_", "+" or "-"'));
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

    const resolvedParts: ResolvedMethodPart[] = [];
    const infos: MethodModule[] = [];
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
      const parsed = info.options.safeParse(part.options);
      if (!parsed.success) {
        for (const zi of parsed.error.issues) issues.push(optionIssue(src, part.path, zi, info));
        continue;
      }
      resolvedParts.push({ method: part.method, options: parsed.data });
      infos.push(info);
    }
    if (resolvedParts.length !== parts.length) return;

    // Two parts of one kind cannot be combined.
    for (let a = 0; a < infos.length; a++) {
      for (let b = a + 1; b < infos.length; b++) {
        const shared = infos[a].kinds.filter((k) => infos[b].kinds.includes(k));
        if (shared.length) {
          issues.push(issueAt(src, parts[b].path, `cannot combine ${infos[a].name} with ${infos[b].name}: both are ${shared[0]} methods; keep one of them`));
        }
      }
    }

    const name = displayName ?? resolvedParts.map((p) => p.method).filter((m, k, all) => all.length === 1 || m !== 'baseline').join('+');
    const previous = seenNames.get(name);
    if (previous !== undefined) {
      issues.push(issueAt(src, at, `method name "${name}" is already used by methods[${previous}]; give this entry a distinct \`name\`, e.g. {method: ${resolvedParts[0].method}, name: ${name}-2, ...}`));
      return;
    }
    seenNames.set(name, i);
    methods.push({ name, parts: resolvedParts });
    entryIndex.push(i);
  });

  return { methods, entryIndex, issues };
}

function optionNames(info: MethodModule): string[] {
  return Object.keys(info.options.shape);
}

function optionIssue(src: SourceMap, base: (string | number)[], zi: z.core.$ZodIssue, info: MethodModule): Issue {
  if (zi.code === 'unrecognized_keys') {
    const known = optionNames(info);
    const keys = zi.keys;
    const hint = known.length ? `options of ${info.name}: ${known.join(', ')}` : `${info.name} takes no options`;
    return keyIssue(src, base, keys[0], `unknown option "${keys.join('", "')}" for ${info.name}; ${hint}`);
  }
  return issueAt(src, [...base, ...(zi.path as (string | number)[])], `${info.name}: ${zi.message}`);
}
