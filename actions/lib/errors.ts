/**
 * Three kinds of failure, told apart by class wherever they are reported (the action entry and
 * the taco-ci CLI both ask `failureKind`):
 * - UserError: the caller's input or profile is wrong. One clear located line; exit code 2.
 * - JobFailure or ExternalError, exit 1: the job did its job and found a problem (a gate, an SLA,
 *   tests failed), or a service it calls failed (git, a registry, helm, the Kubernetes API, Rally,
 *   Keystone). An ExternalError's message names the service and it keeps the underlying `cause`.
 *   (Two classes, not one: code that retries or repairs after a service failure must not mistake
 *   it for a verdict.)
 * - anything else is a bug: its message and stack are reported at error level.
 * The kind is set where a service is called (the adapters), not where the error is reported.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
}

export class JobFailure extends Error {
  override readonly name: string = 'JobFailure';
}

export class ExternalError extends Error {
  override readonly name: string = 'ExternalError';
  constructor(
    /** The service that failed, as the message names it: `git`, `registry`, `helm`, `Kubernetes API`… */
    readonly service: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type FailureKind = 'user' | 'failure' | 'bug';

export function failureKind(err: unknown): FailureKind {
  if (err instanceof UserError) return 'user';
  if (err instanceof JobFailure || err instanceof ExternalError) return 'failure';
  return 'bug';
}

/** The exit code of taco-ci for an error of this kind. */
export function exitCodeFor(err: unknown): 1 | 2 {
  return failureKind(err) === 'user' ? 2 : 1;
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
