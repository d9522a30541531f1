/**
 * promote.yml end to end with the built-in local profile (its registry and ledger replaced by this
 * test's): a candidate release artifact and a passing nightly for it, made by the promote-version
 * bundle as nightly.yml makes them, then the workflow promotes the release to 1.0.0.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory } from '../../actions/lib/history/index.js';
import { runAction } from '../harness/run-action.js';
import { deployedRelease, MANIFEST, pushCandidateCharts } from '../promote-version/support/release-world.js';
import { pushCandidates } from '../promote-version/support/world.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { localProfile, runLocalWorkflow } from './support.js';

let registry: TestRegistry;
let dir: string;
let profile: string;
let history: string;
/** The caller's repository, which the promote job checks out before it reads the profile. */
let site: string;

beforeAll(async () => {
  registry = await startRegistry();
  dir = mkdtempSync(path.join(os.tmpdir(), 'promote-workflow-'));
  site = path.join(dir, 'site');
  mkdirSync(site);
  history = path.join(dir, 'ledger.jsonl');
  await pushCandidates(registry.host, 'taco', ['nightly-1', 'nightly-2'], { images: ['a', 'b'] });
  await pushCandidateCharts(registry.host, 'taco', 'nightly-1');
  profile = localProfile(dir, {
    registry: { url: `${registry.host}/taco`, insecure: true },
    promote: {
      images: ['candidates/a', 'candidates/b'],
      charts: ['keystone', 'glance'],
      manifest: MANIFEST,
      history,
      'target-prefix': 'release',
    },
  });
  const steps = [
    { mode: 'candidate-release' },
    // A nightly that deployed that release and passed every stage.
    async () => ({
      mode: 'record-nightly',
      deployed: await deployedRelease(registry.host, 'taco', 'nightly-1'),
      'deploy-result': 'success',
      'tempest-result': 'success',
      'chaos-result': 'success',
    }),
  ];
  for (const step of steps) {
    const inputs = typeof step === 'function' ? await step() : step;
    const run = await runAction('promote-version', {
      node: '24',
      inputs: { profile, candidate: 'nightly-1', ...inputs },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
  }
}, 300_000);
afterAll(async () => {
  await registry?.stop();
});

describe('promote.yml with the local profile', () => {
  it('promotes the release artifact of a candidate with a passing nightly', async () => {
    const run = await runLocalWorkflow('promote', {
      inputs: { profile, candidate: 'nightly-1' },
      callerRepo: site,
    });
    expect(run.result, run.log).toBe('success');
    expect(run.outputs.version).toBe('1.0.0');
    expect(JSON.parse(run.outputs.release).ref).toBe(`${registry.host}/taco/taco-release:1.0.0`);
    const ledger = await readHistory({ kind: 'file', path: history });
    expect(ledger.map((e) => [e.kind, e.status])).toEqual([
      ['nightly', 'passed'],
      ['promotion', 'complete'],
    ]);
  });

  it('refuses a candidate without a passing nightly, promoting nothing', async () => {
    const run = await runLocalWorkflow('promote', {
      inputs: { profile, candidate: 'nightly-2' },
      callerRepo: site,
    });
    expect(run.jobs.promote.result).toBe('failure');
    expect(run.log).toContain('Refusing to promote nightly-2: require-nightly needs a passing nightly run');
    expect(
      (await readHistory({ kind: 'file', path: history })).filter((e) => e.kind === 'promotion'),
    ).toHaveLength(1);
  });
});
