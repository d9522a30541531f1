/** What a user reads when the mirror refuses a rewrite: each problem once, worded as what to do. */
import { afterAll, expect, it } from 'vitest';
import { taco } from '../support/taco-cli.js';
import { git, Repos } from './repos.js';

const repos = new Repos();
afterAll(() => repos.remove());

it('a refused rewrite is printed once, and says how to accept it', () => {
  repos.commit('master');
  repos.commit('master');
  repos.pushUpstream('refs/heads/master');
  const args = [
    'run',
    'mirror-sync',
    '--input',
    `upstream=file://${repos.upstream}`,
    '--input',
    `mirror=file://${repos.mirror}`,
    '--input',
    `cache-dir=${repos.cacheDir}`,
  ];
  expect(taco(args).code).toBe(0);
  git(repos.work, 'reset', '--quiet', '--hard', 'HEAD~1');
  repos.commit('master', 'rewritten');
  repos.pushUpstream('+refs/heads/master');

  const refused = taco(args);
  expect(refused.code).toBe(1);
  const output = refused.stdout + refused.stderr;
  const reason =
    'not a fast-forward: upstream history was rewritten (to take the rewrite, list this ref in allow-force)';
  expect(output).toContain(reason);
  // Once in the log (the summary table and the outputs carry it too, as data).
  const logged = output
    .split('\n')
    .filter((line) => /^(warning|error|failed): /.test(line) && line.includes(reason));
  expect(logged, output).toEqual([`error: upstream refs/heads/master: refused, ${reason}`]);
  expect(output).toMatch(/failed: upstream: 1 problem \(above, in the job summary and in .*\)/);
});
