/** The config schema of a dataset entry (a built-in name, or an object naming one with options). */
import { z } from 'zod';

export const DatasetObjectSchema = z.strictObject({
  name: z.string().min(1),
  /** Use at most this many examples per split (quick runs). */
  limit: z.number().int().positive().optional(),
});

export const DatasetEntrySchema = z.union([z.string().min(1), DatasetObjectSchema]);
export type DatasetEntry = z.infer<typeof DatasetEntrySchema>;

export interface ResolvedDataset {
  name: string;
  limit?: number;
}

export function resolveDatasetEntry(entry: DatasetEntry): ResolvedDataset {
  return typeof entry === 'string' ? { name: entry } : { ...entry };
}
