/**
 * mode record-nightly and require-nightly against a real docker-registry on 127.0.0.1, with the
 * artifact ledger in a temp file (and once on a branch of a local bare git repository).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory } from '../../actions/lib/history/index.js';
import { MANIFEST_ACCEPT } from '../../actions/lib/registry/media-types.js';
import { repoRoot } from '../harness/run-action.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { type Candidates, promoteRun, pushCandidates, servedDigest, tagsOf } from './support/world.js';

let registry: TestRegistry;
let candidates: Candidates;
let dir: string;
const images = 'candidates/a\ncandidates/b';
const env = {
  GITHUB_SERVER_URL: 'https://github.example',
  GITHUB_REPOSITORY: 'taco/ci',
  GITHUB_RUN_ID: '77',
};

beforeAll(async () => {
  registry = await startRegistry();
  dir = mkdtempSync(path.join(os.tmpdir(), 'promote-nightly-'));
  candidates = await pushCandidates(registry.host, 'taco', ['n-pass', 'n-fail', 'n-moved', 'n-other'], {
    images: ['a', 'b'],
  });
});

afterAll(async () => {
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Points `repository:to` at the manifest of `repository:from` (what a re-pushed candidate tag looks like). */
async function retag(repository: string, from: string, to: string): Promise<void> {
  const base = `http://${registry.host}/v2/${repository}/manifests`;
  const got = await fetch(`${base}/${from}`, { headers: { accept: MANIFEST_ACCEPT } });
  expect(got.status).toBe(200);
  const put = await fetch(`${base}/${to}`, {
    method: 'PUT',
    headers: { 'content-type': got.headers.get('content-type')! },
    body: Buffer.from(await got.arrayBuffer()),
  });
  expect(put.status).toBe(201);
}

const record = (candidate: string, passed: string, history: string, extra: Record<string, string> = {}) =>
  promoteRun(
    {
      registry: `${registry.host}/taco`,
      images,
      candidate,
      history,
      mode: 'record-nightly',
      'nightly-passed': passed,
      ...extra,
    },
    env,
  );

const promoteWithNightly = (candidate: string, history: string, prefix: string) =>
  promoteRun(
    {
      registry: `${registry.host}/taco`,
      images,
      candidate,
      history,
      'target-prefix': prefix,
      'require-nightly': 'true',
    },
    env,
  );

describe('record-nightly', () => {
  it('records a passing nightly with the digests the registry serves, and changes nothing else', async () => {
    const history = path.join(dir, 'pass.jsonl');
    const run = await record('n-pass', 'true', history);
    expect(run.error).toBeUndefined();
    const ledger = await readHistory({ kind: 'file', path: history });
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      schema: 1,
      kind: 'nightly',
      status: 'passed',
      candidate: 'n-pass',
      runUrl: 'https://github.example/taco/ci/actions/runs/77',
    });
    expect(ledger[0].version).toBeUndefined();
    expect(ledger[0].images).toEqual([
      {
        name: 'candidates/a',
        ref: `${registry.host}/taco/candidates/a:n-pass`,
        digest: candidates.digests['a:n-pass'],
      },
      {
        name: 'candidates/b',
        ref: `${registry.host}/taco/candidates/b:n-pass`,
        digest: candidates.digests['b:n-pass'],
      },
    ]);
    expect(Date.now() - Date.parse(ledger[0].time)).toBeLessThan(10 * 60_000);
    expect(JSON.parse(run.outputs['history-entry'])).toEqual(ledger[0]);
    expect(run.outputs).toMatchObject({ version: '', promoted: '[]', skipped: '[]' });
    expect(run.summary).toContain('Nightly of n-pass: ✅ passed');
    // nothing tagged: the candidates' repositories hold only the pushed candidate tags
    expect(await tagsOf(registry.host, 'taco/candidates/a')).toEqual([
      'n-fail',
      'n-moved',
      'n-other',
      'n-pass',
    ]);
  });

  it("records kolla-bats' JSON as given, and a failed nightly with whatever exists", async () => {
    const history = path.join(dir, 'kolla.jsonl');
    const kolla = JSON.stringify([
      {
        name: 'a',
        ref: `${registry.host}/taco/candidates/a:n-fail`,
        digest: candidates.digests['a:n-fail'],
        tests: { passed: 4, failed: 1 },
      },
    ]);
    const run = await record('n-fail', 'false', history, { images: kolla });
    expect(run.error).toBeUndefined();
    const [entry] = await readHistory({ kind: 'file', path: history });
    expect(entry).toMatchObject({ kind: 'nightly', status: 'failed', candidate: 'n-fail' });
    expect(entry.images).toEqual([
      {
        name: 'a',
        ref: `${registry.host}/taco/candidates/a:n-fail`,
        digest: candidates.digests['a:n-fail'],
        tests: { passed: 4, failed: 1 },
      },
    ]);

    // a candidate tag that was never pushed: recorded as failed, the image listed as missing
    const missing = await record('n-never-built', 'false', history);
    expect(missing.error).toBeUndefined();
    const last = (await readHistory({ kind: 'file', path: history })).at(-1)!;
    expect(last).toMatchObject({ status: 'failed', candidate: 'n-never-built', images: [] });
    expect(last.details?.missing).toEqual([
      `${registry.host}/taco/candidates/a:n-never-built`,
      `${registry.host}/taco/candidates/b:n-never-built`,
    ]);
    expect(missing.log).toContain('Not in the registry');
  });

  it('bad input: nightly-passed missing or not a boolean, no ledger', async () => {
    const history = path.join(dir, 'bad.jsonl');
    const cases: [Record<string, string>, RegExp][] = [
      [
        { images, candidate: 'n-pass', history, mode: 'record-nightly' },
        /Input 'nightly-passed' is required when mode is record-nightly/,
      ],
      [
        { images, candidate: 'n-pass', history, mode: 'record-nightly', 'nightly-passed': 'maybe' },
        /Input 'nightly-passed': expected true or false, got "maybe"/,
      ],
      [
        { images, candidate: 'n-pass', mode: 'record-nightly', 'nightly-passed': 'true' },
        /mode record-nightly appends to the artifact ledger, but none is configured: set input 'history'/,
      ],
      [
        { images, candidate: 'n-pass', mode: 'nightly' },
        /Input 'mode': expected one of promote, record-nightly, candidate-release, history-site, got "nightly"/,
      ],
      [
        { images, candidate: 'n-pass', 'require-nightly': 'true' },
        /require-nightly looks for the candidate's nightly run in the artifact ledger, but none is configured/,
      ],
    ];
    for (const [inputs, message] of cases) {
      const run = await promoteRun({ registry: `${registry.host}/taco`, ...inputs });
      expect(run.error?.name, JSON.stringify(inputs)).toBe('UserError');
      expect(run.error?.message).toMatch(message);
    }
    expect(existsSync(history)).toBe(false);
  });

  it('taco-ci run: record-nightly without nightly-passed exits 2', () => {
    const history = path.join(dir, 'cli.jsonl');
    const out = spawnSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin', 'taco-ci.js'),
        'run',
        'promote-version',
        ...['--input', `registry=${registry.host}/taco`],
        ...['--input', 'images=candidates/a'],
        ...['--input', 'candidate=n-pass'],
        ...['--input', `history=${history}`],
        ...['--input', 'mode=record-nightly'],
      ],
      { cwd: dir, encoding: 'utf8', timeout: 120_000 },
    );
    expect(out.status).toBe(2);
    expect(out.stderr).toContain("Input 'nightly-passed' is required when mode is record-nightly");
    expect(existsSync(history)).toBe(false);
  });
});

describe('require-nightly', () => {
  it('promotes a candidate whose nightly passed with the same digests', async () => {
    const history = path.join(dir, 'gate-pass.jsonl');
    expect((await record('n-pass', 'true', history)).error).toBeUndefined();
    const run = await promoteWithNightly('n-pass', history, 'gate1');
    expect(run.error).toBeUndefined();
    expect(run.outputs.version).toBe('1.0.0');
    expect(run.log).toContain('tested exactly these digests');
    expect(await servedDigest(registry.host, 'taco/gate1/a', '1.0.0')).toBe(candidates.digests['a:n-pass']);
    const ledger = await readHistory({ kind: 'file', path: history });
    expect(ledger.map((e) => [e.kind, e.status, e.candidate])).toEqual([
      ['nightly', 'passed', 'n-pass'],
      ['promotion', 'complete', 'n-pass'],
    ]);
  });

  it('refuses a candidate whose nightly failed, or that has no nightly, and promotes nothing', async () => {
    const history = path.join(dir, 'gate-fail.jsonl');
    expect((await record('n-fail', 'false', history)).error).toBeUndefined();
    // another candidate's passing nightly does not count
    expect((await record('n-pass', 'true', history)).error).toBeUndefined();
    const before = readFileSync(history, 'utf8');

    const failed = await promoteWithNightly('n-fail', history, 'gate2');
    expect(failed.error?.name).toBe('UserError');
    expect(failed.error?.message).toContain(
      `Refusing to promote n-fail: require-nightly needs a passing nightly run in the artifact ledger ${history}`,
    );
    expect(failed.error?.message).toMatch(/did not pass \(failed at .*actions\/runs\/77\)/);

    const none = await promoteWithNightly('n-other', history, 'gate2');
    expect(none.error?.name).toBe('UserError');
    expect(none.error?.message).toContain(
      `Refusing to promote n-other: require-nightly needs a passing nightly run in the artifact ledger ${history}, and there is no nightly run of it there`,
    );

    // dry-run is refused the same way
    const dry = await promoteRun(
      {
        registry: `${registry.host}/taco`,
        images,
        candidate: 'n-fail',
        history,
        'target-prefix': 'gate2',
        'require-nightly': 'true',
        'dry-run': 'true',
      },
      env,
    );
    expect(dry.error?.message).toContain('Refusing to promote n-fail');

    for (const image of ['a', 'b']) expect(await tagsOf(registry.host, `taco/gate2/${image}`)).toEqual([]);
    expect(readFileSync(history, 'utf8')).toBe(before);
    for (const run of [failed, none])
      expect(run.outputs).toMatchObject({ promoted: '[]', 'history-entry': '' });
  });

  it('refuses a candidate whose digests changed since its passing nightly', async () => {
    const history = path.join(dir, 'gate-moved.jsonl');
    expect((await record('n-moved', 'true', history)).error).toBeUndefined();
    await retag('taco/candidates/b', 'n-other', 'n-moved');
    const run = await promoteWithNightly('n-moved', history, 'gate3');
    expect(run.error?.name).toBe('UserError');
    const message = run.error!.message;
    expect(message).toContain(
      'Refusing to promote n-moved: the candidate is not what its passing nightly tested',
    );
    expect(message).toContain(history);
    expect(message).toContain(
      `candidates/b: ${registry.host}/taco/candidates/b is now ${candidates.digests['b:n-other']}, the nightly tested ${candidates.digests['b:n-moved']} (${registry.host}/taco/candidates/b:n-moved)`,
    );
    expect(message).not.toContain('candidates/a:');
    for (const image of ['a', 'b']) expect(await tagsOf(registry.host, `taco/gate3/${image}`)).toEqual([]);

    // a new passing nightly of what the tag holds now lets it through
    expect((await record('n-moved', 'true', history)).error).toBeUndefined();
    const again = await promoteWithNightly('n-moved', history, 'gate3');
    expect(again.error).toBeUndefined();
    expect(await servedDigest(registry.host, 'taco/gate3/b', '1.0.0')).toBe(candidates.digests['b:n-other']);
  });

  it('works with the ledger on a branch of a git repository', async () => {
    const gitDir = mkdtempSync(path.join(dir, 'git-'));
    execFileSync('git', ['init', '-q', '--bare', 'ledger.git'], { cwd: gitDir });
    const history = `${gitDir}/ledger.git#history:nightly.jsonl`;
    const refused = await promoteWithNightly('n-pass', history, 'gate4');
    expect(refused.error?.message).toContain(
      `Refusing to promote n-pass: require-nightly needs a passing nightly run in the artifact ledger ${gitDir}/ledger.git (branch history, nightly.jsonl), and there is no nightly run of it there`,
    );
    expect((await record('n-pass', 'true', history)).error).toBeUndefined();
    const run = await promoteWithNightly('n-pass', history, 'gate4');
    expect(run.error).toBeUndefined();
    expect(run.outputs.version).toBe('1.0.0');
    const ledger = await readHistory({
      kind: 'git',
      url: `${gitDir}/ledger.git`,
      branch: 'history',
      path: 'nightly.jsonl',
    });
    expect(ledger.map((e) => `${e.kind}:${e.status}`)).toEqual(['nightly:passed', 'promotion:complete']);
  });
});
