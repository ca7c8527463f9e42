/** What `mixbench plan` and `mixbench validate` print about a plan: its size, how it multiplies up, its axes and arms. */
import { armLabel, axesOf, formatAxisValue, runSetting, type Axes } from '../core/axes';
import type { ResolvedExperiment } from '../core/experiment';
import type { Plan, RunSpec } from '../core/run';

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** `1 dataset × 1 noise setting × 3 model/training settings × 3 arms × 2 seeds`. */
export function planFactors(exp: ResolvedExperiment): string {
  return [
    plural(exp.datasets.length, 'dataset'),
    plural(exp.noise.length, 'noise setting'),
    ...(exp.grid.length > 1 ? [plural(exp.grid.length, 'model/training setting')] : []),
    plural(exp.methods.length, exp.axes.some((a) => !a.key.startsWith('model.') && !a.key.startsWith('train.')) ? 'method arm' : 'method'),
    plural(exp.seeds.length, 'seed'),
    ...(exp.ensemble ? [plural(exp.ensemble.members, 'ensemble member')] : []),
  ].join(' × ');
}

/** The axes of a plan's runs (declared in the config, or found by comparing the runs). */
export function planAxes(exp: ResolvedExperiment, plan: Plan): Axes {
  return axesOf(plan.runs, exp.report.axes ?? []);
}

/** The header of `mixbench plan`: size, factors, axes (with zips) and arms. */
export function describePlan(exp: ResolvedExperiment, plan: Plan): string[] {
  const axes = planAxes(exp, plan);
  const lines = [`${plan.experiment}: ${plural(plan.runs.length, 'run')} → ${plan.output}`, `  ${planFactors(exp)}`];
  if (exp.axes.length) {
    lines.push('  axes:');
    for (const a of exp.axes) lines.push(`    ${a.key} = ${a.values.map(formatAxisValue).join(', ')}${a.zip ? `  (zipped with ${a.zip.join(', ')})` : ''}`);
  }
  const arms = [...new Set(exp.methods.map((m) => armLabel({ experiment: exp.name, method: m }, axes)))];
  if (arms.length !== new Set(exp.methods.map((m) => m.name)).size) lines.push(`  arms: ${arms.join(', ')}`);
  if (exp.overrides?.length) lines.push(`  --set: ${exp.overrides.join(' ')}`);
  return lines;
}

/** One line per run: id, dataset, noise, arm, the model/training axis values, seed. */
export function describeRun(r: RunSpec, axes: Axes): string {
  const settings = axes.settings.map((k) => `${k}=${formatAxisValue(runSetting(r, k))}`);
  return [r.id, r.dataset.name, r.noise.label, armLabel(r, axes), ...settings, `seed ${r.seed}`].join('\t');
}
