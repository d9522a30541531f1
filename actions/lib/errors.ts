/**
 * Two kinds of failure. A UserError is the caller's mistake (bad input, missing file, bad profile):
 * one clear line, exit code 2 in the CLI. A JobFailure is the job doing its job and finding a
 * problem (a gate failed, an SLA failed, tests failed): exit code 1. Anything else is a bug.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}

export class JobFailure extends Error {
  override readonly name = 'JobFailure';
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

export function isJobFailure(err: unknown): err is JobFailure {
  return err instanceof JobFailure;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
