import { JobFailure, UserError } from '../lib/errors.js';
import { gitComplaint, GitError } from '../lib/git/git.js';

/** Which side a failed command talked to, and which input holds its credentials. */
export interface RemoteSide {
  role: 'upstream' | 'mirror';
  url: string;
  tokenInput: string;
  hasToken: boolean;
  hasSshKey: boolean;
}

const AUTH =
  /Authentication failed|could not read (Username|Password)|HTTP (401|403)|returned error: 40[13]|Permission denied \(publickey|Host key verification failed|terminal prompts disabled/i;
const UNREACHABLE =
  /Could not resolve host|Connection refused|Failed to connect|unable to access|Connection timed out|Could not read from remote repository|does not appear to be a git repository|repository '.*' not found|not found: did you run git update-server-info|HTTP 404|returned error: 404|Operation timed out|early EOF|RPC failed/i;

/** True when a git failure is about the remote (auth, network, missing repository), not the local cache. */
export function isRemoteFailure(err: unknown): boolean {
  return err instanceof GitError && (AUTH.test(err.result.stderr) || UNREACHABLE.test(err.result.stderr));
}

/**
 * Turns a failed talk with a remote into a clear error: bad or missing credentials are the
 * caller's mistake (UserError, naming the input); an unreachable remote fails the job.
 */
export function remoteError(err: unknown, side: RemoteSide, secrets: readonly string[]): Error {
  if (!(err instanceof GitError)) return err instanceof Error ? err : new Error(String(err));
  const complaint = gitComplaint(err.result, secrets);
  if (AUTH.test(err.result.stderr)) {
    const hint = side.hasToken
      ? `the ${side.role} rejected the token given in '${side.tokenInput}' (wrong, expired or without access)`
      : side.hasSshKey
        ? `the ${side.role} rejected the SSH key given in 'ssh-key'`
        : `the ${side.role} requires credentials: set '${side.tokenInput}' (HTTPS) or 'ssh-key'`;
    return new UserError(`Cannot access the ${side.role} ${side.url}: ${hint} (git: ${complaint})`);
  }
  return new JobFailure(`Cannot reach the ${side.role} ${side.url}: ${complaint}`);
}
