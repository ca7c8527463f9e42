/**
 * Formatters of the summary rows: CSV (every column, full precision), and one display model rendered as Markdown,
 * booktabs LaTeX and fixed-width text, with the best value per column marked within each (dataset, noise) group.
 */
import { stringify } from 'csv-stringify/sync';
import { blockKey } from '../core/cell';
import { metricTitle } from './settings';
import type { Cell, Summary, SummaryRow } from './summary';

/**
 * A cell as CSV text. Non-finite numbers are empty, like absent values: a record stores NaN and ±Infinity as null
 * (JSON has no other way), so a table written from records in memory and one rebuilt from disk must agree.
 */
function csvCell(v: Cell | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? v.toFixed(6) : '';
  return v;
}

export function toCsv(rows: Record<string, Cell>[], columns: readonly string[]): string {
  return stringify(
    rows.map((r) => columns.map((c) => csvCell(r[c]))),
    { header: true, columns: [...columns] },
  );
}

/** One CSV line (with its newline) of cells, formatted and quoted as `toCsv` does: toCsv = header line + row lines. */
export function csvLine(cells: readonly (Cell | undefined)[]): string {
  return stringify([cells.map(csvCell)]);
}

// ---------------------------------------------------------------------------------------------------------------

interface DisplayCell {
  text: string;
  /** The number compared for "best in column"; undefined: not comparable. */
  value?: number;
}

interface DisplayColumn {
  header: string;
  align: 'left' | 'right';
  better?: 'high' | 'low';
  cell(row: SummaryRow): DisplayCell;
}

const num = (v: Cell | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Accuracy in %, mean ± 95% CI half-width when there are ≥ 2 seeds. */
function pctWithCi(row: SummaryRow, prefix: string): DisplayCell {
  const m = num(row[`${prefix}_mean`]);
  if (m === undefined) return { text: '–' };
  const lo = num(row[`${prefix}_ci95_low`]);
  const hi = num(row[`${prefix}_ci95_high`]);
  const half = lo !== undefined && hi !== undefined ? (hi - lo) / 2 : undefined;
  return { text: half === undefined ? (100 * m).toFixed(2) : `${(100 * m).toFixed(2)} ± ${(100 * half).toFixed(2)}`, value: m };
}

function fixed(v: Cell | undefined, digits: number, scale = 1, signed = false): DisplayCell {
  const x = num(v);
  if (x === undefined) return { text: '–' };
  const s = (scale * x).toFixed(digits).replace(/^-/, '−');
  return { text: signed && !s.startsWith('−') ? `+${s}` : s, value: x };
}

function pValue(v: Cell | undefined): DisplayCell {
  const p = num(v);
  if (p === undefined) return { text: '–' };
  return { text: p < 0.001 ? '<0.001' : p.toFixed(3) };
}

function effectSize(v: Cell | undefined): DisplayCell {
  if (typeof v !== 'number' || Number.isNaN(v)) return { text: '–' };
  if (!Number.isFinite(v)) return { text: v > 0 ? '∞' : '−∞' };
  return { text: v.toFixed(2).replace(/^-/, '−') };
}

function seeds(v: Cell | undefined): DisplayCell {
  if (typeof v !== 'number' || Number.isNaN(v)) return { text: '–' };
  return { text: Number.isFinite(v) ? String(v) : '>100000' };
}

export function displayColumns(summary: Summary): DisplayColumn[] {
  const { settings, metricColumn: slug, columns } = summary;
  const has = (c: string) => columns.includes(c);
  const cols: DisplayColumn[] = [];
  if (summary.multiExperiment) cols.push({ header: 'Experiment', align: 'left', cell: (r) => ({ text: String(r.experiment) }) });
  cols.push(
    { header: 'Dataset', align: 'left', cell: (r) => ({ text: String(r.dataset) }) },
    { header: 'Noise', align: 'left', cell: (r) => ({ text: String(r.noise) }) },
    { header: 'Method', align: 'left', cell: (r) => ({ text: String(r.method) }) },
    ...summary.axes.columns.map((c): DisplayColumn => ({ header: c, align: 'left', cell: (r) => ({ text: r[c] === null || r[c] === undefined ? '–' : String(r[c]) }) })),
    { header: 'n', align: 'right', cell: (r) => ({ text: `${r.n}${r.n_failed ? ` (+${r.n_failed} failed)` : ''}` }) },
    { header: 'Best acc. (%)', align: 'right', better: 'high', cell: (r) => pctWithCi(r, 'acc') },
    { header: 'Last acc. (%)', align: 'right', better: 'high', cell: (r) => pctWithCi(r, 'last_acc') },
  );
  if (settings.metric === 'median-last-k') {
    cols.push({ header: `Median last ${settings.k} (%)`, align: 'right', better: 'high', cell: (r) => pctWithCi(r, slug) });
  }
  cols.push(
    { header: 'Best−last (pp)', align: 'right', better: 'low', cell: (r) => fixed(r.gap_mean, 2, 100) },
    { header: 'NLL', align: 'right', better: 'low', cell: (r) => fixed(r.test_nll_mean, 3) },
    { header: 'ECE', align: 'right', better: 'low', cell: (r) => fixed(r.ece_mean, 3) },
  );
  if (has('memorisation_noisy_fit_mean')) {
    // Training accuracy on the label-corrupted examples: against the noisy labels (memorised; lower is better) and
    // against the true labels (higher is better).
    cols.push({ header: 'Noisy-label fit (%)', align: 'right', better: 'low', cell: (r) => fixed(r.memorisation_noisy_fit_mean, 2, 100) });
  }
  if (has('memorisation_true_fit_mean')) {
    cols.push({ header: 'True-label fit (%)', align: 'right', better: 'high', cell: (r) => fixed(r.memorisation_true_fit_mean, 2, 100) });
  }
  if (has('last_layer_cosine_mean')) {
    cols.push({ header: 'Last-layer cos', align: 'right', better: 'low', cell: (r) => fixed(r.last_layer_cosine_mean, 3) });
  }
  const short = settings.metric === 'median-last-k' ? `median-last-${settings.k}` : settings.metric;
  cols.push(
    { header: `Δ ${short} (pp)`, align: 'right', better: 'high', cell: (r) => fixed(r[`${slug}_delta_vs_baseline`], 2, 100, true) },
    { header: 'p (paired t)', align: 'right', cell: (r) => pValue(r[`${slug}_p_paired_t`]) },
    { header: 'Holm p (t)', align: 'right', cell: (r) => pValue(r[`${slug}_p_paired_t_holm`]) },
    { header: 'p (Wilcoxon)', align: 'right', cell: (r) => pValue(r[`${slug}_p_wilcoxon`]) },
    { header: 'Holm p (W)', align: 'right', cell: (r) => pValue(r[`${slug}_p_wilcoxon_holm`]) },
    { header: 'd_z', align: 'right', cell: (r) => effectSize(r[`${slug}_cohen_dz`]) },
    { header: 'MDD (pp)', align: 'right', cell: (r) => fixed(r[`${slug}_mdd80`], 2, 100) },
    { header: 'Seeds for Δ', align: 'right', cell: (r) => seeds(r[`${slug}_seeds80`]) },
    { header: `Rank (${short})`, align: 'right', cell: (r) => ({ text: r[`${slug}_rank`] === null ? '–' : String(r[`${slug}_rank`]) }) },
  );
  return cols;
}

/** The table as cells with `best` flags: the best value of each comparable column within each (experiment, dataset, noise) group. */
export function displayTable(summary: Summary): { columns: DisplayColumn[]; cells: (DisplayCell & { best: boolean })[][]; groupStarts: Set<number> } {
  const columns = displayColumns(summary);
  const rows = summary.rows;
  const cells = rows.map((r) => columns.map((c) => ({ ...c.cell(r), best: false })));
  const groupOf = (r: SummaryRow) => blockKey({
    experiment: String(r.experiment), dataset: String(r.dataset), noise: String(r.noise), settings: summary.axes.settings.map((k) => [k, String(r[k])]),
  });
  const groups = new Map<string, number[]>();
  rows.forEach((r, i) => groups.set(groupOf(r), [...(groups.get(groupOf(r)) ?? []), i]));
  const groupStarts = new Set<number>();
  for (const idx of groups.values()) {
    groupStarts.add(idx[0]);
    columns.forEach((c, j) => {
      if (!c.better) return;
      const vals = idx.map((i) => cells[i][j].value).filter((v): v is number => v !== undefined);
      if (vals.length < 2) return;
      const best = c.better === 'high' ? Math.max(...vals) : Math.min(...vals);
      // A column whose values are all equal has no best.
      if (vals.every((v) => v === best)) return;
      for (const i of idx) if (cells[i][j].value === best) cells[i][j].best = true;
    });
  }
  return { columns, cells, groupStarts };
}

/** What the numbers mean, for captions and footers. */
export function tableCaption(summary: Summary): string {
  const { settings } = summary;
  return [
    `Test accuracy in %, mean ± 95% CI half-width over seeds (Student t, n−1 df; std with n−1 in summary.csv).`,
    `Δ, p and rank use ${metricTitle(settings.metric, settings.k)}: Δ = method mean − baseline mean (percentage points);`,
    `p = two-sided paired t-test and exact Wilcoxon signed-rank over seed-matched pairs vs the baseline;`,
    `Holm p = Holm-adjusted over the comparisons with the baseline in the same dataset and noise setting.`,
    `d_z = mean/SD of the paired differences (Cohen). MDD = minimum detectable difference of the paired t-test at 80% power,`,
    `two-sided α = ${settings.alpha}, from the observed SD of the differences (noncentral t); seeds for Δ = seed pairs that would detect the observed Δ with 80% power.`,
    `Best−last = best-epoch minus last-epoch accuracy. NLL and ECE (15 bins) of the last-epoch model.`,
    ...(summary.columns.includes('memorisation_noisy_fit_mean')
      ? ['Noisy-/true-label fit: last-epoch training accuracy on the label-corrupted examples against their noisy (memorisation) and true labels.']
      : []),
    summary.axes.settings.length
      ? `Δ and p compare each method with the baseline at the same ${summary.axes.settings.join(', ')}. Bold: best per column within each dataset, noise setting and value of ${summary.axes.settings.join(', ')}.`
      : `Bold: best per column within each dataset and noise setting.`,
  ].join(' ');
}

export function toMarkdown(summary: Summary, title = 'Summary'): string {
  const { columns, cells } = displayTable(summary);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    `# ${title}`,
    '',
    `| ${columns.map((c) => esc(c.header)).join(' | ')} |`,
    `|${columns.map((c) => (c.align === 'right' ? '---:' : ':---')).join('|')}|`,
    ...cells.map((row) => `| ${row.map((c) => (c.best ? `**${esc(c.text)}**` : esc(c.text))).join(' | ')} |`),
    '',
    tableCaption(summary),
    '',
  ];
  return lines.join('\n');
}

export function latexEscape(s: string): string {
  return s
    .replace(/\\/g, '\\textbackslash{}')
    .replace(/([&%$#_{}])/g, '\\$1')
    .replace(/~/g, '\\textasciitilde{}')
    .replace(/\^/g, '\\textasciicircum{}')
    .replace(/±/g, '$\\pm$')
    .replace(/−/g, '$-$')
    .replace(/Δ/g, '$\\Delta$')
    .replace(/–/g, '--')
    .replace(/</g, '$<$');
}

/** A booktabs table (needs \usepackage{booktabs}); bold marks the best value per column within each group. */
export function toLatex(summary: Summary, title = 'Summary'): string {
  const { columns, cells, groupStarts } = displayTable(summary);
  const spec = columns.map((c) => (c.align === 'right' ? 'r' : 'l')).join('');
  const lines = [
    '% Generated by mixbench report; requires \\usepackage{booktabs}.',
    '\\begin{table}[t]',
    '\\centering',
    '\\small',
    `\\caption{${latexEscape(title)}. ${latexEscape(tableCaption(summary))}}`,
    `\\begin{tabular}{${spec}}`,
    '\\toprule',
    `${columns.map((c) => latexEscape(c.header)).join(' & ')} \\\\`,
    '\\midrule',
  ];
  cells.forEach((row, i) => {
    if (i > 0 && groupStarts.has(i)) lines.push('\\addlinespace');
    lines.push(`${row.map((c) => (c.best ? `\\textbf{${latexEscape(c.text)}}` : latexEscape(c.text))).join(' & ')} \\\\`);
  });
  lines.push('\\bottomrule', '\\end{tabular}', '\\end{table}', '');
  return lines.join('\n');
}

/** Fixed-width text for the terminal; `*` marks the best value per column within each group. */
export function toText(summary: Summary): string {
  const { columns, cells, groupStarts } = displayTable(summary);
  const header = columns.map((c) => c.header);
  const body = cells.map((row) => row.map((c) => (c.best ? `${c.text}*` : c.text)));
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((r) => r[j].length)));
  const line = (cells_: string[]) => cells_.map((c, j) => (columns[j].align === 'left' ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  body.forEach((r, i) => {
    if (i > 0 && groupStarts.has(i)) out.push('');
    out.push(line(r));
  });
  out.push(`(* best in group) ${tableCaption(summary).replace(/Bold: best per column within each [^.]*\./, '')}`.trimEnd());
  return out.join('\n');
}
