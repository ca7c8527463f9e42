/** `mixbench methods`: the method list as text. */
import type { Cost, MethodModule } from './define';
import { METHODS } from './index';
import { optionDocs } from './options';

export function formatCost(cost: Cost): string {
  return cost.measured === undefined ? `${cost.text}; not measured` : `${cost.text}; ${cost.measured.toFixed(2)}× measured (wasm)`;
}

/** "alpha = 0", "alpha = 0, rho = 0 → baseline" … */
export function formatLimit(m: MethodModule): string {
  const set = Object.entries(m.limit.options).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
  if (m.limit.forceLambda !== undefined) set.push(`λ forced to ${m.limit.forceLambda}`);
  return `${set.length ? set.join(', ') : 'default options'} → ${m.limit.equals ?? 'baseline'} (${m.limit.why})`;
}

export function formatMethods(): string {
  const out: string[] = [];
  for (const m of METHODS) {
    out.push(`${m.name} — ${m.summary}`);
    out.push(`  family: ${m.family}; acts on: ${m.actsOn}`);
    out.push(`  kind: ${m.kinds.length ? m.kinds.join(', ') : '-'}; models: ${m.models.join(', ')}; data: ${m.modalities.join(', ')}; extra cost: ${formatCost(m.cost)}`);
    const options = optionDocs(m.options);
    if (options.length) {
      out.push('  options:');
      for (const o of options) out.push(`    ${o.name} (default ${o.default}; ${o.range}): ${o.description}`);
    }
    if (m.name !== 'baseline') out.push(`  limit: ${formatLimit(m)}`);
    out.push(`  paper: ${m.paper}`);
    if (m.notes) out.push(`  note: ${m.notes}`);
    out.push('');
  }
  out.push('Composition: a method entry may add further methods as keys, e.g. `- {method: amplify, neutreno: {lambda: 0.6}}`');
  out.push('or `- {method: cutmix, label-smoothing: {epsilon: 0.1}, sam: {rho: 0.05}}`. Two parts of one kind (mixing, target,');
  out.push('attention, optimizer) cannot be combined; gmix/bgmix/dgmix are both mixing and optimizer methods.');
  out.push('Evaluation never mixes or perturbs; only network changes (neutreno) also apply at evaluation. See docs/methods.md.');
  return `${out.join('\n')}\n`;
}
