/** Deploy by release through the bundled action (Node 24) and through `taco-ci run`. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runAction } from '../harness/run-action.js';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';
import { makeSite, startReleaseWorld, type ReleaseWorld } from './release-world.js';

let world: ReleaseWorld;
let api: FakeArmadaKubeApi;
beforeAll(async () => {
  world = await startReleaseWorld();
  api = await FakeArmadaKubeApi.start();
}, 120_000);
afterAll(async () => {
  await api?.close();
  await world?.stop();
});

/** Asynchronous, so that the fake kube API in this process can answer meanwhile. */
function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'taco-ci.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('deploy-armada release (bundled action, Node 24)', () => {
  it('deploys the release artifact and names it in the outputs and the summary', async () => {
    const site = makeSite(world);
    const run = await runAction('deploy-armada', {
      node: '24',
      inputs: { profile: site.profile, release: world.releaseRef, kubeconfig: api.kubeconfig() },
      env: site.env,
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const pinned = `${world.releaseRef}@${world.releaseDigest}`;
    const releases = JSON.parse(run.outputs.releases) as Record<string, unknown>[];
    expect(releases.map((r) => [r.release, r.status, r.artifact, r.chartVersion])).toEqual([
      ['taco-memcached', 'deployed', pinned, '1.0.0'],
      ['taco-keystone', 'deployed', pinned, '1.0.0'],
    ]);
    expect(JSON.parse(run.outputs.plan).release.digest).toBe(world.releaseDigest);
    expect(run.summary).toContain(`### Release \`${world.releaseRef}\``);
    for (const chart of world.charts.values()) expect(run.summary).toContain(chart.pushed.digest);
    const keystone = site.calls().find((argv) => argv[0] === 'upgrade' && argv[1] === 'taco-keystone')!;
    expect(readFileSync(path.join(keystone[2], 'Chart.yaml'), 'utf8')).toContain('version: 1.0.0');
    expect(run.stdout).toContain('::add-mask::reg-Secret-77');
    const printed = run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'));
    expect(`${printed.join('\n')}${run.summary}`).not.toContain('reg-Secret-77');
  });
});

describe('taco-ci run deploy-armada --input release=…', () => {
  it("takes promote-version's {ref, digest} output and deploys it", async () => {
    const site = makeSite(world);
    const release = JSON.stringify({ ref: world.releaseRef, digest: world.releaseDigest });
    const result = await cli(
      [
        'run',
        'deploy-armada',
        '--profile',
        site.profile,
        '--input',
        `release=${release}`,
        '--input',
        `kubeconfig=${api.kubeconfig()}`,
      ],
      site.env,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`release ${world.releaseRef}@${world.releaseDigest}`);
    expect(site.calls().filter((argv) => argv[0] === 'upgrade')).toHaveLength(2);
  });

  it('exits 2 on a release tag that does not exist, deploying nothing', async () => {
    const site = makeSite(world);
    const missing = world.releaseRef.replace(/:1\.0\.0$/, ':7.0.0');
    const result = await cli(
      ['run', 'deploy-armada', '--profile', site.profile, '--input', `release=${missing}`],
      site.env,
    );
    expect(result.status).toBe(2);
    expect(`${result.stdout}${result.stderr}`).toContain(`${missing} does not exist in the registry`);
    expect(site.calls()).toEqual([]);
  });
});
