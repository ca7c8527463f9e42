/**
 * The axes of the records being tabulated (src/core/axes.ts): the config's declared axes, saved in the report
 * settings, and the settings found to differ between the records. Every table, plot and claim of one report uses
 * the same axes, so their cells agree.
 */
import { axesOf, formatAxisValue, runSetting, type Axes } from '../core/axes';
import type { ReportSettings } from '../core/experiment';
import type { RunRecord } from '../core/record';
import type { ReportCache } from './memo';

export function reportAxes(records: readonly RunRecord[], settings?: Pick<ReportSettings, 'axes'>, cache?: ReportCache): Axes {
  const compute = () => axesOf(records.map((r) => r.spec), settings?.axes ?? []);
  return cache ? cache.memo('axes', [settings?.axes, ...records], compute) : compute();
}

/** A setting of a run as a table cell: numbers and text as they are, anything else as its text, absent as empty. */
export function axisCell(r: RunRecord, key: string): string | number | null {
  const v = runSetting(r.spec, key);
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  return formatAxisValue(v);
}
