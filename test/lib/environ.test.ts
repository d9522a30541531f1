/**
 * forgetEnvironment in a real child process: the secret it was started with is gone from
 * process.env and from /proc/<pid>/environ as another process of the same user reads it.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/run-action.js';

const SECRET = 'ghp_startupSecret_ABCDEF123456';

describe('forgetEnvironment', () => {
  it.runIf(process.platform === 'linux')(
    'blanks the secret in /proc/<pid>/environ, not only in process.env',
    () => {
      const script = `
      import { execFileSync } from 'node:child_process';
      import { forgetEnvironment } from ${JSON.stringify(path.join(repoRoot, 'actions/lib/environ.ts'))};
      const read = () => execFileSync('cat', ['/proc/' + process.pid + '/environ'], { env: {} }).toString('latin1');
      const before = read().includes(process.env['INPUT_MIRROR-TOKEN']);
      const cleared = forgetEnvironment(['INPUT_MIRROR-TOKEN']);
      const after = read();
      console.log(JSON.stringify({ before, cleared, after, env: process.env['INPUT_MIRROR-TOKEN'] ?? null, other: process.env.KEEP }));
    `;
      const out = execFileSync(path.join(repoRoot, 'node_modules/.bin/tsx'), ['--eval', script], {
        env: { PATH: process.env.PATH, 'INPUT_MIRROR-TOKEN': SECRET, KEEP: 'kept' },
        encoding: 'utf8',
      });
      const result = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(result.before).toBe(true);
      expect(result.cleared).toBe(true);
      expect(result.env).toBeNull();
      expect(result.other).toBe('kept');
      expect(result.after).not.toContain(SECRET);
      expect(result.after).toContain('KEEP=kept');
    },
  );
});
