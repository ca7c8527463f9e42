/** Learning rate at step `step` (0-based) of `total`: linear warm-up, then constant or cosine decay to 0. */
export function learningRate(base: number, schedule: 'constant' | 'cosine', step: number, total: number, warmupSteps: number): number {
  if (warmupSteps > 0 && step < warmupSteps) return (base * (step + 1)) / warmupSteps;
  if (schedule === 'constant') return base;
  const span = Math.max(1, total - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / span);
  return 0.5 * base * (1 + Math.cos(Math.PI * progress));
}
