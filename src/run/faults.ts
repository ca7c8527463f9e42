/**
 * TESTING HOOK, not a user feature: MIXBENCH_TEST_FAULT makes chosen runs fail on purpose so that the fault handling of
 * sweeps can be tested with real processes.
 *
 *   MIXBENCH_TEST_FAULT="<pattern>:<kind>[:<attempts>][,<pattern>:<kind>...]"
 *
 * `<pattern>` matches every run whose id contains it (e.g. `mixup-none-s2`). `<kind>`:
 *   throw  an exception after the first epoch          → status `failed`
 *   nan    the run's training inputs are NaN           → a real NaN loss → status `diverged`
 *   kill   the process SIGKILLs itself after epoch 1   → a killed worker (or a killed sweep without --jobs)
 *   hang   the run waits, without training, until the sweep is interrupted
 * `<attempts>` limits the fault to the first k attempts of the run (for --retries); default: every attempt.
 */
export type FaultKind = 'throw' | 'nan' | 'kill' | 'hang';

const KINDS: FaultKind[] = ['throw', 'nan', 'kill', 'hang'];

export function injectedFault(runId: string, attempt: number, env: NodeJS.ProcessEnv = process.env): FaultKind | undefined {
  const spec = env.MIXBENCH_TEST_FAULT;
  if (!spec) return undefined;
  for (const entry of spec.split(',')) {
    const [pattern, kind, attempts] = entry.trim().split(':');
    if (!pattern || !KINDS.includes(kind as FaultKind)) throw new Error(`MIXBENCH_TEST_FAULT: cannot parse "${entry}" (want <pattern>:throw|nan|kill|hang[:attempts])`);
    if (!runId.includes(pattern)) continue;
    if (attempts !== undefined && attempt > Number(attempts)) continue;
    return kind as FaultKind;
  }
  return undefined;
}
