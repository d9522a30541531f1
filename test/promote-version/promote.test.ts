/**
 * promote-version through run() against a real docker-registry on 127.0.0.1, with candidates
 * pushed by skopeo (OCI layout, docker-archive, a two-platform OCI index). Each test releases into
 * its own target prefix, so they share the candidates but not the release repositories.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Git } from '../../actions/lib/git/git.js';
import { readHistory } from '../../actions/lib/history/index.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { drop, type FaultyProxy, startFaultyProxy, status } from '../support/faulty-proxy.js';
import { type FakeGitHub, startFakeGitHub } from './fakes/github-releases.js';
import {
  type Candidates,
  promoteRun,
  pushCandidates,
  servedDigest,
  tagsOf,
  writeProfile,
} from './support/world.js';

let registry: TestRegistry;
let candidates: Candidates;
let dir: string;
const images = 'candidates/a\ncandidates/b\ncandidates/multi';
const digestsOf = (tag: string) => ['a', 'b', 'multi'].map((i) => candidates.digests[`${i}:${tag}`]);

beforeAll(async () => {
  registry = await startRegistry();
  dir = mkdtempSync(path.join(os.tmpdir(), 'promote-test-'));
  candidates = await pushCandidates(registry.host, 'taco', ['nightly-1', 'nightly-2']);
  Object.assign(
    candidates.digests,
    (await pushCandidates(registry.host, 'taco', ['nightly-3'], { images: ['a'] })).digests,
  );
});

afterAll(async () => {
  await registry?.stop();
});

async function releasedDigests(prefix: string, version: string) {
  return Promise.all(
    ['a', 'b', 'multi'].map((i) => servedDigest(registry.host, `taco/${prefix}/${i}`, version)),
  );
}

describe('promotion in a real registry', () => {
  it('releases 1.0.0 first, then 2.0.0; a re-run is a no-op; an explicit version is used as given', async () => {
    const history = path.join(dir, 'rel1-history.jsonl');
    const base = { registry: `${registry.host}/taco`, images, 'target-prefix': 'rel1', history };

    const first = await promoteRun({ ...base, candidate: 'nightly-1' });
    expect(first.error).toBeUndefined();
    expect(first.outputs.version).toBe('1.0.0');
    expect(
      JSON.parse(first.outputs.promoted)
        .map((p: { name: string }) => p.name)
        .sort(),
    ).toEqual(['candidates/a', 'candidates/b', 'candidates/multi']);
    expect(JSON.parse(first.outputs.skipped)).toEqual([]);
    // byte-for-byte: the release tags serve exactly the candidates' digests (docker v2, OCI manifest, OCI index)
    expect(await releasedDigests('rel1', '1.0.0')).toEqual(digestsOf('nightly-1'));
    expect(first.summary).toContain('Promotion: nightly-1 → 1.0.0');

    const again = await promoteRun({ ...base, candidate: 'nightly-1' });
    expect(again.error).toBeUndefined();
    expect(again.outputs.version).toBe('1.0.0');
    expect(JSON.parse(again.outputs.promoted)).toEqual([]);
    expect(JSON.parse(again.outputs.skipped)).toHaveLength(3);
    expect(again.log).toContain('already holds exactly these candidates');

    const second = await promoteRun({ ...base, candidate: 'nightly-2' });
    expect(second.error).toBeUndefined();
    expect(second.outputs.version).toBe('2.0.0');
    expect(await releasedDigests('rel1', '2.0.0')).toEqual(digestsOf('nightly-2'));
    expect(await releasedDigests('rel1', '1.0.0')).toEqual(digestsOf('nightly-1'));

    const explicit = await promoteRun({ ...base, candidate: 'nightly-1', version: '7.0.0' });
    expect(explicit.error).toBeUndefined();
    expect(explicit.outputs.version).toBe('7.0.0');
    expect(await tagsOf(registry.host, 'taco/rel1/a')).toEqual(['1.0.0', '2.0.0', '7.0.0']);

    const ledger = await readHistory({ kind: 'file', path: history });
    // the no-op re-run recorded nothing new
    expect(ledger.map((e) => [e.version, e.candidate, e.status])).toEqual([
      ['1.0.0', 'nightly-1', 'complete'],
      ['2.0.0', 'nightly-2', 'complete'],
      ['7.0.0', 'nightly-1', 'complete'],
    ]);
    expect(ledger[0].images.map((i) => `${i.ref}@${i.digest}`).sort()).toEqual(
      ['a', 'b', 'multi'].map(
        (i) => `${registry.host}/taco/rel1/${i}:1.0.0@${candidates.digests[`${i}:nightly-1`]}`,
      ),
    );
    expect(ledger[0].images.map((i) => i.ref).sort()).toEqual(
      ['a', 'b', 'multi'].map((i) => `${registry.host}/taco/rel1/${i}:1.0.0`),
    );
    expect(JSON.parse(second.outputs['history-entry'])).toEqual(ledger[1]);
  });

  it('refuses a release tag that exists with another digest, and changes nothing', async () => {
    const base = { registry: `${registry.host}/taco`, images, 'target-prefix': 'rel2' };
    expect((await promoteRun({ ...base, candidate: 'nightly-1' })).outputs.version).toBe('1.0.0');
    const clash = await promoteRun({ ...base, candidate: 'nightly-2', version: '1.0.0' });
    expect(clash.error?.name).toBe('JobFailure');
    expect(clash.error?.message).toMatch(
      /Nothing was promoted: release tags are immutable and 1\.0\.0 is taken/,
    );
    expect(clash.error?.message).toContain(
      `${registry.host}/taco/rel2/a:1.0.0 already exists with digest ${candidates.digests['a:nightly-1']}`,
    );
    expect(await releasedDigests('rel2', '1.0.0')).toEqual(digestsOf('nightly-1'));
  });

  it('promotes nothing when one candidate is missing', async () => {
    const run = await promoteRun({
      registry: `${registry.host}/taco`,
      images,
      candidate: 'nightly-3',
      'target-prefix': 'rel3',
    });
    expect(run.error?.name).toBe('JobFailure');
    expect(run.error?.message).toMatch(
      /Nothing was promoted: 2 of 3 candidate image\(s\) could not be verified/,
    );
    expect(run.error?.message).toContain(
      `candidates/b: ${registry.host}/taco/candidates/b:nightly-3 does not exist`,
    );
    expect(await tagsOf(registry.host, 'taco/rel3/a')).toEqual([]);
    expect(run.outputs.promoted).toBe('[]');
  });

  it("takes kolla-bats' images JSON and checks each recorded digest", async () => {
    const kolla = (digest: string) =>
      JSON.stringify([
        {
          name: 'a',
          ref: `${registry.host}/taco/candidates/a:nightly-1`,
          digest,
          tests: { passed: 2, failed: 0 },
        },
        {
          name: 'b',
          ref: `${registry.host}/taco/candidates/b:nightly-1`,
          digest: candidates.digests['b:nightly-1'],
          tests: { passed: 1, failed: 0 },
        },
      ]);
    // a digest that is not in the candidate's repository (b's): refused, nothing promoted
    const wrong = await promoteRun({
      registry: `${registry.host}/taco`,
      images: kolla(candidates.digests['b:nightly-2']),
      'target-prefix': 'rel4',
    });
    expect(wrong.error?.message).toContain(
      `a: ${registry.host}/taco/candidates/a@${candidates.digests['b:nightly-2']} does not exist`,
    );
    expect(await tagsOf(registry.host, 'taco/rel4/b')).toEqual([]);

    const right = await promoteRun({
      registry: `${registry.host}/taco`,
      images: kolla(candidates.digests['a:nightly-1']),
      'target-prefix': 'rel4',
    });
    expect(right.error).toBeUndefined();
    expect(JSON.parse(right.outputs.promoted)).toEqual([
      {
        name: 'a',
        source: `${registry.host}/taco/candidates/a@${candidates.digests['a:nightly-1']}`,
        target: `${registry.host}/taco/rel4/a:1.0.0`,
        digest: candidates.digests['a:nightly-1'],
      },
      {
        name: 'b',
        source: `${registry.host}/taco/candidates/b@${candidates.digests['b:nightly-1']}`,
        target: `${registry.host}/taco/rel4/b:1.0.0`,
        digest: candidates.digests['b:nightly-1'],
      },
    ]);
    expect(JSON.parse(right.outputs['history-entry'] || 'null')).toBeNull();
  });

  it('tags within the candidate repository when there is no target prefix', async () => {
    const run = await promoteRun({
      registry: `${registry.host}/taco`,
      images: 'candidates/multi',
      candidate: 'nightly-2',
      version: '3.0.0',
    });
    expect(run.error).toBeUndefined();
    expect(await servedDigest(registry.host, 'taco/candidates/multi', '3.0.0')).toBe(
      candidates.digests['multi:nightly-2'],
    );
  });

  it('bad input is a UserError naming the input, before any request', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { images, candidate: 'nightly-1', version: 'v2' },
        /Input 'version': expected next-major or a release version X\.Y\.Z/,
      ],
      [{ images }, /Input 'candidate' is required when Input 'images' lists image names/],
      [
        { images, candidate: 'nightly-1', 'github-release': 'maybe' },
        /Input 'github-release': expected true, false or owner\/repo/,
      ],
      [
        { images, candidate: 'nightly-1', 'registry-username': 'ci' },
        /need both registry-username and registry-password/,
      ],
      [
        { images, candidate: 'nightly-1', history: 'https://git.example/l.git' },
        /Input 'history': a git ledger is written/,
      ],
    ];
    for (const [inputs, message] of cases) {
      const run = await promoteRun({ registry: `${registry.host}/taco`, ...inputs });
      expect(run.error?.name, JSON.stringify(inputs)).toBe('UserError');
      expect(run.error?.message).toMatch(message);
    }
  });

  it('dry-run verifies and plans but changes nothing', async () => {
    const history = path.join(dir, 'dry.jsonl');
    const run = await promoteRun({
      registry: `${registry.host}/taco`,
      images,
      candidate: 'nightly-1',
      'target-prefix': 'rel6',
      history,
      'dry-run': 'true',
    });
    expect(run.error).toBeUndefined();
    expect(run.outputs.version).toBe('1.0.0');
    expect(JSON.parse(run.outputs.promoted)).toHaveLength(3);
    expect(JSON.parse(run.outputs['history-entry']).status).toBe('complete');
    expect(run.summary).toContain('Promotion plan (dry run)');
    expect(await tagsOf(registry.host, 'taco/rel6/a')).toEqual([]);
    expect(existsSync(history)).toBe(false);
  });
});

describe('a registry failing midway (faulty proxy)', () => {
  let proxy: FaultyProxy;
  beforeAll(async () => {
    proxy = await startFaultyProxy(registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('reports exactly what was and was not promoted; a re-run completes the same version', async () => {
    const profile = writeProfile(mkdtempSync(path.join(dir, 'p-')), `${proxy.host}/taco`, {
      retries: 1,
      'target-prefix': 'rel5',
    });
    const history = path.join(dir, 'rel5.jsonl');
    proxy.setRules([
      { method: 'PUT', path: /\/v2\/taco\/rel5\/b\/manifests\/1\.0\.0$/, action: status(500) },
    ]);
    const broken = await promoteRun({ profile, images, candidate: 'nightly-1', history });
    expect(broken.error?.name).toBe('JobFailure');
    const message = broken.error!.message;
    expect(message).toContain('Promotion of nightly-1 to 1.0.0 is incomplete.');
    expect(message).toMatch(new RegExp(`Released \\(2/3\\): .*${proxy.host}/taco/rel5/a:1\\.0\\.0`));
    expect(message).toMatch(
      new RegExp(`NOT promoted \\(1\\):\\n  - ${proxy.host}/taco/rel5/b:1\\.0\\.0: manifest .*HTTP 500`),
    );
    expect(message).toContain('Re-run the same promotion (version 1.0.0)');
    expect(
      JSON.parse(broken.outputs.promoted)
        .map((p: { name: string }) => p.name)
        .sort(),
    ).toEqual(['candidates/a', 'candidates/multi']);
    expect(await tagsOf(registry.host, 'taco/rel5/b')).toEqual([]);

    proxy.setRules([]);
    const rerun = await promoteRun({ profile, images, candidate: 'nightly-1', history });
    expect(rerun.error).toBeUndefined();
    expect(rerun.outputs.version).toBe('1.0.0');
    expect(JSON.parse(rerun.outputs.promoted).map((p: { name: string }) => p.name)).toEqual(['candidates/b']);
    expect(JSON.parse(rerun.outputs.skipped)).toHaveLength(2);
    expect(await releasedDigests('rel5', '1.0.0')).toEqual(digestsOf('nightly-1'));
    const ledger = await readHistory({ kind: 'file', path: history });
    expect(ledger.map((e) => [e.version, e.status, e.images.length])).toEqual([
      ['1.0.0', 'partial', 2],
      ['1.0.0', 'complete', 3],
    ]);
    expect(ledger[0].details?.notPromoted).toEqual([expect.objectContaining({ name: 'candidates/b' })]);
  });

  it('rides out 429 with Retry-After, 5xx and dropped connections', async () => {
    const profile = writeProfile(mkdtempSync(path.join(dir, 'p-')), `${proxy.host}/taco`, {
      retries: 3,
      'target-prefix': 'rel7',
    });
    proxy.setRules([
      { method: 'GET', path: /\/manifests\//, action: status(429, { 'retry-after': '1' }), times: 1 },
      { method: 'POST', path: /\/blobs\/uploads\/\?mount=/, action: drop, times: 2 },
      { method: 'PUT', path: /\/manifests\/1\.0\.0$/, action: status(503), times: 1 },
      { method: 'GET', path: /\/rel7\/.*\/tags\/list/, action: status(502), skip: 1, times: 1 },
    ]);
    const before = proxy.requests.length;
    const run = await promoteRun({ profile, images, candidate: 'nightly-2' });
    proxy.setRules([]);
    expect(run.error).toBeUndefined();
    expect(await releasedDigests('rel7', '1.0.0')).toEqual(digestsOf('nightly-2'));
    const faults = proxy.requests
      .slice(before)
      .filter((r) => r.faulted)
      .map((r) => r.outcome);
    expect(faults.sort()).toEqual([429, 502, 503, 'dropped', 'dropped'].sort());
    expect(run.log).toMatch(/HTTP 429; retry 1\/3 in 1000 ms/);
    expect(run.log).toMatch(/(ECONNRESET|socket hang up|other side closed \(UND_ERR_SOCKET\)); retry 1\/3/);
  });
});

describe('git tags, GitHub release and a git ledger', () => {
  let github: FakeGitHub;
  let gitDir: string;
  const git = (args: string[], cwd?: string) =>
    execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    }).trim();
  const commits: Record<string, string> = {};

  beforeAll(async () => {
    github = await startFakeGitHub({ token: 'ghs_faketoken123', repository: 'taco/taco-release' });
    gitDir = mkdtempSync(path.join(dir, 'git-'));
    for (const repo of ['wrapper', 'manifests', 'ledger'])
      git(['init', '-q', '--bare', `${repo}.git`], gitDir);
    const work = path.join(gitDir, 'work');
    git(['init', '-q', '-b', 'main', work]);
    git(['commit', '-q', '--allow-empty', '-m', 'tested'], work);
    commits.tested = git(['rev-parse', 'HEAD'], work);
    git(['tag', 'nightly-1'], work);
    git(['commit', '-q', '--allow-empty', '-m', 'later'], work);
    commits.later = git(['rev-parse', 'HEAD'], work);
    for (const repo of ['wrapper', 'manifests'])
      git(['push', '-q', path.join(gitDir, `${repo}.git`), 'main', 'nightly-1'], work);
  });
  afterAll(async () => {
    await github?.stop();
  });

  it('tags each repository at the candidate commit, publishes the release and appends the ledger; re-run changes nothing', async () => {
    const inputs = {
      registry: `${registry.host}/taco`,
      images,
      candidate: 'nightly-1',
      'target-prefix': 'rel8',
      'git-repos': `${gitDir}/wrapper.git\n${gitDir}/manifests.git#${commits.later}`,
      'github-release': 'taco/taco-release',
      'github-token': 'ghs_faketoken123',
      history: `${gitDir}/ledger.git#main:promotions.jsonl`,
    };
    const env = {
      GITHUB_API_URL: github.apiUrl,
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_REPOSITORY: 'taco/ci',
      GITHUB_RUN_ID: '42',
    };
    const run = await promoteRun(inputs, env);
    expect(run.error).toBeUndefined();
    expect(git(['cat-file', '-t', '1.0.0'], `${gitDir}/wrapper.git`)).toBe('tag');
    expect(git(['rev-parse', '1.0.0^{commit}'], `${gitDir}/wrapper.git`)).toBe(commits.tested);
    expect(git(['rev-parse', '1.0.0^{commit}'], `${gitDir}/manifests.git`)).toBe(commits.later);
    const release = github.releases.get('1.0.0')!;
    expect(release.body).toContain(
      `| \`${registry.host}/taco/rel8/a:1.0.0\` | \`${candidates.digests['a:nightly-1']}\` |`,
    );
    expect(release.body).toContain('First release.');
    expect(release.body).toContain('https://github.example/taco/ci/actions/runs/42');
    const ledger = await readHistory(
      {
        kind: 'git',
        url: `${gitDir}/ledger.git`,
        branch: 'main',
        path: 'promotions.jsonl',
      },
      { git: new Git({ env: process.env }) },
    );
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      version: '1.0.0',
      status: 'complete',
      runUrl: 'https://github.example/taco/ci/actions/runs/42',
    });
    expect(ledger[0].commits).toEqual([
      { repository: `${gitDir}/wrapper.git`, commit: commits.tested, tag: '1.0.0' },
      { repository: `${gitDir}/manifests.git`, commit: commits.later, tag: '1.0.0' },
    ]);

    const calls = github.calls.length;
    const again = await promoteRun(inputs, env);
    expect(again.error).toBeUndefined();
    expect(github.calls.slice(calls)).toEqual(['GET /repos/taco/taco-release/releases/tags/1.0.0']);
    expect(
      await readHistory(
        {
          kind: 'git',
          url: `${gitDir}/ledger.git`,
          branch: 'main',
          path: 'promotions.jsonl',
        },
        { git: new Git({ env: process.env }) },
      ),
    ).toHaveLength(1);
    expect(again.summary).toContain('⏭️ exists');

    const second = await promoteRun(
      { ...inputs, candidate: 'nightly-2', 'git-repos': `${gitDir}/wrapper.git#${commits.later}` },
      env,
    );
    expect(second.error).toBeUndefined();
    expect(github.releases.get('2.0.0')!.body).toContain(
      `- candidates/a: ${candidates.digests['a:nightly-1'].slice(7, 19)} → ${candidates.digests['a:nightly-2'].slice(7, 19)}`,
    );
    expect(
      await readHistory(
        {
          kind: 'git',
          url: `${gitDir}/ledger.git`,
          branch: 'main',
          path: 'promotions.jsonl',
        },
        { git: new Git({ env: process.env }) },
      ),
    ).toHaveLength(2);
  });

  it('refuses before touching the registry when a git tag exists at another commit', async () => {
    git(['tag', '1.0.0', commits.later], path.join(gitDir, 'work'));
    git(['init', '-q', '--bare', 'clash.git'], gitDir);
    git(
      ['push', '-q', path.join(gitDir, 'clash.git'), 'refs/tags/1.0.0', 'refs/tags/nightly-1'],
      path.join(gitDir, 'work'),
    );
    const run = await promoteRun({
      registry: `${registry.host}/taco`,
      images,
      candidate: 'nightly-1',
      'target-prefix': 'rel9',
      version: '1.0.0',
      'git-repos': `${gitDir}/clash.git`,
    });
    expect(run.error?.message).toContain(
      `${gitDir}/clash.git: tag 1.0.0 already points at ${commits.later}, not ${commits.tested}`,
    );
    expect(await tagsOf(registry.host, 'taco/rel9/a')).toEqual([]);
  });
});
