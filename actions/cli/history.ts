import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../lib/errors.js';
import { formatHistory, parseHistoryTarget, readHistory } from '../lib/history/index.js';
import { loadProfile } from '../lib/profile/load.js';

export interface HistoryOptions {
  profile: string;
  ledger?: string;
  candidate?: string;
  limit?: number;
  format: 'table' | 'markdown' | 'json';
}

/** `taco-ci history`: the ledger a profile's promote.history names (or --ledger), formatted. */
export async function showHistory(options: HistoryOptions): Promise<string> {
  let spec = options.ledger;
  let baseDir = process.cwd();
  if (!spec) {
    const profile = loadProfile(options.profile);
    spec = profile.section<{ history?: string }>('promote')?.history;
    if (!spec)
      throw new UserError(`Profile ${profile.name} (${profile.file}) has no promote.history: pass --ledger`);
    baseDir = path.dirname(profile.file);
  }
  const target = parseHistoryTarget(spec, options.ledger ? '--ledger' : 'promote.history', baseDir);
  // A profile's ledger may not exist yet (nothing recorded); a ledger named on the command line must.
  if (options.ledger && target.kind === 'file' && !existsSync(target.path))
    throw new UserError(`--ledger: ${target.path} does not exist`);
  const entries = (await readHistory(target, { env: process.env })).filter(
    (e) => !options.candidate || e.candidate === options.candidate,
  );
  if (entries.length === 0 && options.format !== 'json') return 'The history has no entries yet.\n';
  return formatHistory(entries, { format: options.format, limit: options.limit });
}
