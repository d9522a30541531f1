/**
 * mode record-nightly and require-nightly against a real docker-registry on 127.0.0.1, with the
 * artifact ledger in a temp file (and once on a branch of a local bare git repository).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Git } from '../../actions/lib/git/git.js';
import { readHistory } from '../../actions/lib/history/index.js';
import { MANIFEST_ACCEPT } from '../../actions/lib/registry/media-types.js';
import { repoRoot } from '../harness/run-action.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
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

/** kolla-bats' images JSON for a candidate tag: what was built and deployed, by digest. */
const built = (candidate: string, digests = candidates.digests) =>
  JSON.stringify(
    ['a', 'b'].map((image) => ({
      name: `candidates/${image}`,
      ref: `${registry.host}/taco/candidates/${image}:${candidate}`,
      digest: digests[`${image}:${candidate}`],
    })),
  );

const allPassed = { 'deploy-result': 'success', 'tempest-result': 'success', 'chaos-result': 'success' };

const record = (
  candidate: string,
  results: Record<string, string>,
  history: string,
  extra: Record<string, string> = {},
) =>
  promoteRun(
    {
      registry: `${registry.host}/taco`,
      images: built(candidate),
      candidate,
      history,
      mode: 'record-nightly',
      ...results,
      ...extra,
    },
    env,
  );

const promoteWithNightly = (candidate: string, history: string, prefix: string, requireNightly = 'true') =>
  promoteRun(
    {
      registry: `${registry.host}/taco`,
      images,
      candidate,
      history,
      'target-prefix': prefix,
      'require-nightly': requireNightly,
    },
    env,
  );

describe('record-nightly', () => {
  it('records a passing nightly with the digests it deployed and each stage, and changes nothing else', async () => {
    const history = path.join(dir, 'pass.jsonl');
    const run = await record('n-pass', allPassed, history);
    expect(run.error).toBeUndefined();
    const ledger = await readHistory({ kind: 'file', path: history });
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      schema: 1,
      kind: 'nightly',
      status: 'passed',
      candidate: 'n-pass',
      stages: { deploy: 'passed', tempest: 'passed', chaos: 'passed' },
      runUrl: 'https://github.example/taco/ci/actions/runs/77',
    });
    expect(ledger[0].version).toBeUndefined();
    expect(ledger[0].images).toEqual(JSON.parse(built('n-pass')));
    expect(Date.now() - Date.parse(ledger[0].time)).toBeLessThan(10 * 60_000);
    expect(JSON.parse(run.outputs['history-entry'])).toEqual(ledger[0]);
    expect(run.outputs).toMatchObject({
      version: '',
      promoted: '[]',
      skipped: '[]',
      'nightly-status': 'passed',
    });
    expect(run.summary).toContain('Nightly of n-pass: ✅ passed');
    expect(run.summary).toContain('Stages: deploy passed, tempest passed, chaos passed.');
    // nothing tagged: the candidates' repositories hold only the pushed candidate tags
    expect(await tagsOf(registry.host, 'taco/candidates/a')).toEqual([
      'n-fail',
      'n-moved',
      'n-other',
      'n-pass',
    ]);
  });

  it("records deploy-armada's release output as is: the release digest and its bill of materials", async () => {
    const history = path.join(dir, 'deployed.jsonl');
    const d = (c: string) => `sha256:${c.repeat(64)}`;
    const deployed = {
      ref: `${registry.host}/taco/taco-release:n-rel`,
      digest: d('e'),
      pinned: `${registry.host}/taco/taco-release:n-rel@${d('e')}`,
      release: 'n-rel',
      candidate: 'n-rel',
      charts: [
        {
          name: 'keystone',
          version: '0.3.1-n-rel',
          ref: `${registry.host}/taco/charts/keystone:0.3.1-n-rel`,
          digest: d('c'),
          contentDigest: d('f'),
          documents: ['keystone'],
        },
      ],
      images: [{ name: 'keystone', ref: `${registry.host}/taco/candidates/keystone:n-rel`, digest: d('a') }],
    };
    const run = await promoteRun(
      {
        registry: `${registry.host}/taco`,
        mode: 'record-nightly',
        deployed: JSON.stringify(deployed),
        history,
        ...allPassed,
      },
      env,
    );
    expect(run.error).toBeUndefined();
    const [entry] = await readHistory({ kind: 'file', path: history });
    expect(entry).toMatchObject({
      status: 'passed',
      candidate: 'n-rel',
      release: { ref: deployed.ref, digest: d('e') },
      images: deployed.images,
      charts: [
        {
          name: 'keystone',
          version: '0.3.1-n-rel',
          ref: deployed.charts[0].ref,
          digest: d('c'),
          contentDigest: d('f'),
        },
      ],
    });

    const bad = await promoteRun(
      {
        registry: `${registry.host}/taco`,
        mode: 'record-nightly',
        deployed: JSON.stringify({ ...deployed, images: [{ ...deployed.images[0], digest: 'latest' }] }),
        history,
        ...allPassed,
      },
      env,
    );
    expect(bad.error?.name).toBe('UserError');
    expect(bad.error?.message).toContain(
      `Input 'deployed' images[0].digest: expected a digest sha256:<64 hex>, got "latest"`,
    );
  });

  it('never looks a tag up again: a passing nightly without digests is not recorded; a failing one is, with what it has', async () => {
    const history = path.join(dir, 'tags.jsonl');
    const refused = await record('n-pass', allPassed, history, { images });
    expect(refused.error?.name).toBe('JobFailure');
    expect(refused.error?.message).toContain(
      `Nothing was recorded: a passing nightly must name every image and chart it deployed by digest, and it names no image digests; no digest for ${registry.host}/taco/candidates/a:n-pass, ${registry.host}/taco/candidates/b:n-pass`,
    );
    expect(existsSync(history)).toBe(false);

    const failed = await record('n-fail', { 'deploy-result': 'failure' }, history, { images });
    expect(failed.error).toBeUndefined();
    const [entry] = await readHistory({ kind: 'file', path: history });
    expect(entry).toMatchObject({
      status: 'failed',
      images: [],
      stages: { deploy: 'failed', tempest: 'skipped', chaos: 'skipped' },
      details: {
        undigested: [
          `${registry.host}/taco/candidates/a:n-fail`,
          `${registry.host}/taco/candidates/b:n-fail`,
        ],
      },
    });
    expect(failed.outputs['nightly-status']).toBe('failed');
  });

  it('the verdict is made from the stages: a failed or cancelled stage fails, a skipped chaos is recorded as skipped', async () => {
    const history = path.join(dir, 'stages.jsonl');
    const cases: [Record<string, string>, string, Record<string, string>][] = [
      [allPassed, 'passed', { deploy: 'passed', tempest: 'passed', chaos: 'passed' }],
      [
        { ...allPassed, 'chaos-result': 'skipped' },
        'passed',
        { deploy: 'passed', tempest: 'passed', chaos: 'skipped' },
      ],
      [
        { ...allPassed, 'chaos-result': 'failure' },
        'failed',
        { deploy: 'passed', tempest: 'passed', chaos: 'failed' },
      ],
      [
        { ...allPassed, 'chaos-result': 'cancelled' },
        'failed',
        { deploy: 'passed', tempest: 'passed', chaos: 'failed' },
      ],
      [
        { 'deploy-result': 'success', 'tempest-result': 'skipped' },
        'failed',
        { deploy: 'passed', tempest: 'skipped', chaos: 'skipped' },
      ],
      [
        { 'deploy-result': 'skipped', 'tempest-result': 'skipped' },
        'failed',
        { deploy: 'skipped', tempest: 'skipped', chaos: 'skipped' },
      ],
    ];
    for (const [results, status, stages] of cases) {
      const run = await record('n-pass', results, history);
      expect(run.error, JSON.stringify(results)).toBeUndefined();
      expect(JSON.parse(run.outputs['history-entry']), JSON.stringify(results)).toMatchObject({
        status,
        stages,
      });
    }
  });

  it('bad input: stage results missing or unknown, no ledger', async () => {
    const history = path.join(dir, 'bad.jsonl');
    const cases: [Record<string, string>, RegExp][] = [
      [
        { images, candidate: 'n-pass', history, mode: 'record-nightly' },
        /Input 'deploy-result' is required when mode is record-nightly: the deploy job's result/,
      ],
      [
        { images, candidate: 'n-pass', history, mode: 'record-nightly', 'deploy-result': 'maybe' },
        /Input 'deploy-result': expected a job result \(success, failure, cancelled, skipped\) or passed\/failed, got "maybe"/,
      ],
      [
        { images, candidate: 'n-pass', mode: 'record-nightly', 'deploy-result': 'success' },
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
      [
        { images, candidate: 'n-pass', history, 'require-nightly': 'deploy,rally' },
        /Input 'require-nightly': expected true, false or stages among deploy, tempest, chaos, got "rally"/,
      ],
      [
        { candidate: 'n-pass', history, deployed: '{}', 'deploy-result': 'success' },
        /Input 'deployed' is for mode record-nightly/,
      ],
    ];
    for (const [inputs, message] of cases) {
      const run = await promoteRun({ registry: `${registry.host}/taco`, ...inputs });
      expect(run.error?.name, JSON.stringify(inputs)).toBe('UserError');
      expect(run.error?.message).toMatch(message);
    }
    expect(existsSync(history)).toBe(false);
  });

  it('taco-ci run: record-nightly without deploy-result exits 2', () => {
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
    expect(out.stderr).toContain("Input 'deploy-result' is required when mode is record-nightly");
    expect(existsSync(history)).toBe(false);
  });
});

describe('require-nightly', () => {
  it('promotes a candidate whose nightly passed every stage with the same digests', async () => {
    const history = path.join(dir, 'gate-pass.jsonl');
    expect((await record('n-pass', allPassed, history)).error).toBeUndefined();
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
    expect(
      (await record('n-fail', { ...allPassed, 'tempest-result': 'failure' }, history)).error,
    ).toBeUndefined();
    // another candidate's passing nightly does not count
    expect((await record('n-pass', allPassed, history)).error).toBeUndefined();
    const before = readFileSync(history, 'utf8');

    const failed = await promoteWithNightly('n-fail', history, 'gate2');
    expect(failed.error?.name).toBe('JobFailure');
    expect(failed.error?.message).toContain(
      `Refusing to promote n-fail: require-nightly needs a passing nightly run with deploy, tempest, chaos passed in the artifact ledger ${history}`,
    );
    expect(failed.error?.message).toMatch(
      /none of its nightly runs there can promote \(failed at .*actions\/runs\/77: the run failed, tempest failed\)/,
    );

    const none = await promoteWithNightly('n-other', history, 'gate2');
    expect(none.error?.name).toBe('JobFailure');
    expect(none.error?.message).toContain(
      `Refusing to promote n-other: require-nightly needs a passing nightly run with deploy, tempest, chaos passed in the artifact ledger ${history}, and there is no nightly run of it there`,
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

  it('a nightly without chaos is recorded but cannot promote under the default stages; the stages it passed can be required instead', async () => {
    const history = path.join(dir, 'gate-chaos.jsonl');
    expect(
      (await record('n-pass', { ...allPassed, 'chaos-result': 'skipped' }, history)).error,
    ).toBeUndefined();
    const refused = await promoteWithNightly('n-pass', history, 'gate5');
    expect(refused.error?.name).toBe('JobFailure');
    expect(refused.error?.message).toMatch(
      /none of its nightly runs there can promote \(passed at [^:]+:[^:]+:[^:]+ https:\/\/github\.example\/taco\/ci\/actions\/runs\/77: chaos skipped\)/,
    );
    for (const image of ['a', 'b']) expect(await tagsOf(registry.host, `taco/gate5/${image}`)).toEqual([]);

    const profile = writeProfile(dir, `${registry.host}/taco`, { 'nightly-stages': ['deploy', 'tempest'] });
    const byProfile = await promoteRun(
      {
        profile,
        images,
        candidate: 'n-pass',
        history,
        'target-prefix': 'gate5',
        'require-nightly': 'true',
        'dry-run': 'true',
      },
      env,
    );
    expect(byProfile.error).toBeUndefined();
    const byInput = await promoteWithNightly('n-pass', history, 'gate5', 'deploy, tempest');
    expect(byInput.error).toBeUndefined();
    expect(byInput.outputs.version).toBe('1.0.0');
  });

  it('refuses an entry that names no digests (as written before digests were required)', async () => {
    const history = path.join(dir, 'gate-bare.jsonl');
    const bare = {
      schema: 1,
      kind: 'nightly',
      time: '2026-11-24T03:00:00.000Z',
      status: 'passed',
      candidate: 'n-pass',
      images: [],
      stages: { deploy: 'passed', tempest: 'passed', chaos: 'passed' },
    };
    writeFileSync(history, `${JSON.stringify(bare)}\n`);
    const run = await promoteWithNightly('n-pass', history, 'gate6');
    expect(run.error?.name).toBe('JobFailure');
    expect(run.error?.message).toContain('passed at 2026-11-24T03:00:00.000Z: it names no image digests');
    for (const image of ['a', 'b']) expect(await tagsOf(registry.host, `taco/gate6/${image}`)).toEqual([]);
  });

  it('refuses a candidate whose digests changed since its passing nightly', async () => {
    const history = path.join(dir, 'gate-moved.jsonl');
    expect((await record('n-moved', allPassed, history)).error).toBeUndefined();
    await retag('taco/candidates/b', 'n-other', 'n-moved');
    const run = await promoteWithNightly('n-moved', history, 'gate3');
    expect(run.error?.name).toBe('JobFailure');
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
    const now = { ...candidates.digests, 'b:n-moved': candidates.digests['b:n-other'] };
    expect(
      (await record('n-moved', allPassed, history, { images: built('n-moved', now) })).error,
    ).toBeUndefined();
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
      `Refusing to promote n-pass: require-nightly needs a passing nightly run with deploy, tempest, chaos passed in the artifact ledger ${gitDir}/ledger.git (branch history, nightly.jsonl), and there is no nightly run of it there`,
    );
    expect((await record('n-pass', allPassed, history)).error).toBeUndefined();
    const run = await promoteWithNightly('n-pass', history, 'gate4');
    expect(run.error).toBeUndefined();
    expect(run.outputs.version).toBe('1.0.0');
    const ledger = await readHistory(
      {
        kind: 'git',
        url: `${gitDir}/ledger.git`,
        branch: 'history',
        path: 'nightly.jsonl',
      },
      { git: new Git({ env: process.env }) },
    );
    expect(ledger.map((e) => `${e.kind}:${e.status}`)).toEqual(['nightly:passed', 'promotion:complete']);
  });
});
