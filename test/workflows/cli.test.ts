/**
 * `taco-ci workflow run` as a user runs it: mirror-sync.yml with the local profile's kolla mirror
 * pointed at real file:// repositories, the secret from the environment; bad inputs exit 2.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repos } from '../mirror-sync/repos.js';
import { freePort } from '../support/ports.js';
import { taco } from '../support/taco-cli.js';
import { localProfile } from './support.js';

let repos: Repos;
let profile: string;
let site: string;

beforeAll(() => {
  repos = new Repos();
  repos.commit('master');
  repos.pushUpstream('master');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'workflow-cli-'));
  site = path.join(dir, 'site');
  mkdirSync(site);
  profile = localProfile(dir, {
    mirrors: {
      'cache-dir': path.join(dir, 'cache'),
      repos: { kolla: { upstream: `file://${repos.upstream}`, mirror: `file://${repos.mirror}` } },
    },
  });
});
afterAll(() => repos?.remove());

describe('taco-ci workflow run', () => {
  it('runs the jobs, prints their results and exits 0; the secret comes from the environment', () => {
    const result = taco(
      [
        'workflow',
        'run',
        'mirror-sync',
        '--profile',
        profile,
        '--input',
        'mirrors=["kolla"]',
        '--secret',
        'MIRROR_TOKEN',
        '--repo',
        site,
      ],
      { env: { MIRROR_TOKEN: 'ghp_cliToken_777' } },
    );
    expect(result.stderr).toBe('');
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('── jobs ──\nlist: success\ngate: success\nsync: success\n');
    expect(result.stdout).not.toContain('ghp_cliToken_777');
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));
  });

  it('exits 2 on an input the workflow does not declare, a missing required secret, an unknown workflow', () => {
    const typo = taco(['workflow', 'run', 'mirror-sync', '--profile', profile, '--input', 'dryrun=true']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(
      /mirror-sync\.yml: no input dryrun \(workflow_call declares: profile, mirrors, runs-on, dry-run, actions-ref\)/,
    );
    const secret = taco(['workflow', 'run', 'mirror-sync', '--profile', profile]);
    expect(secret.code).toBe(2);
    expect(secret.stderr).toMatch(/secret MIRROR_TOKEN is required/);
    const unknown = taco(['workflow', 'run', 'nigthly']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/workflow nigthly: no such file/);
  });

  it('nightly without its services: exit 1, the unreachable service named, no stack trace', async () => {
    // The local profile with its registry on a closed loopback port (5000 may be someone's registry here).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'workflow-cli-nightly-'));
    const closed = await freePort();
    const site = path.join(dir, 'site');
    mkdirSync(site);
    execFileSync('git', ['init', '--quiet', site]);
    const noServices = localProfile(dir, { registry: { url: `127.0.0.1:${closed}/taco`, insecure: true } });
    const result = taco([
      'workflow',
      'run',
      'nightly',
      '--profile',
      noServices,
      '--repo',
      site,
      '--work-dir',
      path.join(dir, 'run'),
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toContain(`::error::GET http://127.0.0.1:${closed}/v2/: connect ECONNREFUSED`);
    expect(result.stdout).toMatch(/── jobs ──\ncandidate: failure\ndeploy: skipped\n/);
    expect(result.stderr).toMatch(/^failed: workflow nightly failed: candidate \(failure\)/m);
    expect(result.stdout + result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
