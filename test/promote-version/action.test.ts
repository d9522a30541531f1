/**
 * The shipped artefacts: dist/promote-version/index.js run the way the GitHub runner runs it (on
 * Node 24, as `using: node24` does), and `taco-ci run promote-version` through the CLI.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory } from '../../actions/lib/history/index.js';
import { repoRoot, runAction } from '../harness/run-action.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { pushCandidates, servedDigest, tagsOf } from './support/world.js';

const PASSWORD = 'bundle-Pa55word';
let registry: TestRegistry;
let digests: Record<string, string>;
let dir: string;

beforeAll(async () => {
  registry = await startRegistry({ username: 'ci', password: PASSWORD });
  digests = (
    await pushCandidates(registry.host, 'taco', ['nightly-1'], {
      creds: `ci:${PASSWORD}`,
      images: ['a', 'multi'],
    })
  ).digests;
  dir = mkdtempSync(path.join(os.tmpdir(), 'promote-action-'));
});
afterAll(async () => {
  await registry?.stop();
});

describe('promote-version', () => {
  it('the bundled action on Node 24 promotes, sets its outputs and masks the password', async () => {
    const history = path.join(dir, 'action-history.jsonl');
    const run = await runAction('promote-version', {
      node: '24',
      inputs: {
        registry: `${registry.host}/taco`,
        images: 'candidates/a\ncandidates/multi',
        candidate: 'nightly-1',
        'target-prefix': 'release',
        'registry-username': 'ci',
        'registry-password': PASSWORD,
        history,
        'github-token': 'ghs_not-used-here',
      },
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs.version).toBe('1.0.0');
    expect(
      JSON.parse(run.outputs.promoted)
        .map((p: { digest: string }) => p.digest)
        .sort(),
    ).toEqual([digests['a:nightly-1'], digests['multi:nightly-1']].sort());
    expect(run.outputs.skipped).toBe('[]');
    expect(JSON.parse(run.outputs['history-entry'])).toEqual(
      (await readHistory({ kind: 'file', path: history }))[0],
    );
    expect(run.summary).toContain('### Promotion: nightly-1 → 1.0.0');
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'notice',
        message: 'Promoted 2 image(s) to 1.0.0; 0 already released',
      }),
    );
    expect(await servedDigest(registry.host, 'taco/release/multi', '1.0.0', `ci:${PASSWORD}`)).toBe(
      digests['multi:nightly-1'],
    );
    // `::add-mask::` is how a step tells the runner what to hide; everything else must not show it
    const printed = run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'));
    expect(run.stdout).toContain(`::add-mask::${PASSWORD}`);
    const everything = printed.join('\n') + run.summary + JSON.stringify(run.outputs);
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(Buffer.from(`ci:${PASSWORD}`).toString('base64'));
  });

  it('the bundled action on Node 24 records a nightly (mode record-nightly) and changes nothing else', async () => {
    const history = path.join(dir, 'nightly-history.jsonl');
    const run = await runAction('promote-version', {
      node: '24',
      inputs: {
        registry: `${registry.host}/taco`,
        images: JSON.stringify([
          {
            name: 'candidates/a',
            ref: `${registry.host}/taco/candidates/a:nightly-1`,
            digest: digests['a:nightly-1'],
          },
        ]),
        candidate: 'nightly-1',
        mode: 'record-nightly',
        'deploy-result': 'success',
        'tempest-result': 'success',
        'chaos-result': 'success',
        'registry-username': 'ci',
        'registry-password': PASSWORD,
        history,
      },
      env: { GITHUB_SERVER_URL: 'https://github.example', GITHUB_REPOSITORY: 'taco/ci', GITHUB_RUN_ID: '9' },
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const [entry] = await readHistory({ kind: 'file', path: history });
    expect(entry).toMatchObject({
      kind: 'nightly',
      status: 'passed',
      candidate: 'nightly-1',
      runUrl: 'https://github.example/taco/ci/actions/runs/9',
      images: [{ name: 'candidates/a', digest: digests['a:nightly-1'] }],
    });
    expect(JSON.parse(run.outputs['history-entry'])).toEqual(entry);
    expect(run.outputs).toMatchObject({ version: '', promoted: '[]', skipped: '[]' });
    expect(await tagsOf(registry.host, 'taco/candidates/a', `ci:${PASSWORD}`)).toEqual(['nightly-1']);
    expect(
      run.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain(PASSWORD);
  });

  it('taco-ci run promote-version: a missing candidate fails with exit 1; a good run exits 0 and prints the outputs', () => {
    const cli = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
      spawnSync(
        process.execPath,
        [
          path.join(repoRoot, 'bin', 'taco-ci.js'),
          'run',
          'promote-version',
          ...Object.entries(inputs).flatMap(([k, v]) => ['--input', `${k}=${v}`]),
        ],
        {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, ...env },
          timeout: 120_000,
        },
      );
    const history = path.join(dir, 'cli-history.jsonl');
    const common = {
      registry: `${registry.host}/taco`,
      'target-prefix': 'cli',
      history,
      'registry-username': 'ci',
    };
    const missing = cli({
      ...common,
      images: 'candidates/a,candidates/nope',
      candidate: 'nightly-1',
      'registry-password': PASSWORD,
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('Nothing was promoted: 1 of 2 candidate image(s) could not be verified');
    expect(missing.stderr).toContain('candidates/nope:');

    const ok = cli({
      ...common,
      images: 'candidates/a',
      candidate: 'nightly-1',
      'registry-password': PASSWORD,
    });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('version=1.0.0');
    expect(ok.stdout).toMatch(/promoted=\[\{"name":"candidates\/a"/);
    for (const out of [missing, ok]) expect(out.stdout + out.stderr).not.toContain(PASSWORD);
    return tagsOf(registry.host, 'taco/cli/a', `ci:${PASSWORD}`).then((tags) =>
      expect(tags).toEqual(['1.0.0']),
    );
  });
});
