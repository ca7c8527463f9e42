/** What a reader returns: examples with raw labels and a raw payload, before splitting and encoding. */

export type Payload =
  /** Pixels in [0, 1], n × H·W·C row-major (H, W, C). */
  | { kind: 'image'; x: Float32Array; shape: [number, number, number] }
  /** Feature cells as written, row-major n × header.length. */
  | { kind: 'table'; header: string[]; cells: string[][]; categorical: 'onehot' | 'reject' }
  | { kind: 'text'; texts: string[] };

export interface Part {
  file: string;
  n: number;
  /** Labels as written (strings) or class indices (numbers) when the format fixes them. */
  labels: string[] | Int32Array;
  payload: Payload;
  /** Where example i comes from, for messages: a line number, or a description like "record 3 (byte 9219)". */
  where(i: number): { line?: number; text?: string };
}

/** A data source: one part (split by the split seed) or an official train and test part. */
export interface Source {
  name: string;
  train: Part;
  test?: Part;
  /** When labels are class indices: the number of classes the format defines (CIFAR), if any. */
  numClasses?: number;
  classNames?: string[];
  notes: string[];
}

export function subsetPart(p: Part, idx: Int32Array): Part {
  const labels = p.labels instanceof Int32Array ? Int32Array.from(idx, (i) => (p.labels as Int32Array)[i]) : Array.from(idx, (i) => (p.labels as string[])[i]);
  let payload: Payload;
  switch (p.payload.kind) {
    case 'image': {
      const size = p.payload.shape[0] * p.payload.shape[1] * p.payload.shape[2];
      const x = new Float32Array(idx.length * size);
      const src = p.payload.x;
      idx.forEach((r, i) => x.set(src.subarray(r * size, (r + 1) * size), i * size));
      payload = { ...p.payload, x };
      break;
    }
    case 'table':
      payload = { ...p.payload, cells: Array.from(idx, (i) => (p.payload as { cells: string[][] }).cells[i]) };
      break;
    case 'text':
      payload = { kind: 'text', texts: Array.from(idx, (i) => (p.payload as { texts: string[] }).texts[i]) };
      break;
  }
  return { file: p.file, n: idx.length, labels, payload, where: (i) => p.where(idx[i]) };
}
