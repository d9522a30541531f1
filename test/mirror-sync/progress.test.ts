/** git's progress output as log lines: throttled, a line per phase, each phase's end. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitProgress } from '../../actions/lib/git/progress.js';
import { syncMirror } from '../../actions/mirror-sync/sync.js';
import { git, recordingEnvironment, Repos } from './repos.js';

describe('gitProgress', () => {
  it('keeps the first line of each phase, one per interval, and the done lines', () => {
    let clock = 0;
    const lines: string[] = [];
    const feed = gitProgress((l) => lines.push(l), { intervalMs: 5_000, now: () => clock });
    feed('remote: Enumerating objects: 30000, done.\nremote: Counting objects:   1% (3');
    feed('00/30000)\rremote: Counting objects:   2% (600/30000)\r');
    clock = 6_000;
    feed('remote: Counting objects:  50% (15000/30000)\rremote: Counting objects:  51% (15300/30000)\r');
    feed('remote: Counting objects: 100% (30000/30000), done.\nReceiving objects:   0% (1/30000)\r');
    expect(lines).toEqual([
      'remote: Enumerating objects: 30000, done.',
      'remote: Counting objects:   1% (300/30000)',
      'remote: Counting objects:  50% (15000/30000)',
      'remote: Counting objects: 100% (30000/30000), done.',
      'Receiving objects:   0% (1/30000)',
    ]);
  });
});

describe('a first mirror sync', () => {
  const repos = new Repos();
  afterAll(() => repos.remove());

  it("shows git's fetch and push progress", async () => {
    for (let i = 0; i < 20; i++) repos.commit('master');
    repos.pushUpstream('refs/heads/master');
    const tmp = path.join(repos.dir, 'tmp');
    mkdirSync(tmp);
    const environment = recordingEnvironment(tmp);
    const report = await syncMirror(repos.config(), environment);
    expect(report.failures).toEqual([]);
    expect(git(repos.mirror, 'rev-parse', 'master')).toBe(git(repos.upstream, 'rev-parse', 'master'));
    const info = environment.lines.filter((l) => l.startsWith('info: '));
    expect(info.some((l) => /^info: (remote: )?Counting objects: 100% .*, done\.$/.test(l))).toBe(true);
    expect(info.some((l) => /^info: Writing objects: 100% .*, done\.$/.test(l))).toBe(true);
  });
});
