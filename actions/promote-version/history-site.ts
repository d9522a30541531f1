/**
 * `mode: history-site`: reads the artifact ledger and writes the dashboard (a self-contained static
 * site) to `site-dir`, with its Markdown summary in the job summary. Changes nothing anywhere else,
 * so it needs no registry: the reusable workflows run it after record-nightly and each promotion.
 */
import path from 'node:path';
import type { ActionContext } from '../lib/context.js';
import { UserError } from '../lib/errors.js';
import { summaryMarkdown, writeSite } from '../lib/history/html/index.js';
import { readHistory } from '../lib/history/store.js';
import { describeHistoryTarget, parseHistoryTarget } from '../lib/history/target.js';
import type { Profile } from '../lib/profile/load.js';
import { gitOptions } from './git-tags.js';
import { Inputs, Outputs, type PromoteInputs } from './inputs.js';
import type { PromoteSection } from './settings.js';

export async function historySiteMode(
  ctx: ActionContext,
  inputs: PromoteInputs,
  profile: Profile | undefined,
): Promise<void> {
  const spec = inputs.history || profile?.section<PromoteSection>('promote')?.history;
  if (!spec)
    throw new UserError(
      `Mode history-site reads the artifact ledger, but none is configured: set input '${Inputs.history}' or promote.history in the profile${profile ? ` (${profile.file})` : ''}`,
    );
  const target = parseHistoryTarget(
    spec,
    inputs.history ? `Input '${Inputs.history}'` : `${profile!.file}: promote.history`,
    inputs.history || !profile ? ctx.workspace : path.dirname(profile.file),
  );
  const entries = await readHistory(
    target,
    gitOptions(inputs.gitToken || undefined, {
      env: ctx.env,
      tempDir: ctx.tempDir,
      signal: ctx.signal,
      log: (l) => ctx.info(l),
    }),
  );
  const dir = path.resolve(ctx.workspace, inputs.siteDir);
  const site = await ctx.group(`Write the dashboard of ${describeHistoryTarget(target)}`, () =>
    writeSite(entries, dir),
  );
  ctx.info(`${site.files.length} pages, ${Math.ceil(site.bytes / 1024)} KB: ${site.files.join(', ')}`);
  ctx.setOutput(Outputs.site, site.dir);
  await ctx.appendSummary(summaryMarkdown(site.dashboard));
  ctx.notice(`Wrote the dashboard of ${entries.length} ledger entries to ${site.dir}`);
}
