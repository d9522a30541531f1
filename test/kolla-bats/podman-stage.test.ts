/**
 * The podman path with real tools: rootful podman in a sandbox (test/support/podman.ts), a
 * docker-registry with basic auth, bats-core. keystone passes and is pushed; horizon fails a test.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/kolla-bats/main.js';
import { JobFailure } from '../../actions/lib/errors.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { importBusyboxImage } from '../support/busybox-image.js';
import { type TestPodman, podmanAvailable, startPodman } from '../support/podman.js';
import { type TestRegistry, startRegistry } from '../support/registry.js';
import { makeWorkspace, registryDigest, registryTags } from './workspace.js';

const USER = 'ci-bot';
const PASSWORD = 'podman-secret-9f2';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

let podman: TestPodman;
let registry: TestRegistry;
let workspace: string;

describe.runIf(podmanAvailable())('kolla-bats with podman', () => {
  beforeAll(async () => {
    podman = startPodman();
    registry = await startRegistry({ username: USER, password: PASSWORD });
    importBusyboxImage('podman', podman.env);
    workspace = makeWorkspace();
  });

  afterAll(async () => {
    await Promise.all([podman?.stop(), registry?.stop()]);
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('builds with podman, tests with ENGINE=podman and pushes only the passing image', async () => {
    const lines: string[] = [];
    const ctx = terminalContext({
      inputs: {
        profile: 'local',
        mode: 'dockerfile',
        engine: 'podman',
        context: 'images',
        images: 'keystone,horizon',
        registry: `${registry.host}/taco`,
        'registry-username': USER,
        'registry-password': PASSWORD,
        tag: 'podman-1',
      },
      env: { ...process.env, ...podman.env },
      signal: new AbortController().signal,
      write: (text) => lines.push(text),
      workspace,
      tempDir: workspace,
    });
    const error = await run(ctx).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(JobFailure);
    expect((error as Error).message).toContain('1 of 2 images did not pass: horizon (1 bats test failed)');
    const images = JSON.parse(ctx.outputs.images) as {
      name: string;
      ref: string;
      digest: string;
      tests: Record<string, number>;
    }[];
    expect(images).toMatchObject([
      {
        name: 'keystone',
        ref: `${registry.host}/taco/keystone:podman-1`,
        tests: { passed: 4, failed: 0, skipped: 1 },
      },
    ]);
    expect(images[0].digest).toBe(await registryDigest(registry.url, 'taco/keystone', 'podman-1', BASIC));
    expect(await registryTags(registry.url, 'taco/keystone', BASIC)).toEqual({
      status: 200,
      tags: ['podman-1'],
    });
    expect((await registryTags(registry.url, 'taco/horizon', BASIC)).status).toBe(404);
    expect(lines.join('')).toContain(
      'error: images/tests/horizon.bats:13: horizon: horizon runs as the kolla user',
    );
    expect(lines.join('')).not.toContain(PASSWORD);
  });
});
