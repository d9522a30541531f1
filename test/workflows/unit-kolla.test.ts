/**
 * unit-kolla.yml end to end with the built-in local profile: the caller's repository holds the
 * example Dockerfile images and bats suites, a private dockerd builds them, bats-core tests them,
 * and the image that passed is pushed to a real docker-registry with the workflow's secrets.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, registryDigest } from '../kolla-bats/workspace.js';
import { importBusyboxImage } from '../support/busybox-image.js';
import { startDockerd, type TestDockerd } from '../support/dockerd.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { localProfile, runLocalWorkflow } from './support.js';

const USER = 'ci-bot';
const PASSWORD = 'Pa55-unit-kolla-secret';
let dockerd: TestDockerd;
let registry: TestRegistry;
let site: string;

beforeAll(async () => {
  [dockerd, registry] = await Promise.all([
    startDockerd(),
    startRegistry({ username: USER, password: PASSWORD }),
  ]);
  importBusyboxImage('docker', dockerd.env);
  site = makeWorkspace();
}, 120_000);
afterAll(async () => {
  await Promise.all([dockerd?.stop(), registry?.stop()]);
  if (site) rmSync(site, { recursive: true, force: true });
});

describe('unit-kolla.yml with the local profile', () => {
  it('builds and tests the images, pushes the one that passed and keeps the JUnit report', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'unit-kolla-workflow-'));
    const profile = localProfile(dir, { registry: { url: `${registry.host}/taco`, insecure: true } });
    const run = await runLocalWorkflow('unit-kolla', {
      inputs: {
        profile,
        mode: 'dockerfile',
        context: 'images',
        images: 'keystone\nhorizon',
        engine: 'docker',
      },
      secrets: { REGISTRY_USERNAME: USER, REGISTRY_PASSWORD: PASSWORD },
      callerRepo: site,
      env: dockerd.env,
    });
    // horizon's bats suite fails (it runs as root): the job fails, keystone is pushed all the same.
    expect(run.jobs.images.result, run.log).toBe('failure');
    expect(run.outputs.passed).toBe('false');
    const images = JSON.parse(run.outputs.images) as { name: string; ref: string; digest: string }[];
    expect(images.map((i) => i.name)).toEqual(['keystone']);
    const [repository, tag] = images[0].ref.replace(`${registry.host}/`, '').split(':');
    const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    expect(await registryDigest(registry.url, repository, tag, basic)).toBe(images[0].digest);
    expect(readdirSync(path.join(run.artifactsDir, 'kolla-bats-junit'))).toHaveLength(1);
    expect(run.log).not.toContain(PASSWORD);
  });
});
