import * as core from './runner-commands.js';
import { cancelOnSignals } from './cancellation.js';
import type { ActionModule } from './context.js';
import { undeclaredInputWarnings } from './declared-inputs.js';
import { failureKind } from './errors.js';
import { githubContext } from './github-context.js';
import { sourceMappedStack } from './source-mapped-stack.js';

const POST_STATE = 'taco-is-post';

/**
 * The bundled index.js of every action calls this once. It runs `run` as the main step and `post`
 * (if the action has one) as the post step, and reports a failure exactly once.
 */
export async function runAsAction(action: ActionModule): Promise<void> {
  const cancellation = cancelOnSignals((message) => core.issueCommand('warning', {}, message));
  const ctx = githubContext(cancellation.signal);
  const isPost = core.getState(POST_STATE) === 'true';
  try {
    if (isPost) {
      await action.post?.(ctx);
    } else {
      core.saveState(POST_STATE, 'true');
      for (const warning of undeclaredInputWarnings(process.env, action.Inputs))
        core.issueCommand('warning', {}, warning);
      await action.run(ctx);
    }
  } catch (err) {
    reportFailure(err);
  } finally {
    cancellation.dispose();
  }
  // Keep-alive agents and watches must not hold the step open once the work is done.
  process.exit(process.exitCode ?? 0);
}

/** A user's mistake or a failed job: its message. A bug: its message and stack, both at error level. */
function reportFailure(err: unknown): void {
  if (failureKind(err) !== 'bug') {
    core.setFailed((err as Error).message);
    const cause = (err as Error).cause;
    if (cause !== undefined)
      core.debug(`cause: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
    return;
  }
  const error = err instanceof Error ? err : new Error(String(err));
  core.setFailed(`Internal error: ${sourceMappedStack(error.stack ?? error.message)}`);
}
