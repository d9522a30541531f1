/** What the benchmarks share with bench/run.js: its BENCH-ROW line (format there), and the median. */
import os from 'node:os';

/** Prints one measured row for bench/run.js, with the 1-minute load average unless `fields` has one. */
export function emitBenchRow(fields: Record<string, unknown>): void {
  console.log(`BENCH-ROW ${JSON.stringify({ load: Number(os.loadavg()[0].toFixed(2)), ...fields })}`);
}

/** The middle value (the upper of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
