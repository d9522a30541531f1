import { openSync, readSync, closeSync, readFileSync } from 'node:fs';
import { UserError } from '../lib/errors.js';
import { writeInPieces } from '../lib/reports/write-in-pieces.js';
import { SIGNATURE } from '../lib/subunit/packet.js';
import { readSubunitFile } from '../lib/subunit/read.js';
import type { TestResult } from '../lib/subunit/results.js';

/**
 * Previous durations in seconds per test id. Accepted: a Subunit v2 stream of an earlier run
 * (e.g. the `subunit` output of last night), or the JSON this action writes ({"id": seconds, …}).
 */
export async function readTimings(file: string): Promise<Map<string, number>> {
  let first: number;
  try {
    const fd = openSync(file, 'r');
    const byte = Buffer.alloc(1);
    const read = readSync(fd, byte, 0, 1, 0);
    closeSync(fd);
    first = read === 1 ? byte[0] : -1;
  } catch (err) {
    throw new UserError(
      `Input 'timings': cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  if (first === SIGNATURE) {
    const run = await readSubunitFile(file);
    return timingsOf(run.tests);
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(
      `Input 'timings': ${file} is neither a Subunit v2 stream nor JSON (${(err as Error).message})`,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UserError(`Input 'timings': ${file} must hold a JSON object {"test id": seconds}`);
  }
  const timings = new Map<string, number>();
  for (const [id, value] of Object.entries(data)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new UserError(
        `Input 'timings': ${file} key ${JSON.stringify(id)}: expected seconds as a non-negative number, got ${JSON.stringify(value)}`,
      );
    }
    timings.set(id, value);
  }
  return timings;
}

export function timingsOf(tests: readonly TestResult[]): Map<string, number> {
  const timings = new Map<string, number>();
  for (const test of tests) if (test.durationMs !== undefined) timings.set(test.id, test.durationMs / 1000);
  return timings;
}

/** Writes {"id": seconds, …} sorted by id, one entry a line (what `JSON.stringify(…, null, 1)` gives), in pieces. */
export function writeTimings(file: string, tests: readonly TestResult[]): void {
  // Sorted references, not [id, seconds] pairs: one allocation instead of one per test. The sort
  // is stable, so of tests with the same id the last one wins, as in timingsOf's map.
  const timed = tests
    .filter((t) => t.durationMs !== undefined)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const entries = timed.filter((t, i) => i === timed.length - 1 || timed[i + 1].id !== t.id);
  writeInPieces(file, (write) => {
    if (entries.length === 0) return write('{}\n');
    entries.forEach(({ id, durationMs }, i) => {
      const seconds = durationMs! / 1000;
      write(`${i ? ',' : '{'}\n ${JSON.stringify(id)}: ${Math.round(seconds * 1000) / 1000}`);
    });
    write('\n}\n');
  });
}
