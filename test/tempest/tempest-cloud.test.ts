/**
 * The tempest action's `run` mode against a real cloud: Keystone + Glance on loopback
 * (test/support/openstack-cloud.ts) and real Tempest 33 identity and image API tests. A small
 * selection (7 tests in 5 classes) keeps the file at a few minutes on 2 cores:
 * - one run with rerun of failures: the counts, and a test that really fails (the credentials test
 *   that Debian's security patch breaks: PATCH /v3/credentials may only change `blob`);
 * - the same selection in 2 shards with that failure known: merged, the same tests and outcomes;
 * - a wrong password and a service the catalog lacks: clear errors before Tempest starts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSubunitFile } from '../../actions/lib/subunit/index.js';
import { type ActionRun, runAction } from '../harness/run-action.js';
import { type OpenStackCloud, startOpenStackCloud, tempestConfigFor } from '../support/openstack-cloud.js';

const CREDENTIALS = 'tempest.api.identity.admin.v3.test_credentials.CredentialsTestJSON';
const BROKEN_BY_DEBIAN = `${CREDENTIALS}.test_credentials_create_get_update_delete`;
const SELECTION = [
  // Its sibling test_credentials_list_delete is left out: it fails when it runs after this one.
  'tempest\\.api\\.identity\\.admin\\.v3\\.test_credentials\\.CredentialsTestJSON\\.test_credentials_create_get_update_delete',
  'tempest\\.api\\.identity\\.v3\\.test_tokens\\.TokensV3Test\\.',
  'tempest\\.api\\.image\\.v2\\.test_versions',
  'tempest\\.api\\.image\\.v2\\.test_images_tags\\.ImagesTagsTest',
  'tempest\\.api\\.image\\.v2\\.admin\\.test_images_metadefs_resource_types',
].join('|');
const SELECTED = 7;

let cloud: OpenStackCloud;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tempest-cloud-'));
  cloud = await startOpenStackCloud();
}, 300_000);
afterAll(async () => {
  await cloud?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** A profile naming the cloud's services, as a user would write it for this cloud. */
function profile(name: string, extra: { services?: Record<string, boolean>; known?: boolean } = {}): string {
  const file = path.join(dir, `${name}.yaml`);
  const tempest: Record<string, unknown> = {
    concurrency: 2,
    timeout: '10m',
    config: tempestConfigFor(cloud, extra.services),
  };
  if (extra.known)
    tempest['known-failures'] = [
      {
        regex: BROKEN_BY_DEBIAN.replace(/\./g, '\\.'),
        reason: 'Debian limits PATCH /v3/credentials to blob',
      },
    ];
  writeFileSync(file, stringify({ name, tempest }));
  return file;
}

function runTempest(
  name: string,
  inputs: Record<string, string>,
  password = cloud.admin.password,
): Promise<ActionRun> {
  return runAction('tempest', {
    inputs: {
      regex: SELECTION,
      workspace: path.join(dir, `${name}-ws`),
      'results-dir': path.join(dir, `${name}-results`),
      ...inputs,
    },
    env: { HOME: path.join(dir, 'home'), TEMPEST_ADMIN_PASSWORD: password },
    timeoutMs: 600_000,
  });
}

async function outcomes(file: string): Promise<Map<string, string>> {
  const run = await readSubunitFile(file);
  return new Map(run.tests.map((t) => [t.id.replace(/\[.*\]$/, ''), t.outcome]));
}

describe('tempest run against Keystone + Glance on loopback', () => {
  let single: ActionRun;

  it('runs identity and image tests: right counts, the real failure new, rerun once and still failing', async () => {
    single = await runTempest('single', { profile: profile('cloud'), 'rerun-failed': 'true' });
    expect(single.exitCode, single.stdout).toBe(1);
    expect(single.outputs, single.stdout.slice(-6000)).toMatchObject({
      passed: String(SELECTED - 1),
      failed: '1',
      skipped: '0',
      'new-failures': '1',
      flaky: '0',
    });
    expect(single.stdout).toContain(
      "Keystone's catalog has keystone, glance of the services the profile calls available",
    );
    const failures = single.annotations.filter((a) => a.properties.title === 'Tempest: new failure');
    expect(failures.map((a) => a.message.split(':')[0].replace(/\[.*\]$/, ''))).toEqual([BROKEN_BY_DEBIAN]);
    expect(failures[0].message).toMatch(/BadRequest|400/);
    const rerun = readFileSync(path.join(dir, 'single-results', 'tempest-rerun-tests.txt'), 'utf8');
    expect(
      rerun
        .trim()
        .split('\n')
        .map((id) => id.replace(/\[.*\]$/, '')),
    ).toEqual([BROKEN_BY_DEBIAN]);
    const combined = await readSubunitFile(single.outputs.subunit);
    expect(combined.tests.find((t) => t.id.startsWith(BROKEN_BY_DEBIAN))).toMatchObject({
      outcome: 'fail',
      previous: ['fail'],
    });
    expect(
      single.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::') && l.includes(cloud.admin.password)),
    ).toEqual([]);
  }, 600_000);

  it('in 2 shards with the failure known: each green, and merged the same tests with the same outcomes', async () => {
    const known = profile('cloud-known', { known: true });
    const shards = await Promise.all(
      [0, 1].map((i) =>
        runTempest(`shard-${i}`, {
          profile: known,
          concurrency: '1',
          'shard-count': '2',
          'shard-index': String(i),
        }),
      ),
    );
    for (const shard of shards) expect(shard.exitCode, shard.stdout).toBe(0);
    const sizes = shards.map((s) => Number(s.outputs.passed) + Number(s.outputs.failed));
    expect(sizes.every((n) => n > 0)).toBe(true);
    expect(sizes[0] + sizes[1]).toBe(SELECTED);

    const merged = await runAction('tempest', {
      inputs: {
        mode: 'merge',
        profile: known,
        subunit: shards.map((s) => s.outputs.subunit).join('\n'),
        'results-dir': path.join(dir, 'merged'),
      },
    });
    expect(merged.exitCode, merged.stdout).toBe(0);
    expect(merged.outputs).toMatchObject({ passed: String(SELECTED - 1), failed: '1', 'new-failures': '0' });
    expect(await outcomes(merged.outputs.subunit)).toEqual(
      await outcomes(path.join(dir, 'single-results', 'tempest-raw.subunit')),
    );
  }, 600_000);

  it('a wrong password is one clear error before Tempest starts', async () => {
    const wrong = await runTempest('wrong-password', { profile: profile('cloud') }, 'not-the-password');
    expect(wrong.exitCode).toBe(1);
    const error = wrong.annotations.find((a) => a.level === 'error')!.message;
    expect(error).toMatch(
      new RegExp(
        `cloud\\.yaml:\\d+:\\d+ tempest\\.config\\.identity: Keystone at ${cloud.authUrl.replace(/\./g, '\\.')} refused the admin credentials of user admin in project admin \\(domain Default\\) \\(401: `,
      ),
    );
    expect(wrong.stdout).not.toContain('tempest run');
    expect(
      wrong.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::') && l.includes('not-the-password')),
    ).toEqual([]);
  }, 120_000);

  it('a service the profile calls available that the catalog lacks is a configuration error before Tempest starts', async () => {
    const withNova = profile('with-nova', {
      services: { keystone: true, glance: true, nova: true, cinder: true, swift: false },
    });
    const run = await runTempest('with-nova', { profile: withNova });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')!.message).toMatch(
      /with-nova\.yaml:\d+:\d+ tempest\.config\.services: the profile calls nova \(catalog type compute\), cinder \(catalog type block-storage or volumev3 or volumev2 or volume\) available, but the service catalog of http:\/\/127\.0\.0\.1:\d+\/v3 in region RegionOne has no such service \(it has: identity, image\)/,
    );
    expect(run.stdout).not.toContain('tempest run');
  }, 120_000);
});
