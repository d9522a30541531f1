/**
 * The nightly → promotion path with the shipped artefacts: `taco-ci run promote-version` writes the
 * candidate release (mode candidate-release), the bundle on Node 24 records the nightly and then
 * promotes the candidate release with require-nightly, as nightly.yml and promote.yml do.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory } from '../../actions/lib/history/index.js';
import { pullRelease } from '../../actions/lib/release/index.js';
import { repoRoot, runAction } from '../harness/run-action.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { client, copyCandidates, MANIFEST, pushCandidateCharts } from './support/release-world.js';
import { pushCandidates } from './support/world.js';

let registry: TestRegistry;
let dir: string;
let digests: Record<string, string>;

beforeAll(async () => {
  registry = await startRegistry();
  dir = mkdtempSync(path.join(os.tmpdir(), 'promote-release-action-'));
  digests = (await pushCandidates(registry.host, 'taco', ['nightly-1'], { images: ['a', 'b'] })).digests;
  await copyCandidates(registry.host, 'site', ['a', 'b'], ['nightly-1']);
  await pushCandidateCharts(registry.host, 'site', 'nightly-1');
});
afterAll(async () => {
  await registry?.stop();
});

describe('promote-version with a release artifact', () => {
  it('taco-ci writes the candidate release; the Node 24 bundle records the nightly and promotes that release', async () => {
    const history = path.join(dir, 'ledger.jsonl');
    const cli = spawnSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin', 'taco-ci.js'),
        'run',
        'promote-version',
        ...Object.entries({
          registry: `${registry.host}/site`,
          mode: 'candidate-release',
          images: 'candidates/a\ncandidates/b',
          charts: 'keystone\nglance',
          manifest: MANIFEST,
          candidate: 'nightly-1',
        }).flatMap(([k, v]) => ['--input', `${k}=${v}`]),
      ],
      { cwd: dir, encoding: 'utf8', timeout: 120_000 },
    );
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    const ref = `${registry.host}/site/taco-release:nightly-1`;
    expect(cli.stdout).toContain(`release={"ref":"${ref}"`);

    // What deploy-armada's release output says it deployed: the artifact by digest and its BOM.
    const written = JSON.parse(/release=(.*)/.exec(cli.stdout)![1]) as { ref: string; digest: string };
    const puller = client(registry.host);
    const deployed = await pullRelease(puller, 'site/taco-release', written.digest).finally(() =>
      puller.close(),
    );
    const nightly = await runAction('promote-version', {
      node: '24',
      inputs: {
        registry: `${registry.host}/site`,
        mode: 'record-nightly',
        deployed: JSON.stringify({
          ref: written.ref,
          digest: written.digest,
          candidate: deployed.bom.candidate,
          charts: deployed.bom.charts,
          images: deployed.bom.images,
        }),
        candidate: 'nightly-1',
        'deploy-result': 'success',
        'tempest-result': 'success',
        'chaos-result': 'success',
        history,
      },
      env: { GITHUB_SERVER_URL: 'https://github.example', GITHUB_REPOSITORY: 'taco/ci', GITHUB_RUN_ID: '41' },
    });
    expect(nightly.stderr).toBe('');
    expect(nightly.exitCode).toBe(0);

    const run = await runAction('promote-version', {
      node: '24',
      inputs: {
        registry: `${registry.host}/site`,
        release: ref,
        'target-prefix': 'release',
        'require-nightly': 'true',
        history,
        'github-token': 'ghs_not-used-here',
      },
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs.version).toBe('1.0.0');
    const release = JSON.parse(run.outputs.release);
    expect(release.ref).toBe(`${registry.host}/site/taco-release:1.0.0`);
    expect(run.summary).toContain('Release artifact (bill of materials + rendered Armada manifest)');
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'notice',
        message: `Promoted 2 image(s), 2 chart(s) and the release artifact ${release.ref} to 1.0.0; 0 already released`,
      }),
    );

    const c = client(registry.host);
    try {
      const pulled = await pullRelease(c, 'site/taco-release', '1.0.0', { expectedDigest: release.digest });
      expect(pulled.bom.nightly).toEqual({
        time: (await readHistory({ kind: 'file', path: history }))[0].time,
        status: 'passed',
        runUrl: 'https://github.example/taco/ci/actions/runs/41',
      });
      expect(pulled.bom.images.map((i) => i.digest)).toEqual([
        digests['a:nightly-1'],
        digests['b:nightly-1'],
      ]);
    } finally {
      c.close();
    }
    const ledger = await readHistory({ kind: 'file', path: history });
    expect(ledger.map((e) => [e.kind, e.status])).toEqual([
      ['nightly', 'passed'],
      ['promotion', 'complete'],
    ]);
    expect(ledger[1].release).toEqual(release);
    expect(JSON.parse(run.outputs['history-entry'])).toEqual(ledger[1]);
  });
});
