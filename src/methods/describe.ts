/** `mixbench methods`: the catalogue as text. */
import { methodInfo, methodNames } from './catalog';

export function formatMethods(): string {
  const out: string[] = [];
  for (const name of methodNames()) {
    const m = methodInfo(name)!;
    out.push(`${m.name} — ${m.summary}`);
    out.push(`  acts on: ${m.actsOn}`);
    out.push(`  kind: ${m.kinds.length ? m.kinds.join(', ') : '-'}; models: ${m.models.join(', ')}; data: ${m.modalities.join(', ')}; extra cost: ${m.cost}`);
    if (m.optionDocs.length) {
      out.push('  options:');
      for (const o of m.optionDocs) out.push(`    ${o.name} (default ${o.default}; ${o.range}): ${o.description}`);
    }
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
