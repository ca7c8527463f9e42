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
  return `${out.join('\n')}\n`;
}
