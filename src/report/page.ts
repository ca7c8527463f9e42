/**
 * report.html: one self-contained page (inline CSS, JS and SVG; no network, no fonts fetched) built from the same
 * rows, plots and claim results as the other outputs. Pure: inputs → HTML string; writeReport writes it.
 *
 * Sections: summary tables (one per experiment/dataset/noise cell, sortable by any column, the best value per
 * column marked as in summary.md), claims with their numbers and verdicts, the plots (hovering a point lists its
 * runs), every run with its status and a relative link to its result.json, the sweep's metadata, and a note on
 * every statistic used.
 */
import type { RunRecord } from '../core/record';
import type { ClaimResult, Verdict } from './claims';
import { CLAIMS_NOTE, printedDz } from './claims';
import { displayTable } from './format';
import { metricTitle } from './settings';
import type { Cell, Summary } from './summary';

export interface PagePlot {
  file: string;
  svg: string;
}

/** How the sweep was started (`mixbench run` records it in sweep.json next to the tables). */
export interface SweepInfo {
  /** The config file as given on the command line. */
  config?: string;
  /** Its text when the sweep ran. */
  configText?: string;
  /** The command line after `mixbench`. */
  command?: string[];
  /** Settings given on the command line or in MIXBENCH_* variables that override the config. */
  overrides?: string[];
  /** The `--set` overrides applied to the config (from the flags or MIXBENCH_SET), as recorded in each run's spec. */
  set?: string[];
}

export interface PageInput {
  title: string;
  summary: Summary;
  claims: ClaimResult[];
  plots: PagePlot[];
  records: RunRecord[];
  /** The rows of runs.csv, in the same order as `records`. */
  runs: Record<string, Cell>[];
  /** Run id → the relative URL of its result.json (from the page's directory). */
  links: Record<string, string>;
  sweep?: SweepInfo;
  /** Further tables shown under the summary (e.g. ensembles.csv), with their columns. */
  extraTables?: { title: string; columns: readonly string[]; rows: Record<string, Cell>[] }[];
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const e = escapeHtml;

/** The number a displayed cell sorts by ("<0.001" → 0.0005, "−1.2" → −1.2, "∞" → Infinity), or undefined. */
export function sortKey(text: string, value?: number): number | undefined {
  if (value !== undefined && Number.isFinite(value)) return value;
  const t = text.trim().replace(/^\+/, '').replace(/−/g, '-');
  if (t === '∞' || t.startsWith('>')) return Infinity;
  if (t === '-∞') return -Infinity;
  if (t.startsWith('<')) return Number(t.slice(1)) / 2;
  const m = /^-?\d+(\.\d+)?(e-?\d+)?/.exec(t);
  return m ? Number(m[0]) : undefined;
}

function sortAttr(text: string, value?: number): string {
  const k = sortKey(text, value);
  return k === undefined ? '' : ` data-sort="${k === Infinity ? '1e308' : k === -Infinity ? '-1e308' : k}"`;
}

function cellText(v: Cell | undefined, digits = 4): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
    return v.toFixed(digits).replace(/^-/, '−');
  }
  return v;
}

const VERDICT_CLASS: Record<Verdict, string> = {
  holds: 'ok',
  'does not hold': 'bad',
  inconclusive: 'warn',
  'not enough runs': 'muted',
  'no matching runs': 'muted',
};

function badge(text: string, cls: string): string {
  return `<span class="badge ${cls}">${e(text)}</span>`;
}

// ---------------------------------------------------------------------------------------------------------------

function summarySection(summary: Summary): string {
  const { columns, cells } = displayTable(summary);
  const rows = summary.rows;
  const groupCols = new Set(['Experiment', 'Dataset', 'Noise']);
  const shown = columns.map((c, j) => ({ c, j })).filter(({ c }) => !groupCols.has(c.header));
  const groups = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const key = JSON.stringify([r.experiment, r.dataset, r.noise]);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const tables: string[] = [];
  for (const idx of groups.values()) {
    const r0 = rows[idx[0]];
    const caption = `${summary.multiExperiment ? `${r0.experiment} · ` : ''}${r0.dataset} · ${r0.noise === 'none' ? 'clean' : `noise ${r0.noise}`}`;
    const head = shown.map(({ c }) => `<th scope="col" class="${c.align === 'right' ? 'num' : ''}" title="click to sort">${e(c.header)}</th>`).join('');
    const body = idx.map((i) => {
      const tds = shown.map(({ c, j }) => {
        const cell = cells[i][j];
        const cls = [c.align === 'right' ? 'num' : '', cell.best ? 'best' : ''].filter(Boolean).join(' ');
        return `<td${cls ? ` class="${cls}"` : ''}${sortAttr(cell.text, cell.value)}>${e(cell.text)}${cell.best ? '<span class="star" aria-label="best in group">★</span>' : ''}</td>`;
      }).join('');
      return `<tr>${tds}</tr>`;
    }).join('\n');
    tables.push(`<div class="tablewrap"><table class="sortable summary" data-group="${e(caption)}"><caption>${e(caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`);
  }
  return `<section id="summary"><h2>Summary</h2>
<p class="note">Accuracy in %, mean ± 95% CI half-width over seeds. Δ, p, d_z, MDD and ranks use <b>${e(metricTitle(summary.settings.metric, summary.settings.k))}</b> against the baseline of the same cell. ★ = best value of the column within the cell. Click a column header to sort. Statistics: <a href="#statistics">notes</a>.</p>
${tables.join('\n')}
</section>`;
}

function claimsSection(claims: ClaimResult[]): string {
  if (!claims.length) return '';
  const count = (v: Verdict) => claims.filter((c) => c.verdict === v).length;
  const fmt = (v: number | undefined, d = 3, signed = false) =>
    v === undefined || Number.isNaN(v) ? '–' : !Number.isFinite(v) ? (v > 0 ? '∞' : '−∞') : `${signed && v >= 0 ? '+' : ''}${v.toFixed(d)}`.replace(/^-/, '−');
  const fmtP = (p: number | undefined) => (p === undefined ? '–' : p < 0.001 ? '<0.001' : p.toFixed(3));
  const rows = claims.map((c) => {
    const j = c.judgement;
    const dz = printedDz(c);
    const seeds = j?.seedsNeeded === undefined ? '–' : Number.isFinite(j.seedsNeeded) ? String(j.seedsNeeded) : '>100000';
    const seedsFor = j?.seedsFor === 'effect' ? ` (paper's ${fmt(c.claim.effect, 3, true)})` : j?.seedsFor === 'observed' ? ' (observed Δ)' : j?.seedsFor === 'margin' ? ` (margin ${c.claim.margin})` : '';
    const cells: [string, number | undefined][] = [
      [c.label ?? c.text.split(':')[0], undefined],
      [fmt(c.delta, 3, true), c.delta],
      [c.ci95 ? `${fmt(c.ci95[0], 3, true)} to ${fmt(c.ci95[1], 3, true)}` : '–', c.ci95?.[0]],
      [fmt(dz, 2), dz],
      [fmtP(c.p), c.p],
      [c.family && c.family > 1 ? `${fmtP(c.pAdjusted)} (${c.family})` : fmtP(c.pAdjusted), c.pAdjusted],
      [String(c.pairs), c.pairs],
      [fmt(j?.mdd, 3), j?.mdd],
      [`${seeds}${seedsFor}`, j?.seedsNeeded],
    ];
    const why = [j?.reason, c.claim.note ? `[${c.claim.note}]` : ''].filter(Boolean).join(' ');
    // The reason goes under the claim's name, so that the numbers stay in view on a laptop screen.
    const tds = cells.map(([t, v], k) => (k === 0
      ? `<td class="claimname" data-sort="${e(t)}">${e(t)}${why ? `<div class="why">${e(why)}</div>` : ''}</td>`
      : `<td class="num"${sortAttr(t, v)}>${e(t)}</td>`)).join('');
    return `<tr class="claim ${VERDICT_CLASS[c.verdict]}"><td data-sort="${e(c.verdict)}">${badge(c.verdict, VERDICT_CLASS[c.verdict])}</td>${tds}</tr>`;
  }).join('\n');
  const heads = ['Verdict', 'Claim (and why)', 'Δ (A − B)', '95% CI of Δ', 'd_z', 'p', 'Holm p (family)', 'Seeds', 'MDD (80%)', 'Seeds needed'];
  return `<section id="claims"><h2>Claims</h2>
<p class="tally">${badge(`${count('holds')} hold`, 'ok')} ${badge(`${count('does not hold')} do not hold`, 'bad')} ${badge(`${count('inconclusive')} inconclusive`, 'warn')} ${badge(`${count('not enough runs') + count('no matching runs')} without enough runs`, 'muted')}</p>
<div class="tablewrap"><table class="sortable claims"><thead><tr>${heads.map((h, k) => `<th scope="col"${k > 1 ? ' class="num"' : ''}>${e(h)}</th>`).join('')}</tr></thead><tbody>
${rows}
</tbody></table></div>
<p class="note">${e(CLAIMS_NOTE)} Δ, CI and MDD are in the metric's units (accuracy as a fraction: 0.01 = one point).</p>
<details><summary>As printed in claims.txt</summary><pre>${e(claims.map((c) => c.text + (c.claim.note ? `  [${c.claim.note}]` : '')).join('\n'))}</pre></details>
</section>`;
}

function plotsSection(plots: PagePlot[]): string {
  if (!plots.length) return '';
  const figs = plots.map((p) => {
    const svg = p.svg.replace(/^<\?xml[^>]*>\s*/, '').trim();
    return `<figure class="plot" data-file="${e(p.file)}">${svg}<figcaption><a href="plots/${e(encodeURI(p.file))}">plots/${e(p.file)}</a></figcaption></figure>`;
  }).join('\n');
  return `<section id="plots"><h2>Plots</h2>
<p class="note">Hover a point to see its value and the runs behind it (click to keep the list open).</p>
<div class="plots">
${figs}
</div>
</section>`;
}

const RUN_HEADS: [string, string][] = [
  ['run_id', 'Run'], ['status', 'Status'], ['experiment', 'Experiment'], ['dataset', 'Dataset'], ['noise', 'Noise'], ['method', 'Method'],
  ['seed', 'Seed'], ['backend', 'Backend'], ['epochs', 'Epochs'], ['best_acc', 'Best acc.'], ['last_acc', 'Last acc.'],
  ['test_nll', 'NLL'], ['ece', 'ECE'], ['train_seconds', 'Train s'], ['samples_per_sec', 'Samples/s'], ['error', 'Error'],
];

function runsSection(runs: Record<string, Cell>[], links: Record<string, string>, multiExperiment: boolean): string {
  const heads = RUN_HEADS.filter(([k]) => k !== 'experiment' || multiExperiment);
  const digits: Record<string, number> = { best_acc: 4, last_acc: 4, test_nll: 3, ece: 3, train_seconds: 1, samples_per_sec: 0 };
  const body = runs.map((r) => {
    const tds = heads.map(([k]) => {
      const v = r[k];
      if (k === 'run_id') {
        const id = String(v);
        const href = links[id];
        return `<td class="id">${href ? `<a href="${e(href)}">${e(id)}</a>` : e(id)}</td>`;
      }
      if (k === 'status') {
        const s = String(v);
        return `<td data-sort="${e(s)}">${badge(s, s === 'ok' ? 'ok' : s === 'diverged' ? 'warn' : 'bad')}</td>`;
      }
      const text = typeof v === 'number' ? (digits[k] === 0 ? Math.round(v).toString() : cellText(v, digits[k] ?? 4)) : cellText(v);
      return `<td${typeof v === 'number' ? ' class="num"' : k === 'error' ? ' class="err"' : ''}${typeof v === 'number' ? sortAttr(text, v) : ''}>${e(text)}</td>`;
    }).join('');
    return `<tr data-run="${e(String(r.run_id))}">${tds}</tr>`;
  }).join('\n');
  const statuses = new Map<string, number>();
  for (const r of runs) statuses.set(String(r.status), (statuses.get(String(r.status)) ?? 0) + 1);
  return `<section id="runs"><h2>Runs</h2>
<p class="tally">${[...statuses].map(([s, n]) => badge(`${n} ${s}`, s === 'ok' ? 'ok' : s === 'diverged' ? 'warn' : 'bad')).join(' ')} — each run id links to its <code>result.json</code> (relative to this page).</p>
<div class="tablewrap"><table class="sortable runs"><thead><tr>${heads.map(([, h]) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead><tbody>
${body}
</tbody></table></div>
</section>`;
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function describeOptions(o: unknown): string {
  if (!o || typeof o !== 'object' || !Object.keys(o).length) return '';
  return ` (${Object.entries(o as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ')})`;
}

/** `key value, key value, …` of a settings object (null values left out). */
function keyValues(o: object): string {
  return Object.entries(o).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ');
}

/** Settings shared by every run, or each distinct value with its count. */
function common(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  if (counts.size <= 1) return values[0] ?? '–';
  return [...counts].map(([v, n]) => `${v} (${n} runs)`).join('; ');
}

function metadataSection(input: PageInput): string {
  const recs = input.records;
  const env = recs.map((r) => r.environment);
  const specs = recs.map((r) => r.spec);
  const items: [string, string][] = [];
  if (input.sweep?.command?.length) items.push(['Command', `mixbench ${input.sweep.command.join(' ')}`]);
  if (input.sweep?.config) items.push(['Config file', input.sweep.config]);
  items.push(['Overrides', input.sweep?.overrides?.length ? input.sweep.overrides.join('; ') : 'none recorded']);
  items.push(
    ['Experiments', uniq(specs.map((s) => s.experiment)).join(', ')],
    ['Runs', `${recs.length} (${uniq(recs.map((r) => r.status)).map((s) => `${recs.filter((r) => r.status === s).length} ${s}`).join(', ')})`],
    ['Datasets', uniq(specs.map((s) => JSON.stringify(s.dataset))).map((d) => {
      const o = JSON.parse(d) as Record<string, unknown>;
      const { name, ...rest } = o;
      return `${String(name)}${describeOptions(rest)}`;
    }).join('; ')],
    ['Noise', uniq(specs.map((s) => s.noise.label)).join(', ')],
    ['Methods', uniq(specs.map((s) => JSON.stringify([s.method.name, s.method.parts]))).map((m) => {
      const [name, parts] = JSON.parse(m) as [string, { method: string; options: unknown }[]];
      return `${name} = ${parts.map((p) => `${p.method}${describeOptions(p.options)}`).join(' + ')}`;
    }).join('; ')],
    ['Seeds', uniq(specs.map((s) => s.seed)).sort((a, b) => a - b).join(', ')],
    ['Model', common(specs.map((s) => keyValues(s.model)))],
    ['Training', common(specs.map((s) => keyValues(s.train)))],
    ['Split seed', common(specs.map((s) => String(s.splitSeed)))],
    ['Report settings', `metric ${input.summary.settings.metric}${input.summary.settings.metric === 'median-last-k' ? ` (k = ${input.summary.settings.k})` : ''}, claims test ${input.summary.settings.test}, α = ${input.summary.settings.alpha}`],
    ['mixbench', common(env.map((v) => v.mixbench))],
    ['Git commit', common(env.map((v) => v.gitCommit ?? 'unknown'))],
    ['Node', common(env.map((v) => v.node))],
    ['TensorFlow.js', common(env.map((v) => v.tfjs))],
    ['Backend', common(env.map((v) => `${v.backend} (${v.backendPackage}${v.threads ? `, ${v.threads} threads` : ''}${v.device ? `, ${v.device}` : ''})`))],
    ['Machine', common(env.map((v) => `${v.platform}, ${v.cpu}, ${v.cores} cores`))],
    ['Finished', recs.length ? `${recs.map((r) => r.finishedAt).sort()[0]} – ${recs.map((r) => r.finishedAt).sort().slice(-1)[0]}` : '–'],
  );
  const dl = items.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('\n');
  const config = input.sweep?.configText
    ? `<details open><summary>Config${input.sweep.config ? ` (${e(input.sweep.config)})` : ''}</summary><pre class="config">${e(input.sweep.configText)}</pre></details>`
    : '<p class="note">The config text was not recorded (this directory was not written by <code>mixbench run</code> of this version); the settings above are read from the run records.</p>';
  return `<section id="sweep"><h2>Sweep</h2>
<dl class="meta">
${dl}
</dl>
${config}
</section>`;
}

function extraTablesSection(tables: PageInput['extraTables']): string {
  if (!tables?.length) return '';
  return tables.map((t) => {
    const head = t.columns.map((c) => `<th scope="col">${e(c)}</th>`).join('');
    const body = t.rows.map((r) => `<tr>${t.columns.map((c) => {
      const text = cellText(r[c]);
      return `<td${typeof r[c] === 'number' ? ` class="num"${sortAttr(text, r[c] as number)}` : ''}>${e(text)}</td>`;
    }).join('')}</tr>`).join('\n');
    return `<section><h2>${e(t.title)}</h2><div class="tablewrap"><table class="sortable"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div></section>`;
  }).join('\n');
}

/** What every statistic on the page is, exactly (docs/reports.md has the same text at more length). */
export function statisticsNotes(summary: Summary): string[] {
  const s = summary.settings;
  return [
    `Mean ± 95% CI: the mean over seeds (runs with status ok) and the half-width t₀.₉₇₅,ₙ₋₁·SD/√n of its Student t confidence interval; SD with the n − 1 denominator. No CI with one seed.`,
    `"The" accuracy for Δ, tests and ranks: ${metricTitle(s.metric, s.k)} (report.metric). Δ = arm mean − baseline mean of the same dataset and noise setting, in percentage points.`,
    `Pairs: runs are paired by seed (and ensemble member): under one seed every arm starts from the same weights and sees the same batches and corrupted labels. n_pairs counts seeds present in both arms.`,
    `p (paired t): two-sided paired t-test of the seed-matched differences, n − 1 degrees of freedom.`,
    `p (Wilcoxon): exact two-sided Wilcoxon signed-rank test (zero differences dropped, midranks for ties, exact null distribution); its smallest possible p with n pairs is 2/2ⁿ (0.0625 for 5).`,
    `Holm p: Holm's step-down adjustment (family-wise error rate) of the raw p-values of one family. In the summary the family is every comparison against the baseline within one dataset × noise cell; for claims it is every claim of one experiment (config) that has a p-value.`,
    `d_z: paired Cohen's d, the mean of the paired differences divided by their SD (t = d_z·√n).`,
    `MDD (minimum detectable difference): the smallest true mean difference the paired t-test with this n would detect with 80% power, if the differences had the observed SD: δ*·SD/√n, where δ* is the noncentrality at which a noncentral t with n − 1 df exceeds the critical value with probability 0.8 (both tails counted). Summary: two-sided α = ${s.alpha}; claims: α/(claims in the family), the level Holm's first step demands. The SD is itself estimated from few seeds, so the MDD is a planning figure, not a bound.`,
    `Seeds for Δ / seeds needed: the smallest number of seed pairs at which the same test reaches 80% power for the observed Δ (summary) or for the paper's stated effect (claims with effect:), at the observed SD.`,
    `Verdicts: a claim holds when its Holm-adjusted p < ${s.alpha} in the claimed direction (notWorse: the (1 − α) CI of the improvement lies above −margin). Otherwise it is "inconclusive" when the experiment could not have detected the claimed effect — with a stated effect: MDD > effect; without one: the observed difference is not worse than −MDD/2 (every non-significant difference in the claimed direction is inconclusive); notWorse: an equal arm could not have been shown non-inferior (one-sided MDD > margin) — and "does not hold" otherwise, or whenever the difference is significantly the other way.`,
    `Rank: by the mean of "the" accuracy within the dataset × noise cell; 1 = highest, ties share a rank. Best−last: best-epoch minus last-epoch accuracy. NLL and ECE (15 equal-width bins) of the last-epoch model.`,
  ];
}

const CSS = `
:root{--fg:#1d2433;--muted:#5b6577;--line:#d9dee7;--bg:#ffffff;--alt:#f6f8fb;--accent:#0b5cad;--ok:#1e7b34;--okbg:#e3f4e7;--bad:#b3261e;--badbg:#fbe4e2;--warn:#8a5a00;--warnbg:#fff1d1;--mutedbg:#eceff4}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:18px 28px 10px;border-bottom:1px solid var(--line);background:var(--alt)}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:2px 0;color:var(--muted)}
nav a{margin-right:14px;color:var(--accent);text-decoration:none;font-weight:600}
main{padding:6px 28px 40px}
h2{font-size:18px;margin:26px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--line)}
.note{color:var(--muted);margin:4px 0 10px;max-width:1100px}
.tablewrap{overflow-x:auto;margin:8px 0 18px}
table{border-collapse:collapse;font-size:13px}
caption{text-align:left;font-weight:700;padding:4px 0;font-size:14px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);white-space:nowrap;vertical-align:top}
th{background:var(--alt);text-align:left;cursor:pointer;user-select:none;position:sticky;top:0}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
th[aria-sort=ascending]::after{content:" ▲";font-size:10px}
th[aria-sort=descending]::after{content:" ▼";font-size:10px}
tbody tr:nth-child(even){background:var(--alt)}
td.best{font-weight:700;background:#e8f1fb}
.star{color:#c48a00;margin-left:3px;font-size:11px}
td.claimname{white-space:normal;min-width:340px;max-width:640px}
.why{color:var(--muted);font-size:12px;margin-top:2px}
td.err{white-space:normal;max-width:380px;color:var(--bad)}
td.id{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:700}
.badge.ok{color:var(--ok);background:var(--okbg)}.badge.bad{color:var(--bad);background:var(--badbg)}
.badge.warn{color:var(--warn);background:var(--warnbg)}.badge.muted{color:var(--muted);background:var(--mutedbg)}
.tally .badge{margin-right:6px}
.plots{display:flex;flex-wrap:wrap;gap:16px}
figure.plot{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px;background:#fff}
figure.plot svg{display:block;max-width:100%;height:auto}
figcaption{font-size:12px;color:var(--muted);padding-top:2px}
g.pt{cursor:pointer}g.pt:hover>*:not(title){stroke:#111;stroke-width:2}
#tip{position:absolute;display:none;max-width:520px;background:#fff;border:1px solid #888;border-radius:6px;padding:8px 10px;box-shadow:0 4px 14px rgba(0,0,0,.18);font-size:12px;z-index:10}
#tip ul{margin:4px 0 0;padding-left:16px;max-height:220px;overflow:auto}
#tip a{font-family:ui-monospace,"DejaVu Sans Mono",monospace}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:8px 0}
dl.meta dt{font-weight:700;color:var(--muted)}dl.meta dd{margin:0;word-break:break-word}
pre{background:var(--alt);border:1px solid var(--line);padding:10px;overflow:auto;font-size:12px}
ol.stats li{margin:4px 0;max-width:1100px}
`;

/** Sorting (numbers by data-sort, text otherwise, blanks last) and the plot-point tooltip. No network, no libraries. */
const SCRIPT = `
(function(){
  function key(td){ if(!td) return null; var s=td.getAttribute('data-sort'); if(s!==null && s!=='' && !isNaN(Number(s))) return Number(s); var t=td.textContent.trim(); return (t==='–'||t==='')?null:t.toLowerCase(); }
  document.querySelectorAll('table.sortable').forEach(function(table){
    var ths=table.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths,function(th,col){
      th.addEventListener('click',function(){
        var dir=th.getAttribute('aria-sort')==='ascending'?'descending':'ascending';
        Array.prototype.forEach.call(ths,function(h){h.removeAttribute('aria-sort');});
        th.setAttribute('aria-sort',dir);
        var body=table.tBodies[0], rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){
          var x=key(a.cells[col]), y=key(b.cells[col]);
          if(x===null && y===null) return 0; if(x===null) return 1; if(y===null) return -1;
          var c=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare(String(y),undefined,{numeric:true});
          return dir==='ascending'?c:-c;
        });
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
  });
  var links=JSON.parse(document.getElementById('run-links').textContent);
  var tip=document.getElementById('tip'), pinned=false;
  function show(g,ev){
    var t=g.querySelector('title'); var runs=(g.getAttribute('data-runs')||'').split(' ').filter(Boolean);
    tip.innerHTML='';
    var b=document.createElement('b'); b.textContent=t?t.textContent:''; tip.appendChild(b);
    if(runs.length){ var ul=document.createElement('ul'); runs.forEach(function(id){ var li=document.createElement('li'); var a=document.createElement('a'); a.textContent=id; if(links[id]) a.href=links[id]; li.appendChild(a); ul.appendChild(li); }); tip.appendChild(ul); }
    tip.style.display='block'; tip.style.left=(ev.pageX+12)+'px'; tip.style.top=(ev.pageY+12)+'px';
  }
  document.querySelectorAll('g.pt').forEach(function(g){
    g.addEventListener('mouseenter',function(ev){ if(!pinned) show(g,ev); });
    g.addEventListener('mouseleave',function(){ if(!pinned) tip.style.display='none'; });
    g.addEventListener('click',function(ev){ pinned=true; show(g,ev); ev.stopPropagation(); });
  });
  document.addEventListener('click',function(ev){ if(pinned && !tip.contains(ev.target)){ pinned=false; tip.style.display='none'; } });
})();
`;

/** The whole page. Deterministic: the same inputs give the same bytes (no clock, no randomness). */
export function reportPage(input: PageInput): string {
  const recs = input.records;
  const env = recs.map((r) => r.environment);
  const ok = recs.filter((r) => r.status === 'ok').length;
  const backends = uniq(env.map((v) => v.backend)).join(', ');
  const commits = uniq(env.map((v) => (v.gitCommit ? v.gitCommit.slice(0, 10) : 'unknown'))).join(', ');
  const nav = [['summary', 'Summary'], ...(input.claims.length ? [['claims', 'Claims']] : []), ...(input.plots.length ? [['plots', 'Plots']] : []),
    ['runs', 'Runs'], ['sweep', 'Sweep'], ['statistics', 'Statistics']];
  const notes = statisticsNotes(input.summary).map((n) => `<li>${e(n)}</li>`).join('\n');
  // Run links for the tooltip script; "<" escaped so the JSON cannot close its script element.
  const linksJson = JSON.stringify(input.links).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mixbench">
<title>${e(input.title)} — mixbench report</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${e(input.title)}</h1>
<p>${recs.length} runs (${ok} ok) · backend ${e(backends || '–')} · commit ${e(commits || '–')} · built from the run records by mixbench</p>
<nav>${nav.map(([id, t]) => `<a href="#${id}">${e(t)}</a>`).join('')}</nav>
</header>
<main>
${summarySection(input.summary)}
${extraTablesSection(input.extraTables)}
${claimsSection(input.claims)}
${plotsSection(input.plots)}
${runsSection(input.runs, input.links, input.summary.multiExperiment)}
${metadataSection(input)}
<section id="statistics"><h2>Statistics used</h2>
<ol class="stats">
${notes}
</ol>
</section>
</main>
<div id="tip" role="tooltip"></div>
<script type="application/json" id="run-links">${linksJson}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** The overrides of a `mixbench run` command line and environment: settings that replace the config's. */
export function runOverrides(args: string[], env: Record<string, string | undefined>): string[] {
  const overrides: string[] = [];
  const flagNames: Record<string, string> = { '--backend': 'backend', '-o': 'output', '--output': 'output', '--only': 'only', '--shard': 'shard', '--shard-count': 'shard count', '--set': 'set' };
  let setFlag = false;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    if (flag in flagNames) overrides.push(`${flagNames[flag]} ${flag === '--set' ? '' : '= '}${inline ?? args[i + 1] ?? ''} (command line)`);
    if (flag === '--set') setFlag = true;
    if (flag === '--force') overrides.push('--force: complete runs redone (command line)');
  }
  for (const k of ['MIXBENCH_BACKEND', 'MIXBENCH_SHARD', 'MIXBENCH_SHARD_COUNT']) {
    if (env[k] !== undefined) overrides.push(`${k}=${env[k]} (environment)`);
  }
  // The command line's --set flags replace MIXBENCH_SET (commander's rule for an option's variable).
  if (!setFlag && env.MIXBENCH_SET !== undefined) {
    for (const o of splitSetVariable(env.MIXBENCH_SET)) overrides.push(`set ${o} (MIXBENCH_SET)`);
  }
  return overrides;
}

/** The overrides in MIXBENCH_SET: one `key=value` per line (blank lines ignored). */
export function splitSetVariable(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}
