/**
 * The report's edge: the files of `buildReport` written into an output directory (atomically), members' orbit logits
 * read from the run directories, and plots that no longer belong removed. The only report module that touches files.
 */
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { ReportSettings } from '../core/experiment';
import type { RunRecord } from '../core/record';
import { readOrbitLogits } from '../store/orbit';
import { runDir } from '../store/records';
import { REPORT_SETTINGS_FILE, saveReportSettings } from '../store/settings';
import { ensureDir, writeFilesAtomic } from '../util/fs';
import type { OrbitReader } from './ensembles';
import { ReportCache } from './memo';
import { runOverrides, type SweepInfo } from './page';
import { buildReport, type ReportContent } from './tables';

export interface ReportOutput extends ReportContent {
  /** Paths of every file of the report (written now, or unchanged on disk since this writer wrote it). */
  paths: string[];
}

export interface ReportWriterOptions {
  /** Directories holding the records' run directories (orbit logits); default: the output directory. */
  sourceDirs?: string[];
  /** Save the settings as `<output>/report.json` (so `mixbench report <dir>` reuses them). */
  saveSettings?: boolean;
  /**
   * Remove .svg files of plots/ that this report did not write. `mixbench report` rebuilds from every record of the
   * directories, so an .svg it did not write is stale (e.g. named without the experiment prefix before a second
   * experiment joined the directory); `mixbench run` tabulates its own plan only and leaves other plots alone.
   */
  pruneStalePlots?: boolean;
  /**
   * How `mixbench run` was started, for report.html; saved as `<output>/sweep.json`. Without it, the sweep.json of
   * the output directory (or of the first source directory that has one) is used.
   */
  sweep?: SweepInfo;
}

const SWEEP_FILE = 'sweep.json';

/** The config file and its text, the command line and its overrides, and the applied `--set` values of a `mixbench run` (for report.html). */
export function sweepInfoFor(configPath: string, argv: string[] = process.argv, env: Record<string, string | undefined> = process.env, set: readonly string[] = []): SweepInfo {
  let configText: string | undefined;
  try {
    configText = readFileSync(configPath, 'utf8');
  } catch {
    configText = undefined;
  }
  const args = argv.slice(2);
  return { config: configPath, configText, command: args, overrides: runOverrides(args, env), ...(set.length ? { set: [...set] } : {}) };
}

function readSweepInfo(dirs: string[]): SweepInfo | undefined {
  for (const dir of dirs) {
    try {
      return JSON.parse(readFileSync(join(dir, SWEEP_FILE), 'utf8')) as SweepInfo;
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * Links from report.html to each run's result.json: `runs/<id>/result.json` for a single directory; with several
 * source directories, in the first one that holds the run.
 */
function runLinks(output: string, records: RunRecord[], sourceDirs: string[]): Record<string, string> {
  const url = (p: string) => p.split(sep).map(encodeURIComponent).join('/');
  const links: Record<string, string> = {};
  for (const r of records) {
    const dir = sourceDirs.length === 1 ? sourceDirs[0] : sourceDirs.find((d) => existsSync(join(runDir(d, r.id), 'result.json'))) ?? output;
    links[r.id] = url(relative(output, join(runDir(dir, r.id), 'result.json')));
  }
  return links;
}

/** Reads members' logits from the first source directory that has them. */
export function orbitReader(sourceDirs: string[]): OrbitReader {
  return (r) => {
    if (!r.orbit) return undefined;
    for (const d of sourceDirs) {
      const dir = runDir(d, r.id);
      if (existsSync(join(dir, r.orbit.file))) return readOrbitLogits(dir, r.orbit);
    }
    return undefined;
  };
}

/**
 * Writes the report of an output directory, again and again as records arrive (a sweep writes it after every
 * finished run). It keeps a ReportCache, so only what a changed cell affects is recomputed, and it rewrites only
 * files whose text changed (a file someone else rewrote since, e.g. another shard, is written again).
 */
export class ReportWriter {
  readonly cache = new ReportCache();
  private readonly written = new Map<string, { text: string; mtimeMs: number; size: number }>();

  constructor(
    readonly output: string,
    readonly settings: ReportSettings,
    private readonly options: ReportWriterOptions = {},
  ) {}

  /** The report of `records`, without writing it (e.g. the terminal summary after a sweep). */
  build(records: RunRecord[]): ReportContent {
    const dirs = this.options.sourceDirs ?? [this.output];
    const sweep = this.options.sweep ?? readSweepInfo([this.output, ...dirs]);
    return buildReport(records, this.settings, orbitReader(dirs), this.cache, { links: runLinks(this.output, records, dirs), sweep });
  }

  write(records: RunRecord[]): ReportOutput {
    const content = this.build(records);
    const files: [string, string][] = [...content.files];
    if (this.options.saveSettings) files.push([REPORT_SETTINGS_FILE, `${JSON.stringify(this.settings, null, 1)}\n`]);
    if (this.options.sweep) files.push([SWEEP_FILE, `${JSON.stringify(this.options.sweep, null, 1)}\n`]);
    const paths: string[] = [];
    const changed: [string, string][] = [];
    let settingsChanged: [string, string] | undefined;
    for (const [name, text] of files) {
      const path = join(this.output, name);
      if (!this.unchanged(path, text)) {
        if (name === REPORT_SETTINGS_FILE) settingsChanged = [path, text];
        else changed.push([path, text]);
      }
      paths.push(path);
    }
    // All staged before any is replaced: a full disk mid-write leaves the old set of tables, never a mix. Under the
    // output directory as root: one that vanished while the report was being built is reported, not recreated.
    writeFilesAtomic(changed, this.output);
    if (settingsChanged) saveReportSettings(this.output, this.settings);
    for (const [path, text] of settingsChanged ? [...changed, settingsChanged] : changed) {
      const st = statSync(path);
      this.written.set(path, { text, mtimeMs: st.mtimeMs, size: st.size });
    }
    const plotDir = join(this.output, 'plots');
    if (this.options.pruneStalePlots && existsSync(plotDir)) {
      for (const f of readdirSync(plotDir)) if (f.endsWith('.svg') && !paths.includes(join(plotDir, f))) unlinkSync(join(plotDir, f));
    }
    return { ...content, paths };
  }

  /** Whether `path` holds `text` as this writer last wrote it (same text, and the file not touched since). */
  private unchanged(path: string, text: string): boolean {
    const last = this.written.get(path);
    if (!last || last.text !== text) return false;
    const st = statSync(path, { throwIfNoEntry: false });
    return !!st && st.mtimeMs === last.mtimeMs && st.size === last.size;
  }
}

/** Write every table and plot of `records` into `output` once (`mixbench report`). */
export function writeReport(output: string, records: RunRecord[], settings: ReportSettings, options: ReportWriterOptions = {}): ReportOutput {
  ensureDir(output); // `mixbench report -o DIR` may name a new directory
  return new ReportWriter(output, settings, options).write(records);
}
