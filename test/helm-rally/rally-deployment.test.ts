/** The profile's rally.deployment checked against rally-openstack 2.2's existing@openstack schema. */
import { describe, expect, it } from 'vitest';
import { checkOpenStackSpec, deploymentFromProfile } from '../../actions/lib/rally/deployment.js';

const user = { username: 'u', password: 'p', project_name: 'p', user_domain_name: 'Default' };
const at = (key: string) => `profile.yaml:3 rally.deployment.${key}`;

describe('checkOpenStackSpec', () => {
  it('accepts admin with existing users, users only, and an empty spec for Dummy scenarios', () => {
    checkOpenStackSpec(
      { openstack: { auth_url: 'http://k/v3', endpoint_type: 'public', admin: user, users: [user] } },
      's',
    );
    checkOpenStackSpec(
      {
        'existing@openstack': {
          auth_url: 'http://k/v3',
          users: [{ ...user, project_name: undefined, tenant_name: 't' }],
        },
      },
      's',
    );
    checkOpenStackSpec({}, 's');
  });

  it.each([
    [
      { openstack: { auth_url: 'x', admin: user, region: 'R' } },
      /s\.openstack: rally-openstack does not know region /,
    ],
    [{ openstack: { admin: user } }, /s\.openstack\.auth_url: the Keystone URL is missing/],
    [{ openstack: { auth_url: 'x' } }, /s\.openstack: give admin, existing users, or both/],
    [
      { openstack: { auth_url: 'x', admin: user, endpoint_type: 'publicURL' } },
      /endpoint_type: expected one of public, internal, admin, got "publicURL"/,
    ],
    [
      { openstack: { auth_url: 'x', users: [] } },
      /s\.openstack\.users: expected a list of at least one existing user/,
    ],
    [
      { openstack: { auth_url: 'x', users: [{ username: 'u', password: 'p' }] } },
      /s\.openstack\.users\[0\]: missing project_name/,
    ],
    [
      { openstack: { auth_url: 'x', admin: { ...user, domain: 'd' } } },
      /s\.openstack\.admin: rally-openstack does not know domain /,
    ],
  ])('refuses %j', (spec, message) => {
    expect(() => checkOpenStackSpec(spec, 's')).toThrow(message);
  });
});

describe('deploymentFromProfile', () => {
  const ctx = (env: Record<string, string>) => {
    const masked: string[] = [];
    return { env, setSecret: (s: string) => masked.push(s), masked };
  };

  it('resolves secrets, checks the spec, and prefers from-env', () => {
    const c = ctx({ PW: 'hunter2' });
    const spec = { openstack: { auth_url: 'http://k/v3', admin: { ...user, password: { env: 'PW' } } } };
    expect(deploymentFromProfile({ name: 'dev', spec }, c, at, { needsCloud: true })).toEqual({
      name: 'dev',
      spec: { openstack: { auth_url: 'http://k/v3', admin: { ...user, password: 'hunter2' } } },
    });
    expect(c.masked).toEqual(['hunter2']);
    expect(
      deploymentFromProfile({ spec, 'from-env': true }, ctx({ OS_AUTH_URL: 'http://k/v3' }), at, {
        needsCloud: true,
      }),
    ).toEqual({
      name: 'taco',
      fromSysEnv: true,
    });
    expect(() => deploymentFromProfile({ 'from-env': true }, ctx({}), at, { needsCloud: true })).toThrow(
      /profile\.yaml:3 rally\.deployment\.from-env: OS_AUTH_URL is not set/,
    );
    expect(deploymentFromProfile(undefined, ctx({}), at, { needsCloud: true })).toEqual({ name: 'taco' });
  });
});
