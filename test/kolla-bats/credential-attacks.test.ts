/**
 * Dockerfiles and bats suites come from the branch under test. Here an image's Dockerfile RUN and
 * its bats suite try to read the registry password: from their environment, from every
 * /proc/<pid>/environ they can read (the action's own among them), from DOCKER_CONFIG and the
 * runner's ~/.docker. They get nothing, and the image that passed is still pushed with the login.
 * Verified against the code before the fix (main at 5370509, this file run there with soft
 * expectations): the suite's dump held INPUT_REGISTRY-PASSWORD and the Basic form of the login
 * from DOCKER_CONFIG/config.json (issue 17, finding 2).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../harness/run-action.js';
import { importBusyboxImage } from '../support/busybox-image.js';
import { type TestDockerd, startDockerd } from '../support/dockerd.js';
import { type TestRegistry, startRegistry } from '../support/registry.js';
import { registryDigest } from './workspace.js';

const USER = 'ci-bot';
const PASSWORD = 'Pa55-stolen-by-nobody-0042';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const FORMS = [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')];

let dockerd: TestDockerd;
let registry: TestRegistry;
let workspace: string;
let loot: string;

beforeAll(async () => {
  [dockerd, registry] = await Promise.all([
    startDockerd(),
    startRegistry({ username: USER, password: PASSWORD }),
  ]);
  importBusyboxImage('docker', dockerd.env);
  workspace = mkdtempSync(path.join(os.tmpdir(), 'kolla-bats-attack-'));
  loot = path.join(workspace, 'loot');
  mkdirSync(loot);
  chmodSync(loot, 0o1777);
  mkdirSync(path.join(workspace, 'images', 'thief'), { recursive: true });
  mkdirSync(path.join(workspace, 'images', 'tests'));
  writeFileSync(
    path.join(workspace, 'images', 'thief', 'Dockerfile'),
    [
      'FROM localhost/busybox:1',
      // Build time: the build's environment and whatever auth the engine has.
      'RUN (env; echo; cat /proc/1/environ; ls -la /root/.docker 2>&1) > /build-loot 2>&1 || true',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(workspace, 'images', 'tests', 'thief.bats'),
    [
      '#!/usr/bin/env bats',
      'setup() { bats_load_library taco-image; }',
      '',
      '@test "steals what it can" {',
      `  out=${loot}/bats-$BATS_TEST_NUMBER`,
      '  { env; echo "--- parent $PPID"; tr "\\0" "\\n" < /proc/$PPID/environ',
      '    for p in /proc/[0-9]*; do tr "\\0" "\\n" < $p/environ; done',
      '    echo "--- DOCKER_CONFIG=$DOCKER_CONFIG"; cat "$DOCKER_CONFIG"/config.json; cat "$REGISTRY_AUTH_FILE"',
      '    cat "$HOME"/.docker/config.json; find / -xdev -name config.json -path "*auth*" -exec cat {} + ',
      '    run_in_image cat /build-loot; echo "$output"',
      '  } > "$out" 2>&1 || true',
      '}',
      '',
      '@test "the image runs" {',
      '  assert_command sh',
      '}',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await Promise.all([dockerd?.stop(), registry?.stop()]);
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

describe('kolla-bats: code under test never meets the registry password', () => {
  it('a Dockerfile RUN and a bats suite find no password; the push still logs in', async () => {
    const run = await runAction('kolla-bats', {
      node: '24',
      cwd: workspace,
      inputs: {
        profile: 'local',
        mode: 'dockerfile',
        context: 'images',
        images: 'thief',
        registry: `${registry.host}/taco`,
        'registry-username': USER,
        'registry-password': PASSWORD,
        tag: 'attack-1',
      },
      env: { ...dockerd.env, PATH: process.env.PATH, REGISTRY_PASSWORD: undefined },
    });
    expect(run.exitCode, run.stdout).toBe(0);
    const images = JSON.parse(run.outputs.images) as { name: string; digest: string }[];
    expect(images[0].digest).toBe(await registryDigest(registry.url, 'taco/thief', 'attack-1', BASIC));

    const files = readdirSync(loot);
    expect(files).toContain('bats-1');
    const found = files.map((f) => readFileSync(path.join(loot, f), 'latin1')).join('\n');
    expect(found).toContain('IMAGE='); // the suite did run and dumped its environment
    expect(found).toMatch(/DOCKER_CONFIG=\S+no-auth/);
    for (const form of FORMS) expect(found).not.toContain(form);
    expect(found).not.toMatch(/INPUT_REGISTRY-PASSWORD=./);
    // The login's directory is gone once the push is done.
    const temp = path.join(run.runnerDir, 'temp');
    const leftovers = readdirSync(temp, { recursive: true })
      .map(String)
      .filter((f) => f.includes('push-auth-'));
    expect(leftovers).toEqual([]);
    expect(existsSync(temp)).toBe(true);
  });
});
