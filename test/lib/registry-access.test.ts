import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../actions/lib/profile/load.js';
import { resolveRegistryAccess } from '../../actions/lib/registry/access.js';

const inputNames = { registry: 'registry', username: 'registry-username', password: 'registry-password' };

function context(env: Record<string, string>) {
  const masked: string[] = [];
  return { ctx: { env, setSecret: (value: string) => void masked.push(value) }, masked };
}

describe('resolveRegistryAccess', () => {
  const dev = loadProfile('dev');
  const env = { TACO_REGISTRY_USERNAME: 'robot', TACO_REGISTRY_PASSWORD: 'hunter2' };

  it("takes the profile's registry and its credentials from the referenced variables, masked", () => {
    const { ctx, masked } = context(env);
    expect(resolveRegistryAccess(ctx, { inputNames, profile: dev })).toEqual({
      location: { host: 'registry.dev.taco.example:5000', namespace: 'taco' },
      insecure: false,
      credentials: { username: 'robot', password: 'hunter2' },
      tokenRealms: [],
    });
    expect(masked).toEqual(['robot', 'hunter2']);
  });

  it("never sends the profile's credentials (or insecure flag) to a registry given as an input on another host", () => {
    const { ctx } = context(env);
    const other = resolveRegistryAccess(ctx, { inputNames, profile: dev, registry: 'other.example:5000/x' });
    expect(other).toEqual({
      location: { host: 'other.example:5000', namespace: 'x' },
      insecure: false,
      credentials: undefined,
      tokenRealms: [],
    });
    const same = resolveRegistryAccess(ctx, {
      inputNames,
      profile: dev,
      registry: 'registry.dev.taco.example:5000/elsewhere',
    });
    expect(same?.credentials).toEqual({ username: 'robot', password: 'hunter2' });
    const local = resolveRegistryAccess(context({}).ctx, { inputNames, profile: loadProfile('local') });
    expect(local).toMatchObject({ location: { host: '127.0.0.1:5000' }, insecure: true });
    expect(local?.credentials).toBeUndefined();
  });

  it('names a variable the profile references that is not set, instead of going anonymous', () => {
    expect(() => resolveRegistryAccess(context({}).ctx, { inputNames, profile: dev })).toThrow(
      `${dev.file} registry.username: environment variable TACO_REGISTRY_USERNAME is not set (the profile takes this secret from it)`,
    );
    expect(() =>
      resolveRegistryAccess(context({ TACO_REGISTRY_USERNAME: 'robot' }).ctx, { inputNames, profile: dev }),
    ).toThrow(`${dev.file} registry.password: environment variable TACO_REGISTRY_PASSWORD is not set`);
    // Inputs take the place of the references; another host never needs them.
    const given = resolveRegistryAccess(context({}).ctx, {
      inputNames,
      profile: dev,
      username: 'u',
      password: 'p',
    });
    expect(given?.credentials).toEqual({ username: 'u', password: 'p' });
    expect(
      resolveRegistryAccess(context({}).ctx, { inputNames, profile: dev, registry: '127.0.0.1:5000/x' })
        ?.credentials,
    ).toBeUndefined();
  });

  it('refuses half a set of credentials and a malformed registry, naming where they came from', () => {
    expect(() =>
      resolveRegistryAccess(context({}).ctx, { inputNames, registry: 'r.example', username: 'only-me' }),
    ).toThrow('Registry credentials need both registry-username and registry-password (only one was given)');
    expect(() => resolveRegistryAccess(context({}).ctx, { inputNames, registry: 'not a registry' })).toThrow(
      /^Input 'registry': expected a registry reference host\[:port\]\[\/namespace\]/,
    );
    expect(resolveRegistryAccess(context({}).ctx, { inputNames })).toBeUndefined();
  });
});
