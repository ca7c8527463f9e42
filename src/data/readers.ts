/** Format readers: file(s) → Part. Every refusal names the file and the line, byte offset or record. */
import { extname } from 'node:path';
import { columnIndex, dataError, parseDelimitedFile, readData, readText } from './files';
import type { Part } from './source';
import type { TextLayout } from '../core/experiment';

const atLine = (lines: Int32Array) => (i: number) => ({ line: lines[i] });

/** Tab for .tsv/.tab files (also gzipped), comma otherwise. */
export function delimiterFor(path: string): string {
  const base = path.replace(/\.gz$/i, '');
  const ext = extname(base).toLowerCase();
  return ext === '.tsv' || ext === '.tab' ? '\t' : ',';
}

export interface CsvOptions {
  label?: string | number;
  categorical?: 'onehot' | 'reject';
}

/** A table with a header row; one label column, every other column a feature. */
export function readCsvTable(path: string, opts: CsvOptions = {}): Part {
  const delim = delimiterFor(path);
  const rows = parseDelimitedFile(readText(path), delim, path);
  if (rows.length < 2) throw dataError(path, rows.length ? 'only a header row, no data' : 'empty file: expected a header row and data rows');
  const header = rows[0].cells.map((h) => h.trim());
  const width = header.length;
  const li = columnIndex(header, opts.label ?? 'label', 'label', path, width);
  const n = rows.length - 1;
  const labels: string[] = new Array(n);
  const cells: string[][] = new Array(n);
  const lines = new Int32Array(n);
  const featureHeader = header.filter((_, j) => j !== li);
  if (featureHeader.length === 0) throw dataError(path, 'no feature columns besides the label', 1);
  for (let r = 0; r < n; r++) {
    const row = rows[r + 1];
    if (row.cells.length !== width) {
      throw dataError(path, `ragged row: ${row.cells.length} field${row.cells.length === 1 ? '' : 's'}, the header has ${width}`, row.line);
    }
    const lab = row.cells[li].trim();
    if (lab === '') throw dataError(path, `empty label in column "${header[li]}"`, row.line);
    labels[r] = lab;
    const feats = new Array<string>(width - 1);
    for (let j = 0, k = 0; j < width; j++) if (j !== li) feats[k++] = row.cells[j];
    cells[r] = feats;
    lines[r] = row.line;
  }
  return { file: path, n, labels, payload: { kind: 'table', header: featureHeader, cells, categorical: opts.categorical ?? 'onehot' }, where: atLine(lines) };
}

export interface TextOptions {
  layout?: TextLayout;
  label?: string | number;
  text?: string | number;
  labelSet?: 'coarse' | 'fine';
}

export function textLayoutFor(path: string, layout?: TextLayout): TextLayout {
  if (layout) return layout;
  return delimiterFor(path) === '\t' ? 'tsv' : 'csv';
}

/** Labelled texts: TSV/CSV with header (label and text columns), the GLUE SST-2 TSV, or TREC `LABEL:fine question`. */
export function readTextFile(path: string, opts: TextOptions = {}): Part {
  const layout = textLayoutFor(path, opts.layout);
  const labels: string[] = [];
  const texts: string[] = [];
  const lines: number[] = [];
  const push = (label: string, text: string, line: number) => {
    if (label === '') throw dataError(path, 'empty label', line);
    if (text.trim() === '') throw dataError(path, 'empty text', line);
    labels.push(label);
    texts.push(text.trim());
    lines.push(line);
  };
  if (layout === 'trec') {
    // TREC files are latin-1: "DESC:manner How did serfdom develop in and then leave Russia ?"
    readText(path, 'latin1').split('\n').forEach((raw, i) => {
      if (raw.trim() === '') return;
      const sp = raw.indexOf(' ');
      const tag = sp < 0 ? raw : raw.slice(0, sp);
      const colon = tag.indexOf(':');
      if (colon <= 0) throw dataError(path, `expected "COARSE:fine question", found "${raw.slice(0, 40)}"`, i + 1);
      push(opts.labelSet === 'fine' ? tag : tag.slice(0, colon), sp < 0 ? '' : raw.slice(sp + 1), i + 1);
    });
  } else if (layout === 'sst2') {
    // GLUE SST-2: header "sentence<TAB>label", no quoting; the sentence may hold tabs, so split on the last one.
    const all = readText(path).split('\n');
    const head = all[0] ?? '';
    const hcols = head.split('\t').map((h) => h.trim());
    if (hcols[hcols.length - 1] !== 'label') throw dataError(path, `expected the SST-2 header "sentence<TAB>label", found "${head.slice(0, 60)}"`, 1);
    all.slice(1).forEach((raw, i) => {
      if (raw.trim() === '') return;
      const tab = raw.lastIndexOf('\t');
      if (tab < 0) throw dataError(path, 'expected "sentence<TAB>label": no tab', i + 2);
      push(raw.slice(tab + 1).trim(), raw.slice(0, tab), i + 2);
    });
  } else {
    const delim = layout === 'tsv' ? '\t' : ',';
    const rows = parseDelimitedFile(readText(path), delim, path, layout === 'csv');
    if (rows.length < 2) throw dataError(path, rows.length ? 'only a header row, no data' : 'empty file: expected a header row and data rows');
    const header = rows[0].cells.map((h) => h.trim());
    const li = columnIndex(header, opts.label ?? 'label', 'label', path, header.length);
    const ti = columnIndex(header, opts.text ?? (header.includes('text') ? 'text' : header.includes('sentence') ? 'sentence' : 'text'), 'text', path, header.length);
    for (const row of rows.slice(1)) {
      if (row.cells.length !== header.length) {
        throw dataError(path, `ragged row: ${row.cells.length} field${row.cells.length === 1 ? '' : 's'}, the header has ${header.length}`, row.line);
      }
      push(row.cells[li].trim(), row.cells[ti], row.line);
    }
  }
  if (texts.length === 0) throw dataError(path, 'no examples in the file');
  const lineArr = Int32Array.from(lines);
  return { file: path, n: texts.length, labels, payload: { kind: 'text', texts }, where: atLine(lineArr) };
}

const IDX_TYPES: Record<number, { name: string; size: number }> = {
  0x08: { name: 'unsigned byte', size: 1 },
  0x09: { name: 'signed byte', size: 1 },
  0x0b: { name: 'int16', size: 2 },
  0x0c: { name: 'int32', size: 4 },
  0x0d: { name: 'float32', size: 4 },
  0x0e: { name: 'float64', size: 8 },
};

interface Idx { type: number; dims: number[]; data: Buffer; offset: number }

export function parseIdx(buf: Buffer, path: string): Idx {
  if (buf.length < 4) throw dataError(path, `not an IDX file: ${buf.length} bytes, shorter than the 4-byte magic`);
  if (buf[0] !== 0 || buf[1] !== 0 || !IDX_TYPES[buf[2]] || buf[3] === 0) {
    const magic = buf.subarray(0, 4).toString('hex');
    throw dataError(path, `wrong IDX magic 0x${magic} at byte 0: expected 0x0000 then a type byte (08, 09, 0b, 0c, 0d, 0e) and the number of dimensions (images 0x00000803, labels 0x00000801)`);
  }
  const nd = buf[3];
  const offset = 4 + 4 * nd;
  if (buf.length < offset) throw dataError(path, `truncated IDX header: ${nd} dimensions need ${offset} header bytes, the file has ${buf.length}`);
  const dims: number[] = [];
  for (let d = 0; d < nd; d++) dims.push(buf.readUInt32BE(4 + 4 * d));
  const type = buf[2];
  const expected = offset + dims.reduce((a, b) => a * b, 1) * IDX_TYPES[type].size;
  if (buf.length !== expected) {
    throw dataError(path, `wrong IDX size: the header (dims ${dims.join('×')}, ${IDX_TYPES[type].name}) implies ${expected} bytes, the file has ${buf.length}${buf.length < expected ? ` (truncated: data stops at byte ${buf.length})` : ''}`);
  }
  return { type, dims, data: buf, offset };
}

function idxValue(idx: Idx, i: number): number {
  const o = idx.offset;
  switch (idx.type) {
    case 0x08: return idx.data[o + i];
    case 0x09: return idx.data.readInt8(o + i);
    case 0x0b: return idx.data.readInt16BE(o + 2 * i);
    case 0x0c: return idx.data.readInt32BE(o + 4 * i);
    case 0x0d: return idx.data.readFloatBE(o + 4 * i);
    default: return idx.data.readDoubleBE(o + 8 * i);
  }
}

/** IDX images (n×H×W or n×H×W×C; bytes scaled to [0, 1]) with an IDX label vector. Gzipped or raw. */
export function readIdxPair(imagesPath: string, labelsPath: string, howToGet?: string): Part {
  const img = parseIdx(readData(imagesPath, howToGet), imagesPath);
  const lab = parseIdx(readData(labelsPath, howToGet), labelsPath);
  if (img.dims.length !== 3 && img.dims.length !== 4) throw dataError(imagesPath, `IDX images must have 3 (n, rows, cols) or 4 (n, rows, cols, channels) dimensions, found ${img.dims.length} (${img.dims.join('×')})`);
  if (lab.dims.length !== 1) throw dataError(labelsPath, `IDX labels must have 1 dimension, found ${lab.dims.length} (${lab.dims.join('×')})`);
  if (lab.type === 0x0d || lab.type === 0x0e) throw dataError(labelsPath, 'IDX labels must be integers, found floating-point data');
  const [n, h, w, c = 1] = img.dims;
  if (lab.dims[0] !== n) throw dataError(labelsPath, `${lab.dims[0]} labels for ${n} images in ${imagesPath}`);
  const size = h * w * c;
  const x = new Float32Array(n * size);
  if (img.type === 0x08) {
    const src = img.data;
    const o = img.offset;
    const total = n * size;
    for (let i = 0; i < total; i++) x[i] = src[o + i] / 255;
  } else {
    for (let i = 0; i < n * size; i++) x[i] = idxValue(img, i);
  }
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = idxValue(lab, i);
    if (v < 0 || v > 65535) throw dataError(labelsPath, `label out of range at record ${i} (byte ${lab.offset + i * IDX_TYPES[lab.type].size}): ${v}`);
    y[i] = v;
  }
  return { file: imagesPath, n, labels: y, payload: { kind: 'image', x, shape: [h, w, c] }, where: (i) => ({ text: `record ${i} (label byte ${lab.offset + i * IDX_TYPES[lab.type].size} of ${labelsPath})` }) };
}

/** CIFAR-10 (label byte + 3,072 pixel bytes) or CIFAR-100 (coarse, fine label bytes + 3,072) binary batches. */
export function readCifar(paths: string[], variant: 10 | 100, labelSet: 'coarse' | 'fine' = 'fine'): Part {
  const head = variant === 10 ? 1 : 2;
  const rec = head + 3072;
  const K = variant === 10 ? 10 : labelSet === 'coarse' ? 20 : 100;
  const bufs = paths.map((p) => {
    const b = readData(p);
    if (b.length === 0) throw dataError(p, 'empty CIFAR batch file');
    if (b.length % rec !== 0) {
      const whole = Math.floor(b.length / rec);
      throw dataError(p, `truncated CIFAR-${variant} batch: ${b.length} bytes is not a whole number of ${rec}-byte records; record ${whole} (from byte ${whole * rec}) has only ${b.length - whole * rec} bytes`);
    }
    return b;
  });
  const n = bufs.reduce((s, b) => s + b.length / rec, 0);
  const x = new Float32Array(n * 3072);
  const y = new Int32Array(n);
  const origin: [number, number][] = [];
  let i = 0;
  bufs.forEach((b, f) => {
    for (let r = 0; r * rec < b.length; r++, i++) {
      const o = r * rec;
      const label = variant === 10 ? b[o] : labelSet === 'coarse' ? b[o] : b[o + 1];
      if (label >= K) throw dataError(paths[f], `label out of range at record ${r} (byte ${o + (variant === 100 && labelSet === 'fine' ? 1 : 0)}): ${label}, CIFAR-${variant}${variant === 100 ? ` ${labelSet}` : ''} labels are 0-${K - 1}`);
      y[i] = label;
      origin.push([f, r]);
      // CHW planes (1,024 red, green, blue) → HWC.
      const base = i * 3072;
      for (let p = 0; p < 1024; p++) {
        x[base + 3 * p] = b[o + head + p] / 255;
        x[base + 3 * p + 1] = b[o + head + 1024 + p] / 255;
        x[base + 3 * p + 2] = b[o + head + 2048 + p] / 255;
      }
    }
  });
  return {
    file: paths.join(', '), n, labels: y, payload: { kind: 'image', x, shape: [32, 32, 3] },
    where: (k) => ({ text: `record ${origin[k][1]} (byte ${origin[k][1] * rec}) of ${paths[origin[k][0]]}` }),
  };
}
