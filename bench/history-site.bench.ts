/**
 * Dashboard benchmark: `taco-ci history --html` on a large ledger — 1,000 nightly runs of 300
 * images each (new digests every night, as kolla rebuilds them), with Tempest and chaos summaries,
 * and a promotion every 20 nights. Times building the aggregates and rendering/writing the site,
 * and reports the site's size (total and largest page) against the ledger's.
 *
 *   npx tsx bench/history-site.bench.ts [--nights 1000] [--images 300]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { serializeEntry, type HistoryEntry } from '../actions/lib/history/index.js';
import { buildDashboard, writeSite } from '../actions/lib/history/html/index.js';
import { largeLedger } from '../test/history/support/large-ledger.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) || fallback : fallback;
};
const NIGHTS = option('nights', 1000);
const IMAGES = option('images', 300);

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const value = fn();
  return [value, performance.now() - start];
}

const entries: HistoryEntry[] = largeLedger({ nights: NIGHTS, images: IMAGES });
const ledgerBytes = entries.reduce((sum, e) => sum + Buffer.byteLength(serializeEntry(e)), 0);
const [, aggregateMs] = time(() => buildDashboard(entries));
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-history-site-'));
try {
  const start = performance.now();
  const site = await writeSite(entries, dir);
  const siteMs = performance.now() - start;
  const largest = site.files
    .map((f) => ({ f, bytes: statSync(path.join(dir, f)).size }))
    .sort((a, b) => b.bytes - a.bytes)[0];
  const index = statSync(path.join(dir, 'index.html')).size;
  console.log(`ledger: ${entries.length} entries (${NIGHTS} nights × ${IMAGES} images), ${mb(ledgerBytes)}`);
  console.log(`aggregates (buildDashboard): ${aggregateMs.toFixed(0)} ms`);
  console.log(
    `site (aggregates + render + write): ${siteMs.toFixed(0)} ms, ${site.files.length} pages, ${mb(site.bytes)}`,
  );
  console.log(
    `index.html: ${(index / 1024).toFixed(0)} KB; largest page: ${largest.f} ${(largest.bytes / 1024).toFixed(0)} KB`,
  );
  console.log(`site / ledger size: ${(site.bytes / ledgerBytes).toFixed(2)}×`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
