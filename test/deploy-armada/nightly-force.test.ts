/**
 * Armada's `upgrade.options.force` night after night, with the real Helm 3.17 and Helm 4.1 against
 * the fake Kubernetes API. Helm 4 installs with server-side apply and refuses `--force` (replace)
 * with it; the release must nevertheless stay `deployed` and keep its history on both.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { run } from '../../actions/deploy-armada/main.js';
import { HelmCli } from '../../actions/lib/helm/index.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';
import { installHelm } from '../support/helm.js';
import { tempDir } from './support.js';
import { makeWorld } from './world.js';

/** Sets `upgrade.options.force: true` on every chart of the world's manifest. */
function forceEveryUpgrade(manifest: string): void {
  const docs = parseAllDocuments(readFileSync(manifest, 'utf8'));
  for (const doc of docs)
    if (doc.get('schema') === 'armada/Chart/v1') doc.setIn(['data', 'upgrade', 'options', 'force'], true);
  writeFileSync(manifest, docs.map((doc) => `---\n${doc.toString()}`).join(''));
}

describe.each([3, 4] as const)('deploy-armada with upgrade.options.force on Helm %i', (major) => {
  let api: FakeArmadaKubeApi;
  beforeAll(async () => {
    api = await FakeArmadaKubeApi.start();
  });
  afterAll(() => api.close());

  it('re-deploys three nights in a row: every release stays deployed, its history grows', async () => {
    const world = makeWorld(major);
    forceEveryUpgrade(world.manifest);
    const kubeconfig = `${world.dir}/kubeconfig`;
    writeFileSync(kubeconfig, api.kubeconfig(), { mode: 0o600 });
    const helm = new HelmCli({ binary: installHelm(major).helm, kubeconfig, env: world.env });
    for (let night = 1; night <= 3; night++) {
      const lines: string[] = [];
      const ctx = terminalContext({
        inputs: { profile: world.profile, kubeconfig: api.kubeconfig() },
        env: { ...process.env, ...world.env },
        signal: new AbortController().signal,
        write: (text) => lines.push(text),
        tempDir: tempDir('deploy-armada-night-'),
        workspace: world.dir,
      });
      await run(ctx);
      const releases = JSON.parse(ctx.outputs.releases) as {
        release: string;
        status: string;
        revision: number;
      }[];
      expect(releases.map((r) => [r.release, r.status, r.revision])).toEqual(
        ['taco-mariadb', 'taco-memcached', 'taco-keystone', 'taco-glance'].map((r) => [r, 'deployed', night]),
      );
      const history = await helm.history('taco-keystone', 'openstack');
      expect(history.map((h) => h.status)).toEqual([...Array(night - 1).fill('superseded'), 'deployed']);
    }
    const upgrades = world.calls().filter((argv) => argv[0] === 'upgrade' && argv[1] === 'taco-keystone');
    expect(upgrades).toHaveLength(3);
    // Nights 2 and 3 upgrade an existing release with force, in the flag this helm understands.
    const forceFlags = upgrades.map((argv) => argv.filter((a) => a.startsWith('--force')));
    expect(forceFlags).toEqual([[], ...Array(2).fill([major === 3 ? '--force' : '--force-conflicts'])]);
  });
});
