/** Map a path inside a parsed YAML document to `line:col` for error messages. */
import { isCollection, isNode, type Document, type LineCounter, type Node } from 'yaml';
import type { Issue } from '../errors';

export interface SourceMap {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
}

/** The issue at `path`, placed at the deepest node of the path that exists (a missing key points at its parent). */
export function issueAt(src: SourceMap, path: (string | number)[], message: string): Issue {
  let node: Node | undefined;
  for (let depth = path.length; depth >= 0; depth--) {
    const candidate = depth === 0 ? src.doc.contents : src.doc.getIn(path.slice(0, depth), true);
    if (isNode(candidate)) {
      node = candidate;
      break;
    }
  }
  const offset = node?.range?.[0] ?? 0;
  const pos = src.lineCounter.linePos(offset);
  const shown = path.length ? `${formatPath(path)}: ` : '';
  return { file: src.file, line: pos.line, col: pos.col, path, message: `${shown}${message}` };
}

/** The position of a key (not its value) in a map at `mapPath`. */
export function keyIssue(src: SourceMap, mapPath: (string | number)[], key: string, message: string): Issue {
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
