import type { ActionContext } from '../lib/context.js';
import { JobFailure } from '../lib/errors.js';
import { basicCredential } from '../lib/git/auth.js';
import { RegistryClient } from '../lib/registry/client.js';
import { candidateRelease } from './candidate-release.js';
import { historySiteMode } from './history-site.js';
import { Outputs, readInputs } from './inputs.js';
import { recordNightly } from './nightly.js';
import { incompleteMessage, promote, type PromotionDeps, type PromotionReport } from './promote.js';
import { loadOptionalProfile, type PromoteSettings, resolveSettings } from './settings.js';
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
    // Each image in flight mounts its blobs at once: room for them, on keep-alive connections.
    maxConnections: settings.concurrency * 4,
    retry: { retries: settings.retries },
    signal: ctx.signal,
    env: ctx.env,
    log: (line) => ctx.info(`registry: ${line}`),
  });
  const deps = {
    client,
    env: ctx.env,
    tempDir: ctx.tempDir,
    signal: ctx.signal,
    log: (line: string) => ctx.info(line),
    warn: (line: string) => ctx.warning(line),
  };
  const mode = MODES[settings.mode as RegistryMode];
  try {
    await mode(ctx, settings, deps);
  } finally {
    client.close();
  }
}

type ModeDeps = PromotionDeps & { warn: (line: string) => void };
type ModeRun = (ctx: ActionContext, settings: PromoteSettings, deps: ModeDeps) => Promise<void>;
type RegistryMode = Exclude<PromoteSettings['mode'], 'history-site'>;

/** Each registry mode: its work in a log group, then its outputs, summary and notice. */
const MODES: Record<RegistryMode, ModeRun> = {
  'record-nightly': async (ctx, settings, deps) => {
    const record = await ctx.group(`Record the nightly of ${settings.candidate}`, () =>
      recordNightly(settings, deps),
    );
    ctx.setOutput(Outputs.historyEntry, JSON.stringify(record.entry));
    ctx.setOutput(Outputs.nightlyStatus, record.entry.status);
    await ctx.appendSummary(nightlySummary(record));
    ctx.notice(
      `${record.status === 'planned' ? 'Dry run: would record' : 'Recorded'} the nightly of ${settings.candidate} as ${record.entry.status} in ${record.target}`,
    );
  },
  'candidate-release': async (ctx, settings, deps) => {
    const written = await ctx.group(`Candidate release ${settings.candidate}`, () =>
      candidateRelease(settings, deps),
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
  },
  promote: async (ctx, settings, deps) => {
    const report = await ctx.group(`Promote ${settings.candidate} in ${settings.registry.host}`, () =>
      promote(settings, deps),
    );
    reportPromotion(ctx, report);
    await ctx.appendSummary(promotionSummary(report));
    if (!report.complete) throw new JobFailure(incompleteMessage(report));
    ctx.notice(promotionNotice(report));
  },
};

function reportPromotion(ctx: ActionContext, report: PromotionReport): void {
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
}

function promotionNotice(report: PromotionReport): string {
  const artifact = report.releaseArtifact;
  const promoted = report.images.filter((i) => i.status === 'promoted' || i.status === 'planned').length;
  const chartsNote = report.charts.length
    ? `, ${report.charts.length} chart(s)${artifact ? ` and the release artifact ${artifact.ref}` : ''}`
    : '';
  return report.dryRun
    ? `Dry run: would promote ${promoted} image(s)${chartsNote} to ${report.version}; nothing was changed`
    : `Promoted ${promoted} image(s)${chartsNote} to ${report.version}; ${report.images.length - promoted} already released`;
}
