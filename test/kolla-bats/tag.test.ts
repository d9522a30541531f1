import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TAG_PATTERN, candidateTag, sanitizeTagPart, validateTag } from '../../actions/kolla-bats/tag.js';
import { UserError } from '../../actions/lib/errors.js';

describe('candidate tag', () => {
  it('is <branch>-<short sha>-<run number>', () => {
    expect(candidateTag({ branch: 'main', sha: '0a1b2c3d4e5f', runNumber: '57' })).toBe('main-0a1b2c3-57');
    expect(
      candidateTag({ branch: 'refs/heads/feature/Kolla_2025.1', sha: '0a1b2c3d4e5f', runNumber: '57' }),
    ).toBe('feature-Kolla_2025.1-0a1b2c3-57');
    expect(candidateTag({ branch: 'dependabot/npm/@types/node-20', sha: 'abcdef0123', runNumber: '3' })).toBe(
      'dependabot-npm-types-node-20-abcdef0-3',
    );
    expect(candidateTag({ sha: 'abcdef0123' })).toBe('abcdef0');
  });

  it('needs a commit', () => {
    expect(() => candidateTag({ branch: 'main' })).toThrow(UserError);
  });

  it('is always a valid tag of at most 128 characters', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.stringMatching(/^[0-9a-f]{7,40}$/),
        fc.option(fc.nat().map(String)),
        (branch, sha, run) => {
          const tag = candidateTag({ branch, sha, runNumber: run ?? undefined });
          expect(tag).toMatch(TAG_PATTERN);
          expect(tag.endsWith(run ? `${sha.slice(0, 7)}-${run}` : sha.slice(0, 7))).toBe(true);
        },
      ),
    );
  });

  it('sanitises runs of other characters to one dash', () => {
    expect(sanitizeTagPart('..a  b//c--')).toBe('a-b-c');
  });

  it('checks tags given by the user', () => {
    expect(validateTag('2025.1-rc1', 'tag')).toBe('2025.1-rc1');
    expect(() => validateTag('-bad', "Input 'tag'")).toThrow(/Input 'tag': expected a valid image tag/);
    expect(() => validateTag('a/b', "Input 'tag'")).toThrow(UserError);
    expect(() => validateTag('x'.repeat(129), "Input 'tag'")).toThrow(UserError);
  });
});

describe('default candidate tag outside GitHub', () => {
  it("is read from the workspace's git checkout (branch and commit), and refused outside one", async () => {
    const { defaultTag } = await import('../../actions/kolla-bats/pipeline.js');
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-tag-'));
    try {
      const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
      git('init', '-q', '-b', 'wrapper/2025.1');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'one');
      const sha = git('rev-parse', 'HEAD');
      expect(await defaultTag({ env: {}, workspace: dir })).toBe(`wrapper-2025.1-${sha.slice(0, 7)}`);
      rmSync(path.join(dir, '.git'), { recursive: true });
      await expect(defaultTag({ env: {}, workspace: dir })).rejects.toThrow(UserError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
