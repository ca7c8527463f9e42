/** Map a path inside a parsed YAML document to `line:col` for error messages. */
import { isCollection, isNode, type Document, type LineCounter, type Node } from 'yaml';
import type { Issue } from '../errors';

export interface SourceMap {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
  /** Values set by `--set` (src/config/overrides.ts): problems inside them name the flag instead of a line. */
  overrides?: { text: string; path: (string | number)[] }[];
}

/** The `--set` flag whose value holds `path`, if any (the last one wins, as it was applied last). */
function overrideAt(src: SourceMap, path: (string | number)[]): string | undefined {
  const hits = (src.overrides ?? []).filter((o) => o.path.length <= path.length && o.path.every((p, i) => p === path[i]));
  return hits.length ? hits[hits.length - 1].text : undefined;
}

/**
 * The issue at `path`, placed at the deepest node of the path that the file holds (a missing key points at its
 * parent); inside a value given by `--set`, at the flag.
 */
export function issueAt(src: SourceMap, path: (string | number)[], message: string): Issue {
  const shown = path.length ? `${formatPath(path)}: ` : '';
  const flag = overrideAt(src, path);
  if (flag !== undefined) return { file: `--set ${flag}`, path, message: `${shown}${message}` };
  let node: Node | undefined;
  for (let depth = path.length; depth >= 0; depth--) {
    const candidate = depth === 0 ? src.doc.contents : src.doc.getIn(path.slice(0, depth), true);
    if (isNode(candidate) && candidate.range) {
      node = candidate;
      break;
    }
  }
  const offset = node?.range?.[0] ?? 0;
  const pos = src.lineCounter.linePos(offset);
  return { file: src.file, line: pos.line, col: pos.col, path, message: `${shown}${message}` };
}

/** The position of a key (not its value) in a map at `mapPath`. */
export function keyIssue(src: SourceMap, mapPath: (string | number)[], key: string, message: string): Issue {
  const flag = overrideAt(src, [...mapPath, key]);
  if (flag !== undefined) return { file: `--set ${flag}`, path: [...mapPath, key], message: `${formatPath([...mapPath, key])}: ${message}` };
  const map = mapPath.length === 0 ? src.doc.contents : src.doc.getIn(mapPath, true);
  if (isCollection(map)) {
    for (const item of map.items as { key?: unknown }[]) {
      const k = item.key;
      if (isNode(k) && (k as { value?: unknown }).value === key && k.range) {
        const pos = src.lineCounter.linePos(k.range[0]);
        return { file: src.file, line: pos.line, col: pos.col, path: [...mapPath, key], message: `${formatPath([...mapPath, key])}: ${message}` };
      }
    }
  }
  return issueAt(src, mapPath, message);
}

export function formatPath(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}
