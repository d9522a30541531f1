/**
 * Real Rally OpenStack scenarios (rally-openstack 2.2) against a real Keystone + Glance on loopback
 * (test/support/openstack-cloud.ts): helm-rally's `rally` mode and cookiemonster's Rally load, both
 * through the profile's rally.deployment (admin and an existing member user, secrets from the
 * environment). Rally's cleanup removes what the scenarios created; an SLA failure is provoked for
 * real with users created in a domain that does not exist.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosReport } from '../../actions/cookiemonster/report.js';
import { FakeKubeApi } from '../fakes/kube-api.js';
import { runAction } from '../harness/run-action.js';
import { authBody, type OpenStackCloud, startOpenStackCloud } from '../support/openstack-cloud.js';

let cloud: OpenStackCloud;
let dir: string;
let profile: string;
let secrets: Record<string, string>;

function task(
  name: string,
  workloads: { title: string; scenario: Record<string, unknown>; times: number }[],
) {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      version: 2,
      title: name,
      subtasks: workloads.map((w) => ({
        title: w.title,
        workloads: [
          {
            scenario: w.scenario,
            runner: { constant: { times: w.times, concurrency: 2 } },
            sla: { failure_rate: { max: 0 } },
          },
        ],
      })),
    }),
  );
  return file;
}

/** Log lines that show a password (the runner's own ::add-mask:: commands aside). */
function leaked(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter(
      (line) => !line.startsWith('::add-mask::') && Object.values(secrets).some((s) => line.includes(s)),
    );
}

/** Names of Keystone users (as admin): what Rally's cleanup must leave as it found it. */
async function keystoneUsers(): Promise<string[]> {
  const login = await fetch(`${cloud.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(authBody(cloud.admin)),
  });
  await login.arrayBuffer();
  const res = await fetch(`${cloud.authUrl}/users`, {
    headers: { 'x-auth-token': login.headers.get('x-subject-token')! },
  });
  return ((await res.json()) as { users: { name: string }[] }).users.map((u) => u.name).sort();
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rally-openstack-'));
  cloud = await startOpenStackCloud();
  secrets = { RALLY_ADMIN_PASSWORD: cloud.admin.password, RALLY_MEMBER_PASSWORD: cloud.member.password };
  profile = path.join(dir, 'cloud.yaml');
  writeFileSync(
    profile,
    stringify({
      name: 'loopback-cloud',
      rally: {
        timeout: '10m',
        deployment: {
          name: 'loopback',
          spec: {
            openstack: {
              auth_url: cloud.authUrl,
              region_name: cloud.region,
              endpoint_type: 'public',
              admin: { ...cloud.admin, password: { env: 'RALLY_ADMIN_PASSWORD' } },
              users: [{ ...cloud.member, password: { env: 'RALLY_MEMBER_PASSWORD' } }],
            },
          },
        },
      },
    }),
  );
  writeFileSync(path.join(dir, 'image.raw'), Buffer.alloc(4096, 1));
}, 300_000);
afterAll(async () => {
  await cloud?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('Rally OpenStack scenarios against Keystone + Glance on loopback', () => {
  it('helm-rally rally mode: KeystoneBasic and GlanceImages pass their SLA, and cleanup leaves no users behind', async () => {
    const before = await keystoneUsers();
    const run = await runAction('helm-rally', {
      cwd: dir,
      inputs: {
        profile,
        mode: 'rally',
        publish: 'false',
        task: task('pass', [
          { title: 'users', scenario: { 'KeystoneBasic.create_and_list_users': {} }, times: 4 },
          {
            title: 'tenants',
            scenario: { 'KeystoneBasic.create_tenant_with_users': { users_per_tenant: 1 } },
            times: 2,
          },
          {
            title: 'images',
            scenario: {
              'GlanceImages.create_and_delete_image': {
                image_location: path.join(dir, 'image.raw'),
                container_format: 'bare',
                disk_format: 'raw',
              },
            },
            times: 2,
          },
        ]),
      },
      env: secrets,
      timeoutMs: 900_000,
    });
    expect(run.exitCode, run.stdout.slice(-4000)).toBe(0);
    expect(run.outputs['sla-passed']).toBe('true');
    expect(run.summary).toContain('`KeystoneBasic.create_and_list_users` | constant 4×2 | 4/4 |');
    expect(run.summary).toContain('`GlanceImages.create_and_delete_image` | constant 2×2 | 2/2 |');
    expect(leaked(run.stdout)).toEqual([]);
    expect(await keystoneUsers()).toEqual(before);
  }, 900_000);

  it('an SLA that fails for real: users in a domain that does not exist', async () => {
    const run = await runAction('helm-rally', {
      cwd: dir,
      inputs: {
        profile,
        mode: 'rally',
        publish: 'false',
        task: task('fail', [
          {
            title: 'no such domain',
            scenario: { 'KeystoneBasic.create_user': { domain_name: 'no-such-domain' } },
            times: 2,
          },
        ]),
      },
      env: secrets,
      timeoutMs: 600_000,
    });
    expect(run.exitCode, run.stdout.slice(-4000)).toBe(1);
    expect(run.outputs['sla-passed']).toBe('false');
    const errors = run.annotations.filter((a) => a.level === 'error');
    expect(errors.map((a) => a.properties.title)).toContain(
      'KeystoneBasic.create_user: 2 of 2 iterations failed',
    );
    expect(errors.map((a) => a.message).join('\n')).toMatch(/no-such-domain/);
    expect(errors.at(-1)!.message).toMatch(/^Rally SLA failed .*1 of 1 workloads failed their SLA/);
  }, 600_000);

  it('a spec key rally-openstack does not know is one located error before Rally starts', async () => {
    const typo = path.join(dir, 'typo.yaml');
    writeFileSync(
      typo,
      readFileSync(profile, 'utf8').replace('endpoint_type: public', 'endpoint_typ: public'),
    );
    const run = await runAction('helm-rally', {
      cwd: dir,
      inputs: { profile: typo, mode: 'rally', publish: 'false', task: task('never', []) },
      env: secrets,
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')!.message).toMatch(
      /typo\.yaml:\d+:\d+ rally\.deployment\.spec\.openstack: rally-openstack does not know endpoint_typ /,
    );
  }, 120_000);

  it("cookiemonster's Rally load runs KeystoneBasic against the profile's cloud while pods are killed", async () => {
    const api = await FakeKubeApi.start();
    try {
      api.addWorkload({
        kind: 'Deployment',
        namespace: 'openstack',
        name: 'keystone-api',
        replicas: 2,
        labels: { application: 'keystone' },
        readyDelayMs: 150,
      });
      const run = await runAction('cookiemonster', {
        cwd: dir,
        inputs: {
          profile,
          kubeconfig: api.kubeconfig,
          namespaces: 'openstack',
          targets: stringify([{ kind: 'Deployment', selector: 'application=keystone' }]),
          duration: '2s',
          interval: '500ms',
          seed: 'cloud',
          'recovery-timeout': '30s',
          'rally-task': task('load', [
            {
              title: 'load',
              scenario: { 'KeystoneBasic.authenticate_user_and_validate_token': {} },
              times: 4,
            },
          ]),
        },
        env: secrets,
        timeoutMs: 600_000,
      });
      expect(run.exitCode, run.stdout.slice(-4000)).toBe(0);
      const report = JSON.parse(readFileSync(run.outputs.report, 'utf8')) as ChaosReport;
      expect(report.rally).toMatchObject({ slaPassed: true, iterations: 4, failedIterations: [] });
      expect(run.stdout).toMatch(/rally │ .*env create --name loopback/);
      expect(leaked(run.stdout)).toEqual([]);
    } finally {
      await api.close();
    }
  }, 600_000);
});
