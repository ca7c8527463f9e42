/** Reading users' files: bytes (gzip detected by magic), delimited text with line numbers, errors that name the place. */
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ConfigError } from '../errors';
import { describeErrno } from '../util/fs';

/** A ConfigError for one place in a data file. */
export function dataError(file: string, message: string, line?: number): ConfigError {
  return new ConfigError([line === undefined ? { file, message } : { file, line, col: 1, message }]);
}

/** The file's bytes, gunzipped when they start with the gzip magic (1f 8b) whatever the file name says. */
export function readData(path: string, howToGet?: string): Buffer {
  let raw: Buffer;
  try {
    if (statSync(path).isDirectory()) throw dataError(path, 'is a directory, expected a data file');
    raw = readFileSync(path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    // A NUL byte (a YAML "\0" escape) makes Node refuse the path itself; name it, and never write the byte out.
    const nul = code === 'ERR_INVALID_ARG_VALUE' && path.includes('\0');
    if (!nul && (!code || code.startsWith('ERR_'))) throw err; // not a file-system problem: a bug
    const why = nul ? 'not a usable path (it contains a NUL byte)' : code === 'ENOENT' ? 'no such file' : describeErrno(code);
    throw dataError(path.replace(/\0/g, '\\x00'), `cannot read data file: ${why}${howToGet ? `; ${howToGet}` : ''}`);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (err) {
      throw dataError(path, `corrupt or truncated gzip data (${(err as Error).message})`);
    }
  }
  return raw;
}

/** UTF-8 text of a data file (BOM and CR of CRLF removed). */
export function readText(path: string, encoding: 'utf8' | 'latin1' = 'utf8', howToGet?: string): string {
  let text = readData(path, howToGet).toString(encoding);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.replace(/\r\n?/g, '\n');
}

export interface Row {
  cells: string[];
  /** 1-based line where the row starts. */
  line: number;
}

/**
 * RFC 4180 delimited text: fields may be quoted with "…" (doubled quotes inside, newlines allowed); blank lines are
 * skipped. With `quotes: false` (GLUE TSVs) quotes are ordinary characters.
 */
export function parseDelimited(text: string, delimiter: string, quotes = true): Row[] {
  const rows: Row[] = [];
  if (!quotes || !text.includes('"')) {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === '') continue;
      rows.push({ cells: lines[i].split(delimiter), line: i + 1 });
    }
    return rows;
  }
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = line;
    const cells: string[] = [];
    let field = '';
    let atRowEnd = false;
    let any = false;
    while (i < n && !atRowEnd) {
      const c = text[i];
      if (c === '"' && field === '') {
        i++;
        for (;;) {
          if (i >= n) throw new ConfigError([{ message: 'unterminated quoted field', file: '', line: start, col: 1 }]);
          const d = text[i];
          if (d === '"') {
            if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
            i++;
            break;
          }
          if (d === '\n') line++;
          field += d;
          i++;
        }
        any = true;
        continue;
      }
      if (c === delimiter) { cells.push(field); field = ''; any = true; i++; continue; }
      if (c === '\n') { atRowEnd = true; i++; line++; break; }
      field += c;
      any = true;
      i++;
    }
    cells.push(field);
    if (any && !(cells.length === 1 && cells[0].trim() === '')) rows.push({ cells, line: start });
  }
  return rows;
}

/** parseDelimited, with the file name filled into quoting errors. */
export function parseDelimitedFile(text: string, delimiter: string, file: string, quotes = true): Row[] {
  try {
    return parseDelimited(text, delimiter, quotes);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.issues.map((i) => ({ ...i, file })));
    throw err;
  }
}

/** Index of column `want` (name or 0-based index) in `header`, or a ConfigError listing the columns. */
export function columnIndex(header: string[] | null, want: string | number, what: string, file: string, width: number): number {
  if (typeof want === 'number') {
    if (want >= width) throw dataError(file, `${what} column index ${want} is out of range: rows have ${width} columns (0-based)`, 1);
    return want;
  }
  const i = header ? header.findIndex((h) => h.trim() === want) : -1;
  if (i < 0) {
    const cols = header ? header.map((h) => `"${h.trim()}"`).join(', ') : '(no header)';
    throw dataError(file, `no ${what} column "${want}"; columns: ${cols}`, 1);
  }
  return i;
}
