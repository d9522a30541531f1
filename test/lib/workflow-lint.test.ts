import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintRepositoryWorkflows } from '../../actions/cli/workflow-lint.js';
import { repoRoot } from '../harness/run-action.js';

describe('offline workflow and action.yml lint', () => {
  it('finds nothing wrong in this repository', async () => {
    expect(await lintRepositoryWorkflows(repoRoot)).toEqual([]);
  });

  it('reports actionlint, workflow-parser and action.yml problems with their files', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'wf-lint-'));
    mkdirSync(path.join(root, '.github', 'workflows'), { recursive: true });
    writeFileSync(
      path.join(root, '.github', 'workflows', 'bad.yml'),
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n      - bogus-key: 1\n',
    );
    mkdirSync(path.join(root, 'old-action'));
    writeFileSync(
      path.join(root, 'old-action', 'action.yml'),
      "name: old\ndescription: d\nruns:\n  using: node20\n  main: '../dist/old-action/index.js'\n",
    );
    const problems = await lintRepositoryWorkflows(root);
    expect(problems).toContain('old-action/action.yml: runs.using: expected node24, got "node20"');
    expect(problems).toContain(
      'old-action/action.yml: runs.main: ../dist/old-action/index.js does not exist (run npm run build)',
    );
    expect(
      problems.some((p) => /^\.github\/workflows\/bad\.yml:6:\d+ property "nope" is not defined/.test(p)),
    ).toBe(true);
    expect(problems.some((p) => p.startsWith('.github/workflows/bad.yml') && /bogus-key/.test(p))).toBe(true);
  });
});
