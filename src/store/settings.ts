/**
 * `<output>/report.json`: the report settings a sweep was run with (its config's `report` and `claims`), so that
 * `mixbench report <dir>` rebuilds the same tables without the config. Parsed with its schema when read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReportSettingsSchema, type ReportSettings } from '../core/experiment';
import { UsageError } from '../errors';
import { writeFileAtomic } from '../util/fs';

export const REPORT_SETTINGS_FILE = 'report.json';

/** The settings saved in `dir`, or undefined when there are none; a file that is not valid settings is an error. */
export function readSavedReportSettings(dir: string): ReportSettings | undefined {
  const path = join(dir, REPORT_SETTINGS_FILE);
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path}: not JSON (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); delete it, or pass the settings with --config <config>`);
  }
  const parsed = ReportSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new UsageError(`${path}: not valid report settings (${first.path.join('.') || 'settings'}: ${first.message}); delete it, or pass the settings with --config <config>`);
  }
  return parsed.data;
}

export function saveReportSettings(dir: string, settings: ReportSettings): string {
  const path = join(dir, REPORT_SETTINGS_FILE);
  writeFileAtomic(path, `${JSON.stringify(settings, null, 1)}\n`, dir);
  return path;
}
