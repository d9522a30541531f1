/**
 * The stage end to end with real tools: a private dockerd, a docker-registry with basic auth and
 * bats-core, run through the domain (main.run with the CLI's context), the bundled action on
 * Node 24 and `taco-ci run`. keystone passes (with a skipped test), horizon fails one bats test,
 * glance fails to build: only keystone may reach the registry.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/kolla-bats/main.js';
import { ExternalError, JobFailure, UserError } from '../../actions/lib/errors.js';
import { parseJUnitXml } from '../support/junit-xml.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { repoRoot, runAction } from '../harness/run-action.js';
import { importBusyboxImage } from '../support/busybox-image.js';
import { type TestDockerd, startDockerd } from '../support/dockerd.js';
import { freePort } from '../support/ports.js';
import { type TestRegistry, startRegistry } from '../support/registry.js';
import { makeWorkspace, registryDigest, registryTags } from './workspace.js';

const USER = 'ci-bot';
const PASSWORD = 'Pa55-kolla-bats-secret';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

let dockerd: TestDockerd;
let registry: TestRegistry;
let workspace: string;

beforeAll(async () => {
  [dockerd, registry] = await Promise.all([
    startDockerd(),
    startRegistry({ username: USER, password: PASSWORD }),
  ]);
  importBusyboxImage('docker', dockerd.env);
  workspace = makeWorkspace();
});

afterAll(async () => {
  await Promise.all([dockerd?.stop(), registry?.stop()]);
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

function cliContext(inputs: Record<string, string>, env: Record<string, string | undefined> = {}) {
  const lines: string[] = [];
  const ctx = terminalContext({
    inputs,
    env: { ...process.env, ...dockerd.env, ...env },
    signal: new AbortController().signal,
    write: (text) => lines.push(text),
    workspace,
    tempDir: workspace,
  });
  return { ctx, output: () => lines.join('') };
}

const dockerImages = () =>
  execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], {
    env: { ...process.env, ...dockerd.env },
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean)
    .sort();

describe('kolla-bats with docker', () => {
  it('builds, tests and pushes only the image whose suites pass', async () => {
    const { ctx, output } = cliContext({
      profile: 'local',
      mode: 'dockerfile',
      context: 'images',
      images: 'keystone, horizon, glance',
      registry: `${registry.host}/taco/candidates`,
      'registry-username': USER,
      'registry-password': PASSWORD,
      tag: 'feature-x-0123456-7',
    });
    const error = await run(ctx).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(JobFailure);
    expect((error as Error).message).toContain(
      '2 of 3 images did not pass: horizon (1 bats test failed); glance (docker build exited with code 3)',
    );

    // Only keystone reached the registry, with the digest the registry reports.
    const images = JSON.parse(ctx.outputs.images) as {
      name: string;
      ref: string;
      digest: string;
      tests: Record<string, number>;
    }[];
    expect(images.map((i) => i.name)).toEqual(['keystone']);
    expect(images[0].ref).toBe(`${registry.host}/taco/candidates/keystone:feature-x-0123456-7`);
    expect(images[0].tests).toEqual({ passed: 4, failed: 0, skipped: 1 });
    expect(images[0].digest).toBe(
      await registryDigest(registry.url, 'taco/candidates/keystone', 'feature-x-0123456-7', BASIC),
    );
    expect(await registryTags(registry.url, 'taco/candidates/keystone', BASIC)).toEqual({
      status: 200,
      tags: ['feature-x-0123456-7'],
    });
    expect((await registryTags(registry.url, 'taco/candidates/horizon', BASIC)).status).toBe(404);
    expect((await registryTags(registry.url, 'taco/candidates/glance', BASIC)).status).toBe(404);
    expect(ctx.outputs.passed).toBe('false');

    // The failing test is annotated at its .bats file and line; the build failure at the Dockerfile.
    const log = output();
    expect(log).toContain(
      `error: ${path.join('images', 'tests', 'horizon.bats')}:13: horizon: horizon runs as the kolla user`,
    );
    expect(log).toMatch(/expected the image to run as user 'kolla', but it runs as 'root'/);
    expect(log).toContain(
      `error: ${path.join('images', 'glance', 'Dockerfile')}: Image glance failed to build`,
    );
    expect(log).toContain('fetching glance sources');
    expect(log).not.toContain(PASSWORD);

    // JUnit: one suite per tested image, the skip and the failure with their locations.
    const junit = parseJUnitXml(readFileSync(ctx.outputs.junit, 'utf8'));
    const byName = Object.fromEntries(junit.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['glance', 'horizon', 'keystone']);
    expect(byName.keystone.cases.map((c) => c.status)).toEqual([
      'passed',
      'passed',
      'passed',
      'skipped',
      'passed',
    ]);
    const failed = byName.horizon.cases.find((c) => c.status === 'failed')!;
    expect(failed).toMatchObject({
      name: 'horizon runs as the kolla user',
      file: path.join('images', 'tests', 'horizon.bats'),
      line: 13,
    });
    expect(byName.glance.cases).toMatchObject([{ name: 'build', status: 'error' }]);

    // The summary has the per-image table and the per-test table.
    const summary = ctx.summary.join('\n');
    expect(summary).toContain('kolla-bats: 1 of 3 images passed');
    expect(summary).toMatch(
      /\| horizon runs as the kolla user \| ❌ failed \| images\/tests\/horizon\.bats:13 \|/,
    );
    expect(summary).toMatch(
      /\| keystone answers on its port \| ⏭️ skipped \|.*\| needs a database: covered by the deploy stage \|/,
    );
  });

  it('drives kolla-build (a fake standing in for it) from a kolla-mode profile', async () => {
    // A wrapper repository: its own kolla-build.conf, a template override, Dockerfiles and suites.
    writeFileSync(path.join(workspace, 'kolla-build.conf'), '[DEFAULT]\nbase = ubuntu\n');
    mkdirSync(path.join(workspace, 'overrides'), { recursive: true });
    writeFileSync(
      path.join(workspace, 'overrides', 'template-overrides.j2'),
      '{% extends parent_template %}\n',
    );
    const profile = path.join(workspace, 'kolla-profile.yaml');
    writeFileSync(
      profile,
      [
        'extends: ' + path.join(repoRoot, 'profiles', 'local.yaml'),
        'kolla:',
        '  mode: kolla',
        '  context: .',
        '  tests: images/tests/{image}.bats',
        "  images: ['^keystone$', '^horizon$', '^glance']",
        '  kolla-build:',
        `    command: ${path.join(repoRoot, 'test', 'fakes', 'kolla-bats', 'kolla-build')}`,
        '    config-file: kolla-build.conf',
        '    docker-dirs: [images]',
        '    template-overrides: [overrides/template-overrides.j2]',
        '    skip-parents: true',
        '',
      ].join('\n'),
    );
    const { ctx, output } = cliContext({
      profile,
      registry: `${registry.host}/kolla-ns`,
      'registry-username': USER,
      'registry-password': PASSWORD,
      tag: 'kolla-1',
    });
    const error = await run(ctx).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(JobFailure);
    expect((error as Error).message).toContain(
      '2 of 3 images did not pass: glance (kolla-build reports status error); horizon (1 bats test failed)',
    );
    const images = JSON.parse(ctx.outputs.images) as { name: string; ref: string; digest: string }[];
    expect(images).toMatchObject([{ name: 'keystone', ref: `${registry.host}/kolla-ns/keystone:kolla-1` }]);
    expect(images[0].digest).toBe(await registryDigest(registry.url, 'kolla-ns/keystone', 'kolla-1', BASIC));
    expect((await registryTags(registry.url, 'kolla-ns/horizon', BASIC)).status).toBe(404);
    const log = output();
    expect(log).toMatch(
      /\$ \S+\/kolla-build --config-file \S+\/kolla-build\.conf --config-file \S+\/kolla-build\.conf '\^keystone\$' '\^horizon\$' '\^glance'/,
    );
    expect(log).toContain('▶ Build log glance');
    expect(log).toContain('Image glance failed to build: kolla-build reports status error');
    expect(log).toContain('fetching glance sources');
    expect(log).toContain(
      `error: ${path.join('images', 'tests', 'horizon.bats')}:13: horizon: horizon runs as the kolla user`,
    );
  });

  it('rejects bad input before building anything', async () => {
    const before = dockerImages();
    const base = {
      profile: 'local',
      mode: 'dockerfile',
      context: 'images',
      registry: `${registry.host}/taco`,
      'registry-username': USER,
      'registry-password': PASSWORD,
      tag: 'v1',
    };
    const attempt = async (inputs: Record<string, string>, env: Record<string, string | undefined> = {}) => {
      const { ctx } = cliContext({ ...base, ...inputs }, env);
      return run(ctx).catch((err: unknown) => err as Error);
    };
    const unknown = await attempt({ images: 'keystone, nova-api' });
    expect(unknown).toBeInstanceOf(UserError);
    expect(unknown?.message).toMatch(/unknown image "nova-api".*Images in .*: glance, horizon, keystone/s);

    const noTests = await attempt({ images: 'keystone', tests: 'suites/{image}.bats' });
    expect(noTests).toBeInstanceOf(UserError);
    expect(noTests?.message).toMatch(/tests directory .*images\/suites does not exist/);

    const engineDown = await attempt(
      { images: 'keystone' },
      { DOCKER_HOST: `unix://${path.join(workspace, 'no-such.sock')}` },
    );
    expect(engineDown).toBeInstanceOf(UserError);
    expect(engineDown?.message).toMatch(/Container engine docker is not running or not reachable/);

    const closedPort = await freePort();
    const unreachable = await attempt({ images: 'keystone', registry: `127.0.0.1:${closedPort}/taco` });
    expect(unreachable).toBeInstanceOf(ExternalError);
    expect(unreachable?.message).toMatch(
      new RegExp(`Registry http://127.0.0.1:${closedPort} is unreachable: .*ECONNREFUSED`),
    );

    const badPassword = await attempt({ images: 'keystone', 'registry-password': 'wrong' });
    expect(badPassword?.message).toMatch(/rejected the credentials of user "ci-bot"/);

    const noCredentials = await attempt({
      images: 'keystone',
      'registry-username': '',
      'registry-password': '',
    });
    expect(noCredentials?.message).toMatch(/requires credentials \(401\)/);

    expect(dockerImages()).toEqual(before);
  });

  it('runs as the bundled action on Node 24 and through taco-ci', async () => {
    const env = { ...dockerd.env, PATH: process.env.PATH };
    const inputs = {
      profile: 'local',
      context: 'images',
      images: 'keystone',
      registry: `${registry.host}/taco`,
      'registry-username': USER,
      'registry-password': PASSWORD,
    };
    const action = await runAction('kolla-bats', { node: '24', cwd: workspace, inputs, env });
    expect(action.stderr).toBe('');
    expect(action.exitCode).toBe(0);
    // The harness runs main at sha 0123456… on main, run 1: the default candidate tag.
    const images = JSON.parse(action.outputs.images) as { name: string; ref: string; digest: string }[];
    expect(images).toMatchObject([
      { name: 'keystone', ref: `${registry.host}/taco/keystone:main-0123456-1` },
    ]);
    expect(images[0].digest).toBe(
      await registryDigest(registry.url, 'taco/keystone', 'main-0123456-1', BASIC),
    );
    expect(action.outputs.passed).toBe('true');
    expect(existsSync(action.outputs.junit)).toBe(true);
    expect(action.stdout).toContain('::group::Build keystone');
    expect(action.stdout).toContain(`::add-mask::${PASSWORD}`);
    expect(action.stdout.replace(`::add-mask::${PASSWORD}`, '')).not.toContain(PASSWORD);
    expect(action.summary).toContain('kolla-bats: 1 of 1 image passed');

    // taco-ci: the failing image makes the job fail (exit 1) and reports it.
    const cli = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          path.join(repoRoot, 'bin', 'taco-ci.js'),
          'run',
          'kolla-bats',
          '--profile',
          'local',
          '--input',
          'context=images',
          '--input',
          'images=horizon',
          '--input',
          `registry=${registry.host}/taco`,
          '--input',
          `registry-username=${USER}`,
          '--input',
          `registry-password=${PASSWORD}`,
          '--input',
          'tag=cli-1',
        ],
        { cwd: workspace, env: { ...process.env, ...dockerd.env } },
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
      child.stdin.end();
    }).catch((err: unknown) => ({ code: -1, out: String(err) }));
    expect(cli.out).toContain(
      `error: ${path.join('images', 'tests', 'horizon.bats')}:13: horizon: horizon runs as the kolla user`,
    );
    expect(cli.out).toContain('kolla-bats: 1 of 1 images did not pass: horizon (1 bats test failed)');
    expect(cli.code).toBe(1);
    expect((await registryTags(registry.url, 'taco/horizon', BASIC)).status).toBe(404);
  });
});
