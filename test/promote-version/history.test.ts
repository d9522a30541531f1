/**
 * The artifact ledger in git (concurrent writers) and promote-version's git side over real smart
 * HTTP with a token (test/support/git-http-server.ts), plus kolla-bats' test results in the ledger.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Git } from '../../actions/lib/git/git.js';
import { appendHistory, type HistoryEntry, readHistory } from '../../actions/lib/history/index.js';
import { startGitHttpServer, type GitHttpServer } from '../support/git-http-server.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { promoteRun, pushCandidates } from './support/world.js';

const TOKEN = 'gitea-token-0123456789';
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
};
const git = (args: string[], cwd?: string) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env }).trim();

let dir: string;
let registry: TestRegistry;
let server: GitHttpServer;
let digest: string;
let tested: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'promote-history-'));
  registry = await startRegistry();
  digest = (await pushCandidates(registry.host, 'taco', ['nightly-1'], { images: ['a'] })).digests[
    'a:nightly-1'
  ];
  for (const repo of ['wrapper', 'ledger']) git(['init', '-q', '--bare', `${repo}.git`], dir);
  git(['-C', path.join(dir, 'wrapper.git'), 'config', 'http.receivepack', 'true']);
  git(['-C', path.join(dir, 'ledger.git'), 'config', 'http.receivepack', 'true']);
  const work = path.join(dir, 'work');
  git(['init', '-q', '-b', 'main', work]);
  git(['commit', '-q', '--allow-empty', '-m', 'tested'], work);
  tested = git(['rev-parse', 'HEAD'], work);
  git(['tag', 'nightly-1'], work);
  git(['push', '-q', path.join(dir, 'wrapper.git'), 'main', 'nightly-1'], work);
  server = await startGitHttpServer({ root: dir, token: TOKEN });
});
afterAll(async () => {
  await server?.stop();
  await registry?.stop();
});

const entry = (n: number): HistoryEntry => ({
  schema: 1,
  kind: 'nightly',
  time: new Date(Date.UTC(2026, 10, 20 + n)).toISOString(),
  status: 'complete',
  candidate: `nightly-${n}`,
  images: [
    { name: 'keystone', ref: `r/taco/keystone:nightly-${n}`, digest: `sha256:${String(n).repeat(64)}` },
  ],
});

describe('artifact ledger in git', () => {
  it('keeps every entry when writers race (push rejected → fetch the new tip and append again)', async () => {
    git(['init', '-q', '--bare', 'race.git'], dir);
    const target = {
      kind: 'git' as const,
      url: path.join(dir, 'race.git'),
      branch: 'audit',
      path: 'nightly/history.jsonl',
    };
    const lines: string[] = [];
    await Promise.all(
      [1, 2, 3].map((n) =>
        appendHistory(target, entry(n), { git: new Git({ env }), log: (l) => lines.push(l) }),
      ),
    );
    const ledger = await readHistory(target, { git: new Git({ env }) });
    expect(ledger.map((e) => e.candidate).sort()).toEqual(['nightly-1', 'nightly-2', 'nightly-3']);
    expect(git(['rev-list', '--count', 'audit'], path.join(dir, 'race.git'))).toBe('3');
    expect(await readHistory({ ...target, branch: 'nope' }, { git: new Git({ env }) })).toEqual([]);
  });
});

/**
 * A German environment for git: the de_DE.UTF-8 locale compiled into a temp dir (LOCPATH), so git
 * prints its translated messages, as on a runner whose LANG is German.
 */
function germanEnv(): Record<string, string | undefined> {
  const locales = path.join(dir, 'locales');
  mkdirSync(locales, { recursive: true });
  execFileSync('localedef', ['-i', 'de_DE', '-f', 'UTF-8', path.join(locales, 'de_DE.UTF-8')]);
  return {
    ...env,
    LOCPATH: locales,
    LANG: 'de_DE.UTF-8',
    LANGUAGE: 'de_DE:de',
    LC_ALL: 'de_DE.UTF-8',
    LC_MESSAGES: 'de_DE.UTF-8',
  };
}

/** A pre-receive hook that holds the first two pushes until both have arrived: one must lose the race. */
function holdFirstTwoPushes(bare: string): void {
  const barrier = path.join(dir, `${path.basename(bare)}-barrier`);
  mkdirSync(barrier);
  const hook = path.join(bare, 'hooks', 'pre-receive');
  writeFileSync(
    hook,
    `#!/bin/sh\ncat >/dev/null\nmkdir '${barrier}/1' 2>/dev/null || mkdir '${barrier}/2' 2>/dev/null || exit 0\n` +
      `i=0; while [ ! -d '${barrier}/2' ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done\n`,
  );
  chmodSync(hook, 0o755);
}

describe('artifact ledger in git, in a German locale', () => {
  it('still recognises a lost append race (git runs in the C locale) and retries it', async () => {
    const german = germanEnv();
    // The environment really makes git speak German: without the C locale the race would not be seen.
    const complaint = spawnSync('git', ['-C', path.join(dir, 'nowhere'), 'status'], {
      env: german,
      encoding: 'utf8',
    }).stderr;
    expect(complaint).toMatch(/Schwerwiegend|Verzeichnis/);

    git(['init', '-q', '--bare', 'race-de.git'], dir);
    const bare = path.join(dir, 'race-de.git');
    holdFirstTwoPushes(bare);
    const target = { kind: 'git' as const, url: bare, branch: 'audit', path: 'history.jsonl' };
    const lines: string[] = [];
    const options = { git: new Git({ env: german }), log: (l: string) => lines.push(l) };
    await Promise.all([1, 2].map((n) => appendHistory(target, entry(n), options)));
    expect((await readHistory(target, options)).map((e) => e.candidate).sort()).toEqual([
      'nightly-1',
      'nightly-2',
    ]);
    expect(lines).toEqual(['history: audit moved while appending; trying again (1/5)']);
  });
});

describe('git over HTTP with a token', () => {
  it('tags and writes the ledger with the token in an HTTP header; never printed; kolla test results recorded', async () => {
    const images = JSON.stringify([
      {
        name: 'a',
        ref: `${registry.host}/taco/candidates/a:nightly-1`,
        digest,
        tests: { passed: 4, failed: 0, skipped: 1 },
      },
    ]);
    const inputs = {
      registry: `${registry.host}/taco`,
      images,
      candidate: 'nightly-1',
      'target-prefix': 'release',
      'git-repos': `${server.url}/wrapper.git`,
      history: `${server.url}/ledger.git#main:promotions.jsonl`,
    };
    const denied = await promoteRun(inputs);
    expect(denied.error?.name).toBe('JobFailure');
    expect(denied.error?.message).toMatch(
      /Nothing was promoted: git repository http:\/\/127\.0\.0\.1:\d+\/wrapper\.git could not be read/,
    );

    const run = await promoteRun({ ...inputs, 'git-token': TOKEN });
    expect(run.error).toBeUndefined();
    expect(git(['rev-parse', '1.0.0^{commit}'], path.join(dir, 'wrapper.git'))).toBe(tested);
    const [recorded] = await readHistory(
      { kind: 'git', url: `${server.url}/ledger.git`, branch: 'main', path: 'promotions.jsonl' },
      { git: new Git({ env, token: TOKEN }) },
    );
    expect(recorded.images).toEqual([
      expect.objectContaining({ name: 'a', digest, tests: { passed: 4, failed: 0, skipped: 1 } }),
    ]);
    expect(recorded.commits).toEqual([
      { repository: `${server.url}/wrapper.git`, commit: tested, tag: '1.0.0' },
    ]);
    const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    expect(server.requests.some((r) => r.authorization === `Basic ${basic}`)).toBe(true);
    for (const out of [denied, run]) {
      const everything = `${out.log}${out.summary}${JSON.stringify(out.outputs)}${out.error?.stack ?? ''}`;
      expect(everything).not.toContain(TOKEN);
      expect(everything).not.toContain(basic);
    }
  });
});
