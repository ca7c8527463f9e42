/**
 * report.html in a real browser: a small real sweep is trained, then its page is opened from disk in headless
 * Chromium (Debian's, driven by playwright-core) with the network cut off. Checks that the tables, plots and claims
 * render, sorting works, hovering a plot point lists its runs, run links point at existing result.json files, nothing
 * is fetched and nothing is logged as an error; leaves a screenshot in test-output/report-page/ for a person to look at.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, tempDir } from './helpers';
import { TINY_MODEL } from './sweep-util';

const CHROMIUM = process.env.MIXBENCH_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-output', 'report-page');

function sweep(dir: string): string {
  const out = join(dir, 'out');
  const config = join(dir, 'page.yaml');
  writeFileSync(config, `name: page-test
seeds: [1, 2, 3]
datasets: [{name: digits, limit: 150}]
noise: [none, {label: {type: symmetric, rate: 0.4}}]
methods: [baseline, {mixup: {alpha: 1}}]
model: ${TINY_MODEL}
train: {epochs: 3, batchSize: 32}
backend: cpu
report: {metric: last}
claims:
  - {better: mixup, than: baseline, metric: last, noise: 0.4, effect: 0.02}
  - {notWorse: mixup, than: baseline, metric: best, noise: 0, margin: 0.01}
`);
  const r = spawnSync(process.execPath, [CLI, 'run', config, '-o', out, '-q'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

test('report.html of a real sweep renders in headless Chromium: tables, plots, claims, sorting, hover, no errors', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does) or set MIXBENCH_CHROMIUM`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const dir = tempDir('mixbench-page-');
  const out = sweep(dir);
  const page = join(out, 'report.html');
  assert.ok(existsSync(page), 'mixbench run writes report.html');
  const html = readFileSync(page, 'utf8');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no external resources');
  const svgFiles = readdirSync(join(out, 'plots')).filter((f) => f.endsWith('.svg'));

  const context = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1400, height: 900 },
  });
  try {
    const tab = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    const fetched: string[] = [];
    tab.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    tab.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      fetched.push(url);
      return route.abort();
    });
    await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });

    // Summary: one sortable table per (dataset, noise) cell, a row per arm, the best values marked.
    const summaries = tab.locator('table.summary');
    assert.equal(await summaries.count(), 2);
    assert.equal(await summaries.nth(1).locator('tbody tr').count(), 2);
    assert.ok((await tab.locator('table.summary td.best').count()) > 0, 'best values marked');
    const headers = await summaries.first().locator('th').allInnerTexts();
    for (const h of ['Method', 'Last acc. (%)', 'p (paired t)', 'Holm p (t)', 'd_z', 'MDD (pp)', 'Seeds for Δ']) assert.ok(headers.includes(h), `summary column ${h}`);

    // Plots: every SVG written to plots/ is inline and laid out.
    const figures = tab.locator('figure.plot svg');
    assert.equal(await figures.count(), svgFiles.length);
    for (let i = 0; i < svgFiles.length; i++) {
      const box = await figures.nth(i).boundingBox();
      assert.ok(box && box.width > 300 && box.height > 200, `plot ${i} rendered (${JSON.stringify(box)})`);
    }
    assert.ok(svgFiles.some((f) => f.startsWith('accuracy-vs-noise')));

    // Claims: both, with verdicts and numbers.
    const claimRows = tab.locator('table.claims tbody tr');
    assert.equal(await claimRows.count(), 2);
    const verdicts = await tab.locator('table.claims tbody .badge').allInnerTexts();
    for (const v of verdicts) assert.ok(['holds', 'does not hold', 'inconclusive'].includes(v), v);
    const firstClaim = await claimRows.first().innerText();
    assert.match(firstClaim, /mixup > baseline, last-epoch accuracy/);
    assert.match(firstClaim, /\(paper's \+0\.020\)/, 'seeds needed for the stated effect');

    // Runs: 12, each linked to its result.json, which exists.
    const runRows = tab.locator('table.runs tbody tr');
    assert.equal(await runRows.count(), 12);
    const hrefs = await tab.locator('table.runs td.id a').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    assert.equal(hrefs.length, 12);
    for (const h of hrefs) assert.ok(existsSync(resolve(dirname(page), decodeURIComponent(h))), h);

    // Sorting: the runs table by last accuracy, ascending then descending; blanks (none here) last.
    const lastAcc = async () => (await tab.locator('table.runs tbody tr td:nth-child(10)').allInnerTexts()).map(Number);
    const th = tab.locator('table.runs th', { hasText: 'Last acc.' });
    await th.click();
    const up = await lastAcc();
    assert.deepEqual(up, [...up].sort((a, b) => a - b));
    assert.equal(await th.getAttribute('aria-sort'), 'ascending');
    await th.click();
    const down = await lastAcc();
    assert.deepEqual(down, [...up].sort((a, b) => b - a));
    assert.notDeepEqual(up, down, 'the accuracies differ, so the order changed');
    // And a summary table by method name, descending on the second click.
    const method = summaries.first().locator('th', { hasText: 'Method' });
    await method.click();
    await method.click();
    assert.deepEqual(await summaries.first().locator('tbody tr td:first-child').allInnerTexts(), ['mixup', 'baseline']);

    // Hover a point of the accuracy-vs-noise plot: the tooltip lists its three runs.
    const point = tab.locator('figure[data-file^="accuracy-vs-noise"] g.pt').first();
    await point.scrollIntoViewIfNeeded();
    await point.hover();
    const tip = tab.locator('#tip');
    assert.ok(await tip.isVisible(), 'tooltip shown');
    assert.equal(await tip.locator('li a').count(), 3);

    // Metadata and statistics notes.
    const sweepText = await tab.locator('#sweep').innerText();
    assert.match(sweepText, /page\.yaml/);
    assert.match(sweepText, /output = .*out \(command line\)/);
    assert.match(sweepText, /cpu/);
    assert.match(await tab.locator('#statistics').innerText(), /noncentral t/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await tab.locator('#tip').evaluate((el) => { (el as unknown as { style: { display: string } }).style.display = 'none'; });
    await tab.evaluate('window.scrollTo(0, 0)');
    const shot = join(ARTIFACTS, 'report.png');
    await tab.screenshot({ path: shot, fullPage: true });
    copyFileSync(page, join(ARTIFACTS, 'report.html'));
    t.diagnostic(`screenshot: ${shot}`);

    assert.deepEqual(fetched, [], 'no network requests');
    assert.deepEqual(problems, [], 'no console errors or warnings');
  } finally {
    await context.close();
  }
});
