import type { ActionContext } from '../lib/context.js';
import { JobFailure } from '../lib/errors.js';
import { basicCredential } from '../lib/git/auth.js';
import { RegistryClient } from '../lib/registry/client.js';
import { candidateRelease } from './candidate-release.js';
import { historySiteMode } from './history-site.js';
import { Outputs, readInputs } from './inputs.js';
import { recordNightly } from './nightly.js';
import { incompleteMessage, promote, type PromotionReport } from './promote.js';
import { loadOptionalProfile, resolveSettings } from './settings.js';
import { candidateReleaseSummary, nightlySummary, promotionSummary } from './summary.js';
// The inputs action.yml declares: the entry warns about, and taco-ci refuses, any other.
export { Inputs } from './inputs.js';

export async function run(ctx: ActionContext): Promise<void> {
  const inputs = readInputs(ctx);
  // Mask before anything can print them (resolveSettings masks profile-sourced secrets too).
  for (const secret of [inputs.registryPassword, inputs.gitToken, inputs.githubToken])
    if (secret) ctx.setSecret(secret);
  // The Basic credential git sends is derived from the token: mask it too.
  if (inputs.gitToken) ctx.setSecret(basicCredential(inputs.gitToken));
  const profile = loadOptionalProfile(inputs.profile, ctx.workspace);
  if (inputs.mode === 'history-site') return historySiteMode(ctx, inputs, profile);
  const settings = resolveSettings(ctx, inputs, profile);
  // Outputs exist even when the promotion stops early, so later steps can read them.
  ctx.setOutput(Outputs.promoted, []);
  ctx.setOutput(Outputs.skipped, []);
  ctx.setOutput(Outputs.historyEntry, '');
  ctx.setOutput(Outputs.nightlyStatus, '');
  ctx.setOutput(Outputs.release, '');
  ctx.setOutput(Outputs.site, '');
  if (settings.mode !== 'promote') ctx.setOutput(Outputs.version, '');

  const client = new RegistryClient({
    host: settings.registry.host,
    insecure: settings.insecure,
    credentials: settings.credentials,
    tokenRealms: settings.tokenRealms,
    setSecret: (value) => ctx.setSecret(value),
    maxConnections: settings.concurrency,
    retry: { retries: settings.retries },
    signal: ctx.signal,
    env: ctx.env,
    log: (line) => ctx.info(`registry: ${line}`),
  });
  if (settings.mode === 'record-nightly') {
    try {
      const record = await ctx.group(`Record the nightly of ${settings.candidate}`, () =>
        recordNightly(settings, {
          client,
          env: ctx.env,
          tempDir: ctx.tempDir,
          signal: ctx.signal,
          log: (line) => ctx.info(line),
          warn: (line) => ctx.warning(line),
        }),
      );
      ctx.setOutput(Outputs.historyEntry, JSON.stringify(record.entry));
      ctx.setOutput(Outputs.nightlyStatus, record.entry.status);
      await ctx.appendSummary(nightlySummary(record));
      ctx.notice(
        `${record.status === 'planned' ? 'Dry run: would record' : 'Recorded'} the nightly of ${settings.candidate} as ${record.entry.status} in ${record.target}`,
      );
    } finally {
      client.close();
    }
    return;
  }

  if (settings.mode === 'candidate-release') {
    try {
      const written = await ctx.group(`Candidate release ${settings.candidate}`, () =>
        candidateRelease(settings, {
          client,
          env: ctx.env,
          tempDir: ctx.tempDir,
          signal: ctx.signal,
          log: (line) => ctx.info(line),
        }),
      );
      ctx.setOutput(Outputs.release, { ref: written.ref, digest: written.digest });
      await ctx.appendSummary(candidateReleaseSummary(written));
      ctx.notice(
        written.status === 'planned'
          ? `Dry run: would write ${written.ref}; nothing was changed`
          : written.status === 'skipped'
            ? `${written.ref} already holds this candidate release (${written.digest})`
            : `Wrote ${written.ref} (${written.digest})`,
      );
    } finally {
      client.close();
    }
    return;
  }

  let report: PromotionReport;
  try {
    report = await ctx.group(`Promote ${settings.candidate} in ${settings.registry.host}`, () =>
      promote(settings, {
        client,
        env: ctx.env,
        tempDir: ctx.tempDir,
        signal: ctx.signal,
        log: (line) => ctx.info(line),
      }),
    );
  } finally {
    client.close();
  }

  const pick = (statuses: string[]) =>
    report.images
      .filter((i) => statuses.includes(i.status))
      .map(({ name, source, target, digest }) => ({ name, source, target, digest }));
  ctx.setOutput(Outputs.version, report.version);
  ctx.setOutput(Outputs.promoted, pick(report.dryRun ? ['planned'] : ['promoted']));
  ctx.setOutput(Outputs.skipped, pick(['skipped']));
  ctx.setOutput(Outputs.historyEntry, report.history ? JSON.stringify(report.history.entry) : '');
  const artifact = report.releaseArtifact;
  if (artifact && ['promoted', 'skipped', 'planned'].includes(artifact.status))
    ctx.setOutput(Outputs.release, { ref: artifact.ref, digest: artifact.digest });
  await ctx.appendSummary(promotionSummary(report));
  if (!report.complete) throw new JobFailure(incompleteMessage(report));
  const promoted = report.images.filter((i) => i.status === 'promoted' || i.status === 'planned').length;
  const chartsNote = report.charts.length
    ? `, ${report.charts.length} chart(s)${artifact ? ` and the release artifact ${artifact.ref}` : ''}`
    : '';
  ctx.notice(
    report.dryRun
      ? `Dry run: would promote ${promoted} image(s)${chartsNote} to ${report.version}; nothing was changed`
      : `Promoted ${promoted} image(s)${chartsNote} to ${report.version}; ${report.images.length - promoted} already released`,
  );
}
