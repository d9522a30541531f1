import type { ActionContext } from '../lib/context.js';
import { JobFailure } from '../lib/errors.js';
import { RegistryClient } from '../lib/registry/client.js';
import { Outputs, readInputs } from './inputs.js';
import { recordNightly } from './nightly.js';
import { incompleteMessage, promote, type PromotionReport } from './promote.js';
import { loadOptionalProfile, resolveSettings } from './settings.js';
import { nightlySummary, promotionSummary } from './summary.js';

export async function run(ctx: ActionContext): Promise<void> {
  const inputs = readInputs(ctx);
  // Mask before anything can print them (resolveSettings masks profile-sourced secrets too).
  for (const secret of [inputs.registryPassword, inputs.gitToken, inputs.githubToken])
    if (secret) ctx.setSecret(secret);
  const profile = loadOptionalProfile(inputs.profile, ctx.workspace);
  const settings = resolveSettings(ctx, inputs, profile);
  // Outputs exist even when the promotion stops early, so later steps can read them.
  ctx.setOutput(Outputs.promoted, []);
  ctx.setOutput(Outputs.skipped, []);
  ctx.setOutput(Outputs.historyEntry, '');
  if (settings.mode === 'record-nightly') ctx.setOutput(Outputs.version, '');

  const client = new RegistryClient({
    host: settings.registry.host,
    insecure: settings.insecure,
    credentials: settings.credentials,
    maxConnections: settings.concurrency,
    retry: { retries: settings.retries },
    signal: ctx.signal,
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
      await ctx.appendSummary(nightlySummary(record));
      ctx.notice(
        `${record.status === 'planned' ? 'Dry run: would record' : 'Recorded'} the nightly of ${settings.candidate} as ${record.entry.status} in ${record.target}`,
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
  await ctx.appendSummary(promotionSummary(report));
  if (!report.complete) throw new JobFailure(incompleteMessage(report));
  const promoted = report.images.filter((i) => i.status === 'promoted' || i.status === 'planned').length;
  ctx.notice(
    report.dryRun
      ? `Dry run: would promote ${promoted} image(s) to ${report.version}; nothing was changed`
      : `Promoted ${promoted} image(s) to ${report.version}; ${report.images.length - promoted} already released`,
  );
}
