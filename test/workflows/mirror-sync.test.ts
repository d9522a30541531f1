/**
 * mirror-sync.yml end to end with the built-in local profile, its two mirrors pointed at this
 * test's real git repositories: kolla over file:// with the profile's gate, openstack-helm over
 * HTTP (git http-backend) with the mirror token, one matrix job each.
 */
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repos } from '../mirror-sync/repos.js';
import { startGitHttpServer, type GitHttpServer } from '../support/git-http-server.js';
import { localProfile, runLocalWorkflow } from './support.js';

const TOKEN = 'ghp_mirrorWorkflowToken_4242';
let kolla: Repos;
let helm: Repos;
let server: GitHttpServer;

beforeAll(async () => {
  kolla = new Repos();
  helm = new Repos();
  server = await startGitHttpServer({ root: helm.dir, token: TOKEN });
  for (const repos of [kolla, helm]) {
    repos.commit('master');
    repos.commit('stable/2025.1');
    repos.pushUpstream('master', 'stable/2025.1');
  }
});
afterAll(async () => {
  await server?.stop();
  kolla?.remove();
  helm?.remove();
});

describe('mirror-sync.yml with the local profile', () => {
  it('lists the mirrors, gates and then syncs each in its own jobs and keeps a report per mirror', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mirror-workflow-'));
    const profile = localProfile(dir, {
      mirrors: {
        'cache-dir': path.join(dir, 'cache'),
        repos: {
          kolla: { upstream: `file://${kolla.upstream}`, mirror: `file://${kolla.mirror}` },
          'openstack-helm': { upstream: `${server.url}/upstream.git`, mirror: `${server.url}/mirror.git` },
        },
      },
    });
    // The caller's repository, which every job that reads a profile checks out first.
    const site = path.join(dir, 'site');
    mkdirSync(site);
    const run = await runLocalWorkflow('mirror-sync', {
      inputs: { profile },
      callerRepo: site,
      // The gate job reads the private mirror with the read token; only the sync job gets MIRROR_TOKEN.
      secrets: { MIRROR_TOKEN: TOKEN, MIRROR_READ_TOKEN: TOKEN, UPSTREAM_TOKEN: TOKEN },
    });
    expect(run.result, run.log).toBe('success');
    expect(JSON.parse(run.jobs.list.outputs.mirrors)).toEqual(['kolla', 'openstack-helm']);
    expect(run.jobs.gate.runs.map((r) => [r.matrix.mirror, r.result])).toEqual([
      ['kolla', 'success'],
      ['openstack-helm', 'success'],
    ]);
    expect(run.jobs.sync.runs.map((r) => [r.matrix.mirror, r.result])).toEqual([
      ['kolla', 'success'],
      ['openstack-helm', 'success'],
    ]);
    for (const repos of [kolla, helm]) expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));
    expect(readdirSync(run.artifactsDir).sort()).toEqual([
      'mirror-sync-gate-kolla',
      'mirror-sync-gate-openstack-helm',
      'mirror-sync-kolla',
      'mirror-sync-openstack-helm',
    ]);
    expect(run.log).not.toContain(TOKEN);
  });
});
