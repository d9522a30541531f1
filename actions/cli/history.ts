import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../lib/errors.js';
import { Git } from '../lib/git/git.js';
import type { CliHost } from './host.js';
import { formatHistory, type HistoryEntry, parseHistoryTarget, readHistory } from '../lib/history/index.js';
import type { Stage } from '../lib/history/entry.js';
import { buildDashboard, summaryMarkdown, writeSite } from '../lib/history/html/index.js';
import { loadProfile } from '../lib/profile/load.js';

export interface HistoryOptions extends CliHost {
  profile: string;
  ledger?: string;
  candidate?: string;
  limit?: number;
  format: 'table' | 'markdown' | 'json';
}

/** The ledger a profile's promote.history names (or --ledger), every entry (or --candidate's). */
async function readLedger(
  options: Pick<HistoryOptions, 'profile' | 'ledger' | 'candidate' | 'cwd' | 'env'>,
): Promise<{ entries: HistoryEntry[]; requiredStages?: Stage[] }> {
  let spec = options.ledger;
  let baseDir = options.cwd;
  let requiredStages: Stage[] | undefined;
  if (!spec) {
    const profile = loadProfile(options.profile, options.cwd);
    const promote = profile.section<{ history?: string; 'nightly-stages'?: Stage[] }>('promote');
    spec = promote?.history;
    requiredStages = promote?.['nightly-stages'];
    if (!spec)
      throw new UserError(`Profile ${profile.name} (${profile.file}) has no promote.history: pass --ledger`);
    baseDir = path.dirname(profile.file);
  }
  const target = parseHistoryTarget(spec, options.ledger ? '--ledger' : 'promote.history', baseDir);
  // A profile's ledger may not exist yet (nothing recorded); a ledger named on the command line must.
  if (options.ledger && target.kind === 'file' && !existsSync(target.path))
    throw new UserError(`--ledger: ${target.path} does not exist`);
  const entries = (await readHistory(target, { git: new Git({ env: options.env }) })).filter(
    (e) => !options.candidate || e.candidate === options.candidate,
  );
  return { entries, requiredStages };
}

/** `taco-ci history`: the ledger, formatted. */
export async function showHistory(options: HistoryOptions): Promise<string> {
  const { entries, requiredStages } = await readLedger(options);
  if (entries.length === 0 && options.format !== 'json') return 'The history has no entries yet.\n';
  return formatHistory(entries, { format: options.format, limit: options.limit, requiredStages });
}

export interface HistorySiteOptions extends Pick<
  HistoryOptions,
  'profile' | 'ledger' | 'candidate' | 'cwd' | 'env'
> {
  /** Directory the site is written to. */
  html?: string;
  /** Nights in the trend window. */
  window?: number;
  /** Print the Markdown summary (with a Mermaid chart of the last `nights` nights). */
  summary?: boolean;
  nights?: number;
}

/** `taco-ci history --html DIR` / `--summary`: the dashboard site and/or its Markdown summary. */
export async function historySite(options: HistorySiteOptions): Promise<string> {
  const { entries } = await readLedger(options);
  const out: string[] = [];
  if (options.html) {
    const site = await writeSite(entries, path.resolve(options.cwd, options.html), {
      window: options.window,
    });
    out.push(
      `Wrote the dashboard of ${entries.length} ledger entries to ${site.dir}: ${site.files.length} pages, ${Math.ceil(site.bytes / 1024)} KB (open index.html)\n`,
    );
    if (options.summary) out.push(summaryMarkdown(site.dashboard, { nights: options.nights }));
  } else if (options.summary) {
    out.push(
      summaryMarkdown(buildDashboard(entries, { window: options.window }), { nights: options.nights }),
    );
  }
  return out.join('\n');
}
