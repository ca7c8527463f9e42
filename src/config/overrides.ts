/**
 * `--set key=value`: a change to the config applied to its YAML document before it is checked, so an override is
 * validated exactly like the file (and may make an axis: `--set 'model.depth=[2,4]'`). The key is a path of map keys
 * and list positions, `train.lr`, `model.depth`, `datasets[0].limit`, `methods[1].alpha`; a method entry is addressed
 * by position or by its name (`methods[mixup-a8].alpha`), and `methods[i].<option>` reaches the entry's own options
 * whatever its written form (`- mixup`, `- mixup: {alpha: 1}`, `- {method: mixup, alpha: 1}`). The value is YAML
 * (`0.003`, `[0.2, 1]`, `{sweep: [[256], [128]]}`). Problems in an overridden value name the flag instead of a line.
 */
import { parse as parseYaml, type Document } from 'yaml';
import { UsageError } from '../errors';
import { methodNames } from '../methods/index';
import { formatPath } from './locate';

export interface Override {
  /** The flag's text as given, `train.lr=0.003`. */
  text: string;
  /** The path as written (a string segment in brackets is a method entry's name). */
  path: (string | number | { name: string })[];
  value: unknown;
}

/** Where an override landed in the document, for error locations. */
export interface AppliedOverride {
  text: string;
  path: (string | number)[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Parse `path=value`; a malformed flag is a usage error naming it. */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set ${text}: expected key=value, e.g. --set train.lr=0.003 or --set 'methods[1].alpha=[0.2,1]'`);
  const keyText = text.slice(0, eq).trim();
  const valueText = text.slice(eq + 1);
  const path: Override['path'] = [];
  let rest = keyText;
  let first = true;
  while (rest.length) {
    if (!first) {
      if (rest.startsWith('.')) rest = rest.slice(1);
      else if (!rest.startsWith('[')) throw new UsageError(`--set ${text}: cannot read the key "${keyText}" at "${rest}"; keys look like train.lr, model.depth, datasets[0].limit or methods[1].alpha`);
    }
    first = false;
    const m = KEY.exec(rest);
    if (m) {
      path.push(m[0]);
      rest = rest.slice(m[0].length);
    } else if (!rest.startsWith('[')) {
      throw new UsageError(`--set ${text}: cannot read the key "${keyText}" at "${rest}"; keys look like train.lr, model.depth, datasets[0].limit or methods[1].alpha`);
    }
    while (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      if (close < 0) throw new UsageError(`--set ${text}: "[" without "]" in the key`);
      const inner = rest.slice(1, close).trim();
      if (/^\d+$/.test(inner)) path.push(Number(inner));
      else if (/^[A-Za-z0-9._+-]+$/.test(inner)) path.push({ name: inner });
      else throw new UsageError(`--set ${text}: [${inner}] is neither a position (0, 1, ...) nor a method name`);
      rest = rest.slice(close + 1);
    }
  }
  if (!path.length) throw new UsageError(`--set ${text}: no key before "="`);
  let value: unknown;
  try {
    value = valueText.trim() === '' ? null : parseYaml(valueText);
  } catch (err) {
    throw new UsageError(`--set ${text}: the value is not valid YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); quote the flag for the shell, e.g. --set 'methods[1].alpha=[0.2,1]'`);
  }
  return { text, path, value };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The name a method entry goes by in `methods[<name>]`: its `name`, or its method. */
function entryNames(entry: unknown): string[] {
  if (typeof entry === 'string') return [entry];
  if (!isPlainObject(entry)) return [];
  if (typeof entry.method === 'string') return typeof entry.name === 'string' ? [entry.name, entry.method] : [entry.method];
  const keys = Object.keys(entry);
  return keys.length === 1 ? keys : [];
}

/** Apply the overrides to the document in order; returns where each landed. */
export function applyOverrides(doc: Document, overrides: readonly Override[]): AppliedOverride[] {
  const applied: AppliedOverride[] = [];
  for (const o of overrides) {
    const fail = (why: string): never => {
      throw new UsageError(`--set ${o.text}: ${why}`);
    };
    const path: (string | number)[] = [];
    let cur: unknown = doc.toJS();
    for (let s = 0; s < o.path.length; s++) {
      const seg = o.path[s];
      const here = path.length ? formatPath(path) : 'the config';
      if (typeof seg === 'number' || typeof seg === 'object') {
        if (!Array.isArray(cur)) fail(`${here} is not a list, so [${typeof seg === 'number' ? seg : seg.name}] cannot be set`);
        const list = cur as unknown[];
        let index: number;
        if (typeof seg === 'number') {
          index = seg;
          if (index >= list.length) fail(`${here} has ${list.length} entr${list.length === 1 ? 'y' : 'ies'}${list.length ? ` (${formatPath([...path, 0])} to ${formatPath([...path, list.length - 1])})` : ''}`);
        } else {
          if (formatPath(path) !== 'methods') fail(`entries are named only in methods[<name>]; use a position, ${here}[0]`);
          index = list.findIndex((e) => entryNames(e).includes(seg.name));
          if (index < 0) fail(`no method entry is named "${seg.name}"; entries: ${list.map((e, k) => `[${k}] ${entryNames(e)[0] ?? '?'}`).join(', ')}`);
        }
        path.push(index);
        cur = list[index];
        // methods[i].<key>: the entry's own options, whatever its written form.
        const next = o.path[s + 1];
        if (path.length === 2 && path[0] === 'methods' && typeof next === 'string') {
          if (typeof cur === 'string') {
            doc.setIn(path, doc.createNode({ method: cur }));
            cur = { method: cur };
          } else if (isPlainObject(cur) && typeof cur.method !== 'string' && Object.keys(cur).length === 1) {
            const [method, options] = Object.entries(cur)[0];
            const direct = next === method || !(next === 'name' || next === 'method' || methodNames().includes(next));
            if (direct) {
              if (next !== method) {
                path.push(method);
                if (!isPlainObject(options)) doc.setIn(path, doc.createNode({}));
                cur = isPlainObject(options) ? options : {};
              }
            } else {
              const normal = { method, ...(isPlainObject(options) ? options : {}) };
              doc.setIn(path, doc.createNode(normal));
              cur = normal;
            }
          }
        }
        continue;
      }
      if (Array.isArray(cur)) fail(`${here} is a list: give a position, ${here}[0]`);
      if (cur !== undefined && cur !== null && !isPlainObject(cur)) fail(`${here} is a single value, not a map, so it has no key "${seg}"`);
      path.push(seg);
      cur = isPlainObject(cur) ? cur[seg] : undefined;
    }
    doc.setIn(path, doc.createNode(o.value));
    applied.push({ text: o.text, path });
  }
  return applied;
}
