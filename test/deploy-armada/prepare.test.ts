import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepare, resolveManifestPath } from '../../actions/deploy-armada/prepare.js';
import type { DeployArmadaInputs } from '../../actions/deploy-armada/inputs.js';
import { loadProfile } from '../../actions/lib/profile/load.js';
import { repoRoot } from '../harness/run-action.js';
import { tempDir, writeFile } from './support.js';
import { makeWorld } from './world.js';

const inputs = (over: Partial<DeployArmadaInputs> = {}): DeployArmadaInputs => ({
  profile: '',
  values: [],
  set: [],
  dryRun: false,
  ...over,
});

describe('prepare: inputs over the profile', () => {
  it('plans without secrets, showing markers and saying which are missing', () => {
    const world = makeWorld();
    const secrets: string[] = [];
    const ctx = { env: {}, workspace: world.dir, setSecret: (s: string) => secrets.push(s) };
    const prepared = prepare(ctx, inputs({ profile: world.profile }), { planning: true });
    expect(prepared.settings.missingSecrets).toEqual([
      'armada.variables.MARIADB_ADMIN_PASSWORD ($SITE_MARIADB_PASSWORD) shows as <unset secret 1>',
    ]);
    const mariadb = prepared.loaded.model.groups[0].charts[0];
    expect(mariadb.values).toEqual({
      endpoints: { oslo_db: { auth: { admin: { password: '<unset secret 1>' } } } },
    });
    expect(secrets).toEqual([]);
    expect(() => prepare(ctx, inputs({ profile: world.profile }), { planning: false })).toThrow(
      /SITE_MARIADB_PASSWORD, which is not set/,
    );
  });

  it('a deployment asks only for the secrets its manifest uses', () => {
    const world = makeWorld();
    // The profile also has secrets this site's manifest never uses (a Ceph keyring, RabbitMQ).
    const profile = writeFile(
      world.dir,
      'with-unused.yaml',
      `${readFileSync(world.profile, 'utf8')}    RABBITMQ_ADMIN_PASSWORD: { env: SITE_RABBITMQ_PASSWORD }\n  tokens:\n    TACO_ADMIN_KEYRING: { env: SITE_CEPH_KEYRING }\n`,
    );
    const secrets: string[] = [];
    const ctx = {
      env: { SITE_MARIADB_PASSWORD: 'db-Secret-42' },
      workspace: world.dir,
      setSecret: (s: string) => secrets.push(s),
    };
    const prepared = prepare(ctx, inputs({ profile }), { planning: false });
    expect(prepared.loaded.model.groups[0].charts[0].values).toEqual({
      endpoints: { oslo_db: { auth: { admin: { password: 'db-Secret-42' } } } },
    });
    expect(secrets).toEqual(['db-Secret-42']);
    // The one it uses is still required, and named.
    expect(() => prepare({ ...ctx, env: {} }, inputs({ profile }), { planning: false })).toThrow(
      /^[^\n]*with-unused\.yaml: armada\.variables\.MARIADB_ADMIN_PASSWORD takes a secret from environment variable SITE_MARIADB_PASSWORD, which is not set$/,
    );
  });

  it('masks the secrets it reads and lets inputs win over the profile', () => {
    const world = makeWorld();
    const secrets: string[] = [];
    const ctx = { env: world.env, workspace: world.dir, setSecret: (s: string) => secrets.push(s) };
    const profiled = prepare(ctx, inputs({ profile: world.profile }), { planning: false });
    expect(secrets).toEqual(['db-Secret-42']);
    expect(profiled).toMatchObject({ engine: 'helm', timeoutMs: undefined, manifestFile: world.manifest });
    const overridden = prepare(
      ctx,
      inputs({ profile: world.profile, engine: 'armada', timeoutMs: 60_000, targetManifest: 'site' }),
      { planning: false },
    );
    expect(overridden).toMatchObject({ engine: 'armada', timeoutMs: 60_000, targetManifest: 'site' });
  });

  it('finds manifests in the workspace, else in this repository, and says where it looked', () => {
    const workspace = tempDir();
    const own = writeFile(workspace, 'openstack.yaml', '');
    expect(resolveManifestPath('openstack.yaml', workspace)).toBe(own);
    expect(resolveManifestPath('examples/armada/openstack.yaml', workspace)).toBe(
      path.join(repoRoot, 'examples', 'armada', 'openstack.yaml'),
    );
    expect(() => resolveManifestPath('nope.yaml', workspace)).toThrow(
      `Armada manifest "nope.yaml" not found (looked at ${path.join(workspace, 'nope.yaml')} and ${path.join(repoRoot, 'nope.yaml')})`,
    );
    expect(() =>
      prepare(
        { env: {}, workspace, setSecret: () => undefined },
        inputs({ values: ['missing.yaml'], manifest: own }),
        { planning: true, profile: loadProfile('local') },
      ),
    ).toThrow(`Input 'values': file ${path.join(workspace, 'missing.yaml')} does not exist`);
  });

  it('plans the bundled example for every built-in profile', () => {
    for (const name of ['local', 'dev', 'staging', 'production']) {
      const prepared = prepare({ env: {}, workspace: tempDir(), setSecret: () => undefined }, inputs(), {
        planning: true,
        profile: loadProfile(name),
      });
      expect(prepared.loaded.model.groups.map((g) => g.name)).toEqual([
        'openstack-infra',
        'openstack-identity-image',
        'openstack-compute-kit',
      ]);
      const ceph = prepared.loaded.model.groups[0].charts.find((c) => c.document === 'ceph-provisioners')!;
      expect(JSON.stringify(ceph.values)).not.toMatch(/TACO_|\$\{/);
    }
  });
});
