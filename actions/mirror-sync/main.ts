import type { ActionContext } from '../lib/context.js';
import { JobFailure } from '../lib/errors.js';
import { forgetEnvironment } from '../lib/environ.js';
import { removeSshKeyDir } from '../lib/git/auth.js';
import { mirrorNames, resolveConfig } from './config.js';
import { Inputs, Outputs, readInputs } from './inputs.js';
import { summaryMarkdown, updatedRefs, writeReport } from './report.js';
import { hasFailures, syncMirror } from './sync.js';
// The inputs action.yml declares: the entry warns about, and taco-ci refuses, any other.
export { Inputs } from './inputs.js';

const SSH_KEY_STATE = 'ssh-key-dir';

export async function run(ctx: ActionContext): Promise<void> {
  const inputs = readInputs(ctx);
  if (inputs.list) {
    const names = mirrorNames(inputs.profile, ctx.workspace);
    ctx.info(`Mirrors: ${names.join(', ') || '(none)'}`);
    ctx.setOutput(Outputs.mirrors, JSON.stringify(names));
    return;
  }
  const config = resolveConfig(inputs, ctx);
  // Read once, then gone from this process's environment: a gate (upstream code) that looks at
  // its parent's environment finds nothing.
  const secretNames = [
    ...[Inputs.upstreamToken, Inputs.mirrorToken, Inputs.sshKey].map((name) => `INPUT_${name.toUpperCase()}`),
    ...config.secretEnv,
  ];
  if (!forgetEnvironment(secretNames))
    ctx.debug('Could not clear the secrets from /proc/self/environ (removed from process.env only)');
  ctx.info(
    `Mirror ${config.name}: ${config.upstream} → ${config.mirror}${config.dryRun ? ' (dry run: nothing will be pushed)' : ''}`,
  );
  ctx.debug(`Settings from ${config.source}; cache in ${config.cacheDir}`);

  const report = await syncMirror(config, {
    env: ctx.env,
    tempDir: ctx.tempDir,
    signal: ctx.signal,
    info: (m) => ctx.info(m),
    warning: (m) => ctx.warning(m),
    debug: (m) => ctx.debug(m),
    onSshKey: (dir) => ctx.saveState(SSH_KEY_STATE, dir),
  });

  const file = await writeReport(report, ctx.tempDir);
  ctx.setOutput(Outputs.changed, report.changed);
  ctx.setOutput(Outputs.updatedRefs, JSON.stringify(updatedRefs(report)));
  ctx.setOutput(Outputs.report, file);
  await ctx.appendSummary(summaryMarkdown(report));

  if (hasFailures(report)) {
    for (const failure of report.failures) ctx.error(`${config.name} ${failure}`);
    // Each problem was just printed; the failure itself only counts them.
    const count = report.failures.length;
    throw new JobFailure(
      `${config.name}: ${count} problem${count === 1 ? '' : 's'} (above, in the job summary and in ${file})`,
    );
  }
  ctx.info(
    report.changed
      ? `${config.name}: mirror ${config.dryRun ? 'would be ' : ''}updated`
      : `${config.name}: mirror already in sync`,
  );
}

/** Removes the SSH key directory if the main step died before removing it itself. */
export async function post(ctx: ActionContext): Promise<void> {
  const dir = ctx.getState(SSH_KEY_STATE);
  if (dir) await removeSshKeyDir(dir);
}
