/**
 * The dashboard generator on a ledger the real actions wrote (see support/ledger-world.ts): the
 * aggregates, the pages, determinism, `taco-ci history --html/--summary` and the action's mode
 * history-site through the Node 24 bundle.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDashboard,
  renderSite,
  summaryMarkdown,
  writeSite,
} from '../../actions/lib/history/html/index.js';
import { runAction } from '../harness/run-action.js';
import { type Browser, launchChromium } from '../support/chromium.js';
import { taco } from '../support/taco-cli.js';
import { largeLedger } from './support/large-ledger.js';
import { buildLedgerWorld, type LedgerWorld, NIGHTS } from './support/ledger-world.js';
import { TEST_PREFIX } from './support/nightly-reports.js';

let world: LedgerWorld;
beforeAll(async () => {
  world = await buildLedgerWorld();
}, 600_000);
afterAll(async () => {
  await world?.stop();
});

const RESIZE = `${TEST_PREFIX}ServersTest.test_resize_server`;
const REBOOT = `${TEST_PREFIX}ServersTest.test_reboot_server`;

describe('the ledger the actions wrote', () => {
  it('has every night with its profile and compact Tempest and chaos summaries, and both promotions', () => {
    const { entries } = world;
    expect(entries.map((e) => [e.kind, e.candidate, e.status, e.version ?? ''])).toEqual([
      ['nightly', 'nightly-1', 'passed', ''],
      ['nightly', 'nightly-1', 'failed', ''],
      ['promotion', 'nightly-1', 'complete', '1.0.0'],
      ['nightly', 'nightly-2', 'failed', ''],
      ['nightly', 'nightly-3', 'passed', ''],
      ['promotion', 'nightly-3', 'complete', '2.0.0'],
      ['nightly', 'nightly-3', 'failed', ''],
    ]);
    const last = entries[6];
    expect(last.profile).toBe('fixture-dev');
    expect(last.tempest).toMatchObject({ passed: 2, failed: 2, skipped: 1, failures: [REBOOT, RESIZE] });
    expect(entries[3].chaos).toMatchObject({ passed: false, kills: 3 });
    // compact: no traceback, no timeline
    expect(JSON.stringify(entries)).not.toMatch(/Traceback|failed tonight|timeline/);
  });
});

describe('buildDashboard', () => {
  it('gives each nightly its stage verdicts, run link and why it can or cannot promote', () => {
    const [profile] = buildDashboard(world.entries).profiles;
    expect(profile.profile).toBe('fixture-dev');
    const rows = profile.nightlies.slice().reverse();
    expect(rows.map((r) => r.runUrl)).toEqual(
      NIGHTS.map((n) => `https://github.example/taco/ci/actions/runs/${n.runId}`),
    );
    expect(rows.map((r) => [r.stages.deploy, r.stages.tempest, r.stages.chaos])).toEqual([
      ['passed', 'passed', 'passed'],
      ['passed', 'failed', 'passed'],
      ['passed', 'passed', 'failed'],
      ['passed', 'passed', 'passed'],
      ['passed', 'failed', 'passed'],
    ]);
    expect(rows.map((r) => r.promote)).toEqual([
      { can: true, why: 'promoted as 1.0.0' },
      { can: false, why: 'the run failed; tempest failed' },
      { can: false, why: 'the run failed; chaos failed' },
      { can: true, why: 'promoted as 2.0.0' },
      { can: false, why: 'the run failed; tempest failed' },
    ]);
  });

  it('finds the flaky test, the new failures since the last passing night, and the failed chaos night', () => {
    const [profile] = buildDashboard(world.entries).profiles;
    expect(profile.tempest.map((t) => t.failed)).toEqual([0, 1, 0, 0, 2]);
    expect(profile.flaky).toEqual([
      { id: RESIZE, failedNights: 2, observedNights: 5, failRate: 0.4, lastFailed: world.entries[6].time },
    ]);
    expect(profile.lastPassing).toBe(world.entries[4].time);
    expect(profile.newFailures.map((f) => [f.id, f.nights, f.runUrl])).toEqual([
      [REBOOT, 1, 'https://github.example/taco/ci/actions/runs/105'],
      [RESIZE, 1, 'https://github.example/taco/ci/actions/runs/105'],
    ]);
    expect(profile.chaos.map((c) => [c.passed, c.kills, c.maxRecoverySeconds])).toEqual([
      [true, 3, 8],
      [true, 3, 8],
      [false, 3, 3.9],
      [true, 3, 8],
      [true, 3, 8],
    ]);
  });

  it('lists both releases with their bill of materials and the diff of 2.0.0 to 1.0.0', () => {
    const { releases, summary } = buildDashboard(world.entries);
    expect(releases.map((r) => r.version)).toEqual(['2.0.0', '1.0.0']);
    expect(summary.lastRelease?.version).toBe('2.0.0');
    const [second, first] = releases;
    expect(first.diff).toBeUndefined();
    expect(second.images.map((i) => i.name)).toEqual(first.images.map((i) => i.name));
    expect(second.charts.map((c) => c.name).sort()).toEqual(['glance', 'keystone']);
    expect(second.diff).toMatchObject({ from: '1.0.0', to: '2.0.0', unchanged: 0 });
    expect(second.diff!.artifacts.map((a) => [a.kind, a.name, a.change])).toEqual([
      ['image', 'candidates/a', 'changed'],
      ['image', 'candidates/b', 'changed'],
      ['chart', 'glance', 'changed'],
      ['chart', 'keystone', 'changed'],
    ]);
    const glance = second.diff!.artifacts.find((a) => a.name === 'glance')!;
    expect(glance.before?.version).not.toBe(glance.after?.version);
  });

  it('traces each candidate to the nightlies that deployed it and the release it became', () => {
    const { lineage } = buildDashboard(world.entries);
    expect(lineage.map((l) => [l.candidate, l.nightlies.map((n) => n.status), l.releases])).toEqual([
      ['nightly-3', ['passed', 'failed'], ['2.0.0']],
      ['nightly-2', ['failed'], []],
      ['nightly-1', ['passed', 'failed'], ['1.0.0']],
    ]);
    // What the first nightly deployed: its images and its charts, by digest.
    const nightly1 = [...world.entries[0].images, ...(world.entries[0].charts ?? [])].map((a) => a.digest);
    expect(lineage[2].artifacts.map((a) => a.digest)).toEqual(nightly1);
  });
});

describe('the site', () => {
  it('is the same bytes for the same ledger, and holds no reference to anything outside it', () => {
    const a = renderSite(world.entries).pages;
    const b = renderSite(JSON.parse(JSON.stringify(world.entries))).pages;
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [name, html] of a) {
      expect(html).toBe(b.get(name));
      // no src/href to another host except links to runs; no external script, style or font
      expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
      expect(html).not.toMatch(/@import|url\((?!#)/);
      expect(html).toContain('Content-Security-Policy" content="default-src \'none\'');
    }
  });

  it('pages a large ledger by window, and a rewrite drops pages that are no longer there', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'history-pages-'));
    const big = await writeSite(largeLedger({ nights: 250, images: 3 }), dir, {
      pageSize: 100,
      lineagePageSize: 100,
    });
    expect(big.files).toEqual([
      'index.html',
      'lineage-1.html',
      'lineage-2.html',
      'lineage-3.html',
      'nightlies-dev-1.html',
      'nightlies-dev-2.html',
      'nightlies-dev-3.html',
      'releases.html',
    ]);
    const second = readFileSync(path.join(dir, 'nightlies-dev-2.html'), 'utf8');
    expect(second).toContain('Page 2 of 3');
    expect((second.match(/<tr><th scope="row">/g) ?? []).length).toBe(100);
    const small = await writeSite(world.entries, dir);
    expect(readdirSync(dir).sort()).toEqual(small.files);
  });

  it('has a Markdown summary with a Mermaid chart of the last nights', () => {
    const markdown = summaryMarkdown(buildDashboard(world.entries), { nights: 3 });
    expect(markdown).toContain('| fixture-dev | nightly-3 |');
    expect(markdown).toContain('Last release: **2.0.0** from nightly-3');
    expect(markdown).toMatch(
      /```mermaid\nxychart-beta\n {2}title "Tempest, last 3 nights \(fixture-dev\)[^\n]*\n {2}x-axis \[[^\]]+\]\n {2}y-axis "tests"\n {2}bar \[4, 4, 2\]\n {2}line \[0, 0, 2\]\n```/,
    );
    expect(markdown).toContain(`New Tempest failures on fixture-dev: \`${REBOOT}\`, \`${RESIZE}\``);
  });
});

describe('taco-ci history --html and mode history-site', () => {
  it('taco-ci writes the site and prints the summary', () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'history-cli-')), 'site');
    const run = taco(['history', '--ledger', world.ledger, '--html', dir, '--summary', '--nights', '5']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Wrote the dashboard of 7 ledger entries to ${dir}: 4 pages`);
    expect(run.stdout).toContain('```mermaid');
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toBe(
      renderSite(world.entries).pages.get('index.html'),
    );
  });

  it('taco-ci refuses a bad --window', () => {
    const run = taco(['history', '--ledger', world.ledger, '--html', os.tmpdir(), '--window', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('expected a whole number above 0, got "0"');
  });

  it('the bundle on Node 24 writes the site from the profile’s ledger and the summary to the job summary', async () => {
    const run = await runAction('promote-version', {
      node: '24',
      inputs: { profile: world.profile, mode: 'history-site', 'site-dir': 'dashboard' },
      cwd: world.dir,
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs.site).toBe(path.join(world.dir, 'dashboard'));
    expect(readdirSync(run.outputs.site).sort()).toEqual([
      'index.html',
      'lineage-1.html',
      'nightlies-fixture-dev-1.html',
      'releases.html',
    ]);
    expect(run.summary).toContain('### Artifact history');
    expect(run.summary).toContain('xychart-beta');
  });
});

describe('in a real browser (Debian chromium, headless, from file://)', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'history-browser-'));
    await writeSite(world.entries, dir);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens a page; returns its visible text, console errors and every request that was not file://. */
  async function open(name: string, query = '') {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    const outside: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file://')) outside.push(r.url());
    });
    await page.goto(`file://${path.join(dir, name)}${query}`, { waitUntil: 'load' });
    return { page, errors, outside, text: await page.locator('body').innerText() };
  }

  it('renders every page with no console error and no request leaving file://', async () => {
    for (const name of readdirSync(dir).sort()) {
      const { page, errors, outside } = await open(name);
      expect({ name, errors, outside }).toEqual({ name, errors: [], outside: [] });
      await page.close();
    }
  });

  it('shows every nightly, release and flaky test of the ledger', async () => {
    const index = await open('index.html');
    expect(index.text).toContain('Flaky tests');
    expect(index.text).toContain(RESIZE);
    expect(index.text).toContain(REBOOT); // a new failure
    expect(await index.page.getByRole('img', { name: 'Tempest tests per night' }).count()).toBe(1);
    if (process.env.TACO_SCREENSHOT) await index.page.screenshot({ path: process.env.TACO_SCREENSHOT });
    await index.page.close();

    const timeline = await open('nightlies-fixture-dev-1.html');
    for (const [i, entry] of world.entries.entries()) {
      if (entry.kind !== 'nightly') continue;
      const row = timeline.page.locator('tr', { has: timeline.page.locator(`#night-${i}`) });
      await expect(row.count()).resolves.toBe(1);
      await expect(row.locator('a', { hasText: 'run' }).getAttribute('href')).resolves.toBe(entry.runUrl);
      await expect(row.innerText()).resolves.toContain(entry.candidate);
    }
    await timeline.page.close();

    const releases = await open('releases.html');
    for (const version of ['1.0.0', '2.0.0'])
      expect(await releases.page.getByRole('heading', { name: version }).count()).toBe(1);
    expect(releases.text).toContain('Changes from 1.0.0 to 2.0.0');
    await releases.page.close();
  });

  it('searches the lineage by candidate, release or pasted digest', async () => {
    const digest = world.entries[3].images[0].digest; // nightly-2's image a
    const lineage = await open('lineage-1.html', `?q=${encodeURIComponent(digest)}`);
    await expect(lineage.page.locator('#search-count').innerText()).resolves.toBe('1 of 3 candidates shown');
    await expect(lineage.page.locator('tbody tr:not([hidden]) th').innerText()).resolves.toBe('nightly-2');
    await lineage.page.fill('#search', '2.0.0');
    await expect(lineage.page.locator('tbody tr:not([hidden]) th').innerText()).resolves.toBe('nightly-3');
    await lineage.page.fill('#search', '');
    await expect(lineage.page.locator('#search-count').innerText()).resolves.toBe('3 of 3 candidates shown');
    await lineage.page.close();
  });
});
