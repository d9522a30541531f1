import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChartPreparer } from '../../actions/deploy-armada/charts.js';
import type { PlannedChart } from '../../actions/lib/armada/index.js';
import { tempDir } from './support.js';

function chartDir(root: string, name: string): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  writeFileSync(path.join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
  return dir;
}

function planned(
  source: PlannedChart['source'],
  dependencies: PlannedChart['dependencies'] = [],
): PlannedChart {
  return {
    document: 'keystone',
    chartName: 'keystone',
    release: 'osh-keystone',
    source,
    dependencies,
  } as PlannedChart;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@e',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@e',
    },
  });

describe('chart sources (real git and tar)', () => {
  it('fetches a git source at a reference and packages a local helm-toolkit into a work copy', async () => {
    const dir = tempDir();
    const repo = path.join(dir, 'openstack-helm');
    chartDir(repo, 'keystone');
    git(repo, 'init', '--quiet', '-b', 'master');
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'keystone');
    git(repo, 'tag', 'v0.3.17');
    writeFileSync(path.join(repo, 'keystone', 'values.yaml'), 'changed: after the tag\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'later');
    const infra = path.join(dir, 'openstack-helm-infra');
    chartDir(infra, 'helm-toolkit');

    const preparer = new ChartPreparer({ workDir: path.join(dir, 'work'), env: process.env });
    const chart = planned(
      { type: 'git', location: `file://${repo}`, subpath: 'keystone', reference: 'v0.3.17' },
      [
        {
          document: 'helm-toolkit',
          chartName: 'helm-toolkit',
          source: { type: 'local', location: infra, subpath: 'helm-toolkit' },
          dependencies: [],
        },
      ],
    );
    const result = await preparer.prepare(chart);
    expect(readFileSync(path.join(result, 'Chart.yaml'), 'utf8')).toContain('name: keystone');
    expect(existsSync(path.join(result, 'values.yaml'))).toBe(false); // the tagged commit, not master
    expect(existsSync(path.join(result, 'charts', 'helm-toolkit', 'Chart.yaml'))).toBe(true);
    expect(existsSync(path.join(infra, 'helm-toolkit', 'charts'))).toBe(false);
    expect(existsSync(path.join(result, '.git'))).toBe(false);
  });

  it('extracts a tar source and uses a local chart without dependencies as it is', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'src');
    chartDir(src, 'glance');
    const archive = path.join(dir, 'glance-0.1.0.tgz');
    execFileSync('tar', ['-czf', archive, '-C', src, 'glance']);
    const preparer = new ChartPreparer({ workDir: path.join(dir, 'work'), env: process.env });
    const fromTar = await preparer.prepare(planned({ type: 'tar', location: archive, subpath: 'glance' }));
    expect(readFileSync(path.join(fromTar, 'Chart.yaml'), 'utf8')).toContain('name: glance');
    expect(await preparer.prepare(planned({ type: 'local', location: src, subpath: 'glance' }))).toBe(
      path.join(src, 'glance'),
    );
  });

  it('says which chart has no chart directory', async () => {
    const dir = tempDir();
    const preparer = new ChartPreparer({ workDir: path.join(dir, 'work'), env: process.env });
    await expect(
      preparer.prepare(planned({ type: 'local', location: dir, subpath: 'nova' })),
    ).rejects.toThrow(
      `Chart keystone (local ${path.join(dir, 'nova')}): chart directory ${path.join(dir, 'nova')} does not exist`,
    );
    mkdirSync(path.join(dir, 'nova'));
    await expect(
      preparer.prepare(planned({ type: 'local', location: dir, subpath: 'nova' })),
    ).rejects.toThrow('is not a Helm chart (no Chart.yaml)');
  });
});
