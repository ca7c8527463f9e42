/** Typed errors and the exit codes they map to. Library code throws these; only cli.ts exits. */

export const EXIT = { ok: 0, runFailed: 1, usage: 2, interrupted: 130 } as const;

/** A problem located in a user's file: rendered as `file:line:col: message`. */
export interface Issue {
  file: string;
  line?: number;
  col?: number;
  path?: (string | number)[];
  message: string;
}

export function formatIssue(issue: Issue): string {
  const where = issue.line !== undefined ? `${issue.file}:${issue.line}:${issue.col ?? 1}` : issue.file;
  return `${where}: ${issue.message}`;
}

/** Bad command-line usage or an environment that cannot serve the request (exit 2). */
export class UsageError extends Error {
  readonly exitCode = EXIT.usage;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One or more problems in a config or data file (exit 2). */
export class ConfigError extends Error {
  readonly exitCode = EXIT.usage;
  constructor(readonly issues: Issue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

/** A requested backend could not be loaded (exit 2). */
export class BackendError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

/** A run diverged (non-finite loss). Caught by the executor, which records the run as `diverged`. */
export class DivergedError extends Error {
  constructor(readonly epoch: number, readonly step: number) {
    super(`loss became NaN/Inf at epoch ${epoch}, step ${step}`);
    this.name = 'DivergedError';
  }
}

/** The user interrupted (SIGINT/SIGTERM): exit 130 after keeping what is complete. */
export class InterruptedError extends Error {
  readonly exitCode = EXIT.interrupted;
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}
