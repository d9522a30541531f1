import { existsSync } from 'node:fs';
import type { ChaosSummary, TempestSummary } from '../lib/history/entry.js';
import { readChaosSummary, readTempestSummary } from '../lib/history/run-summaries.js';
import { Inputs } from './inputs.js';

export interface NightlyReports {
  tempest?: TempestSummary;
  chaos?: ChaosSummary;
}

/**
 * The compact Tempest and chaos summaries for the nightly entry. A report that was named but is not
 * there (the stage did not run: the deployment failed, chaos was off) is left out with a warning; a
 * report that is there but unreadable is the caller's mistake and stops the step.
 */
export async function readNightlyReports(
  files: { tempestResults?: string; chaosReport?: string },
  warn?: (line: string) => void,
): Promise<NightlyReports> {
  const present = (file: string | undefined, input: string) => {
    if (file && !existsSync(file)) warn?.(`Input '${input}': ${file} does not exist; recorded without it`);
    return file && existsSync(file) ? file : undefined;
  };
  const tempest = present(files.tempestResults, Inputs.tempestResults);
  const chaos = present(files.chaosReport, Inputs.chaosReport);
  return {
    ...(tempest ? { tempest: await readTempestSummary(tempest) } : {}),
    ...(chaos ? { chaos: await readChaosSummary(chaos) } : {}),
  };
}
