/**
 * The profile picks the helm per environment: `armada.helm.binary` names the binary and
 * `armada.helm.version` pins its version (a semver range), whatever `helm` is on PATH. Real Helm 3
 * and Helm 4 against the fake Kubernetes API.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/deploy-armada/main.js';
import { UserError } from '../../actions/lib/errors.js';
import { HelmCli } from '../../actions/lib/helm/index.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';
import { installHelm } from '../support/helm.js';
import { tempDir } from './support.js';
import { makeWorld, type World } from './world.js';

/** The world's profile with `armada.helm` set to these keys. */
function pinHelm(world: World, helm: { binary: string; version: string }): void {
  const profile = readFileSync(world.profile, 'utf8');
  const pinned = `  helm: { concurrency: 2, binary: ${helm.binary}, version: "${helm.version}" }`;
  writeFileSync(world.profile, profile.replace('  helm: { concurrency: 2 }', pinned));
}

describe('the profile pins the helm binary and version', () => {
  let api: FakeArmadaKubeApi;
  beforeAll(async () => {
    api = await FakeArmadaKubeApi.start();
  });
  afterAll(() => api.close());

  async function deploy(world: World) {
    const lines: string[] = [];
    const ctx = terminalContext({
      inputs: { profile: world.profile, kubeconfig: api.kubeconfig() },
      env: { ...process.env, ...world.env },
      signal: new AbortController().signal,
      write: (text) => lines.push(text),
      tempDir: tempDir('deploy-armada-pin-'),
      workspace: world.dir,
    });
    const error = await run(ctx).catch((err: unknown) => err);
    return { ctx, error, log: lines.join('') };
  }

  it('deploys with the binary the profile names, not the helm on PATH', async () => {
    // Helm 3 is on PATH; the profile asks for Helm 4.
    const world = makeWorld(3);
    const helm4 = installHelm(4);
    pinHelm(world, { binary: helm4.helm, version: '>=4.1 <5' });
    const { ctx, error } = await deploy(world);
    expect(error).toBeUndefined();
    expect(JSON.parse(ctx.outputs.releases).map((r: { status: string }) => r.status)).toEqual([
      'deployed',
      'deployed',
      'deployed',
      'deployed',
    ]);
    expect(world.calls()).toEqual([]);
    // Helm 4 installed it: server-side apply.
    const kubeconfig = `${world.dir}/kubeconfig`;
    writeFileSync(kubeconfig, api.kubeconfig(), { mode: 0o600 });
    const status = await new HelmCli({
      binary: helm4.helm,
      kubeconfig,
      // helm's kube cache goes under HOME (without one, into the working directory)
      env: { ...world.env, HOME: world.dir },
    }).status('taco-keystone', 'openstack');
    expect(status).toMatchObject({ status: 'deployed', applyMethod: 'ssa' });
  });

  it('refuses a binary outside the pinned version before any release is touched', async () => {
    const world = makeWorld(3);
    pinHelm(world, { binary: installHelm(4).helm, version: '3.17.x' });
    const before = api.list('secrets').length;
    const { error, log } = await deploy(world);
    // One configuration error (exit 2), not a failure of every chart.
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      `${installHelm(4).helm} is helm 4.1.4, but the profile pins helm version 3.17.x`,
    );
    expect(log).not.toContain('Chart group infra');
    expect(api.list('secrets')).toHaveLength(before);
    expect(world.calls()).toEqual([]);
  });
});
