/**
 * The method tables of README.md and docs/methods.md, generated from the method list (names, families, options
 * with defaults, ranges and descriptions, costs, limit cases). Each generated block sits between
 *   <!-- BEGIN GENERATED: <key> (npm run docs:methods) -->  and  <!-- END GENERATED: <key> -->
 * `npm run docs:methods` rewrites the blocks; test/methods-matrix.test.ts fails when a file differs from what this
 * module generates, or when docs/methods.md lacks a method's section.
 *
 *   node dist/src/methods/docs.js [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MethodModule } from './define';
import { formatCost, formatLimit } from './describe';
import { METHODS } from './index';
import { optionDocs } from './options';

/** A markdown table cell: pipes escaped, newlines flattened. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function row(cells: string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function costCell(m: MethodModule): string {
  return m.cost.measured === undefined ? `${m.cost.text} (not measured)` : `${m.cost.measured.toFixed(2)}×`;
}

/** README's method table: name, family, what it does, options with defaults, measured step cost. */
export function readmeTable(): string {
  const lines = [
    '| name | family | what it does | options (defaults) | step cost vs baseline (wasm) |',
    '|---|---|---|---|---|',
  ];
  for (const m of METHODS) {
    const options = optionDocs(m.options).map((o) => `\`${o.name}\` (${o.default})`).join(', ') || '–';
    lines.push(row([`\`${m.name}\``, m.family, m.summary, options, costCell(m)]));
  }
  return lines.join('\n');
}

/** docs/methods.md's overview table. */
export function overviewTable(): string {
  const lines = [
    '| name | family | kind | acts on | models | data | cost (measured, wasm) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const m of METHODS) {
    lines.push(row([
      `[\`${m.name}\`](#${m.name})`, m.family, m.kinds.join(' + ') || '–', m.actsOn, m.models.join(', '), m.modalities.join(', '), costCell(m),
    ]));
  }
  return lines.join('\n');
}

/** The facts and the option table at the top of a method's section in docs/methods.md. */
export function methodReference(m: MethodModule): string {
  const lines = [
    `*${m.summary}.*`,
    '',
    `- family: ${m.family}; kind: ${m.kinds.join(', ') || '–'}; models: ${m.models.join(', ')}; data: ${m.modalities.join(', ')}`,
    `- acts on: ${m.actsOn}`,
    `- cost: ${formatCost(m.cost)}`,
    `- paper: ${m.paper}`,
  ];
  if (m.name !== 'baseline') lines.push(`- limit case: ${formatLimit(m)}`);
  if (m.notes) lines.push(`- note: ${m.notes}`);
  const options = optionDocs(m.options);
  if (options.length) {
    lines.push('', '| option | default | range | description |', '|---|---|---|---|');
    for (const o of options) lines.push(row([`\`${o.name}\``, o.default, o.range, o.description]));
  } else {
    lines.push('', 'No options.');
  }
  return lines.join('\n');
}

function begin(key: string): string {
  return `<!-- BEGIN GENERATED: ${key} (npm run docs:methods) -->`;
}

function end(key: string): string {
  return `<!-- END GENERATED: ${key} -->`;
}

/** The generated blocks of each file, by key. */
export function generatedBlocks(): { readme: Map<string, string>; methods: Map<string, string> } {
  const methods = new Map<string, string>([['method table', overviewTable()]]);
  for (const m of METHODS) methods.set(`method ${m.name}`, methodReference(m));
  return { readme: new Map([['method table', readmeTable()]]), methods };
}

/** The section heading of a method in docs/methods.md. */
export function sectionHeading(name: string): string {
  return `### ${name}`;
}

export interface Regenerated {
  text: string;
  /** Problems that generation cannot fix (a missing section or marker, a block of an unknown key). */
  problems: string[];
}

/** `text` with every block replaced by its generated content. */
export function regenerate(file: string, text: string, blocks: Map<string, string>): Regenerated {
  const problems: string[] = [];
  let out = text;
  for (const [key, content] of blocks) {
    const a = out.indexOf(begin(key));
    const b = out.indexOf(end(key));
    if (a < 0 || b < a) {
      problems.push(`${file}: no generated block "${key}"; add the lines\n  ${begin(key)}\n  ${end(key)}\nwhere it belongs`);
      continue;
    }
    out = `${out.slice(0, a + begin(key).length)}\n${content}\n${out.slice(b)}`;
  }
  for (const match of out.matchAll(/<!-- BEGIN GENERATED: (.+?) \(npm run docs:methods\) -->/g)) {
    if (!blocks.has(match[1])) problems.push(`${file}: generated block "${match[1]}" belongs to no method; remove its section`);
  }
  return { text: out, problems };
}

/** Every method needs its section in docs/methods.md: the heading, the generated block, and prose after it. */
export function sectionProblems(text: string): string[] {
  const problems: string[] = [];
  for (const m of METHODS) {
    const heading = sectionHeading(m.name);
    const start = text.split('\n').findIndex((l) => l.trim() === heading);
    if (start < 0) {
      problems.push(`docs/methods.md: no section "${heading}" for method ${m.name}: write one (how it is implemented, where it deviates from the official code), with the generated block\n  ${begin(`method ${m.name}`)}\n  ${end(`method ${m.name}`)}\nbelow the heading, then run npm run docs:methods`);
      continue;
    }
    const rest = text.split('\n').slice(start + 1);
    const next = rest.findIndex((l) => /^#{1,3} /.test(l));
    const body = (next < 0 ? rest : rest.slice(0, next)).join('\n');
    const blockEnd = body.indexOf(end(`method ${m.name}`));
    if (blockEnd < 0) {
      problems.push(`docs/methods.md: section "${heading}" has no generated block "method ${m.name}"`);
      continue;
    }
    const prose = body.slice(blockEnd + end(`method ${m.name}`).length).trim();
    if (!prose) problems.push(`docs/methods.md: section "${heading}" has no text of its own after the generated block: say how ${m.name} is implemented and where it deviates from the official code`);
  }
  return problems;
}

export interface DocsState {
  readme: Regenerated;
  methods: Regenerated;
}

/** The regenerated README.md and docs/methods.md of the repository at `root`, and their problems. */
export function regenerateDocs(root: string): DocsState & { readmeText: string; methodsText: string } {
  const readmeText = readFileSync(join(root, 'README.md'), 'utf8');
  const methodsText = readFileSync(join(root, 'docs', 'methods.md'), 'utf8');
  const blocks = generatedBlocks();
  const readme = regenerate('README.md', readmeText, blocks.readme);
  const methods = regenerate('docs/methods.md', methodsText, blocks.methods);
  methods.problems.push(...sectionProblems(methods.text));
  return { readme, methods, readmeText, methodsText };
}

function main(argv: string[]): number {
  const root = resolve(__dirname, '..', '..', '..');
  const state = regenerateDocs(root);
  const problems = [...state.readme.problems, ...state.methods.problems];
  const stale = [
    ...(state.readme.text !== state.readmeText ? ['README.md'] : []),
    ...(state.methods.text !== state.methodsText ? ['docs/methods.md'] : []),
  ];
  if (argv.includes('--check')) {
    for (const f of stale) process.stderr.write(`${f}: the method tables are not current; run npm run docs:methods\n`);
  } else {
    if (state.readme.text !== state.readmeText) writeFileSync(join(root, 'README.md'), state.readme.text);
    if (state.methods.text !== state.methodsText) writeFileSync(join(root, 'docs', 'methods.md'), state.methods.text);
    for (const f of stale) process.stderr.write(`rewrote the method tables of ${f}\n`);
  }
  for (const p of problems) process.stderr.write(`${p}\n`);
  return problems.length || (argv.includes('--check') && stale.length) ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
