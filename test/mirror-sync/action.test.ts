/**
 * The bundled action (dist/mirror-sync/index.js) run the way the runner runs it, on Node 24, and
 * the same code through `taco-ci run mirror-sync` with a profile.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runAction, runPost } from '../harness/run-action.js';
import { type GitHttpServer, startGitHttpServer } from '../support/git-http-server.js';
import { git, Repos } from './repos.js';

const TOKEN = 'ghp_actionToken_1234567890';
const TOKEN_FORMS = [TOKEN, Buffer.from(`x-access-token:${TOKEN}`).toString('base64')];
/** The log as the runner shows it: `::add-mask::` commands are consumed by the runner, not printed. */
const shown = (text: string) =>
  text
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');

let repos: Repos;
let server: GitHttpServer;

beforeAll(async () => {
  repos = new Repos();
  server = await startGitHttpServer({ root: repos.dir, token: TOKEN });
  repos.commit('master');
  git(repos.work, 'tag', '-a', 'v1', '-m', 'v1');
  repos.commit('master');
  repos.pushUpstream('master', 'v1');
});
afterAll(async () => {
  await server.stop();
  repos.remove();
});

describe('mirror-sync as a bundled action on Node 24', () => {
  it('syncs over HTTP with tokens, sets outputs, writes the summary and report, never prints the token', async () => {
    const run = await runAction('mirror-sync', {
      node: '24',
      inputs: {
        upstream: `${server.url}/upstream.git`,
        mirror: `${server.url}/mirror.git`,
        'upstream-token': TOKEN,
        'mirror-token': TOKEN,
        gate: 'test -n "$MIRROR_SYNC_COMMIT" && test -z "$INPUT_UPSTREAM-TOKEN$INPUT_MIRROR-TOKEN" && env | grep -c INPUT_ || true',
        'cache-dir': path.join(repos.dir, 'action-cache'),
      },
      env: { ACTIONS_STEP_DEBUG: 'true' },
    });
    expect(run.stderr + run.stdout).not.toMatch(/Internal error/);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.changed).toBe('true');
    const updated = JSON.parse(run.outputs['updated-refs']) as {
      ref: string;
      action: string;
      gate: string;
    }[];
    expect(updated.map((u) => [u.ref, u.action, u.gate])).toEqual([
      ['refs/heads/master', 'created', 'passed'],
      ['refs/tags/v1', 'created', 'passed'],
    ]);
    const report = JSON.parse(readFileSync(run.outputs.report, 'utf8')) as { refs: unknown[]; name: string };
    expect(report.name).toBe('upstream');
    expect(run.summary).toContain('| `refs/heads/master` | 🆕 created |');
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));
    for (const secret of TOKEN_FORMS) {
      expect(shown(run.stdout + run.stderr) + run.summary).not.toContain(secret);
      expect(readFileSync(run.outputs.report, 'utf8')).not.toContain(secret);
    }
  });

  it('fails the step with an error annotation for a wrong token, and cleans up the SSH key', async () => {
    const wrong = 'ghp_wrongActionToken_0987';
    const { privateKey } = await import('node:crypto').then((c) =>
      c.generateKeyPairSync('ed25519', {
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      }),
    );
    const run = await runAction('mirror-sync', {
      node: '24',
      inputs: {
        upstream: `${server.url}/upstream.git`,
        mirror: 'git@127.0.0.1:mirrors/never.git',
        'upstream-token': wrong,
        'ssh-key': privateKey,
        'cache-dir': path.join(repos.dir, 'action-cache'),
      },
    });
    expect(run.exitCode).toBe(1);
    const errors = run.annotations.filter((a) => a.level === 'error').map((a) => a.message);
    expect(errors.join('\n')).toMatch(/the upstream rejected the token given in 'upstream-token'/);
    const keyLine = privateKey.split('\n')[1];
    for (const secret of [wrong, keyLine]) expect(shown(run.stdout + run.stderr)).not.toContain(secret);
    expect(run.stdout).toContain(`::add-mask::${wrong}`);
    expect(run.state['ssh-key-dir']).toMatch(/git-ssh-/);
    const post = await runPost('mirror-sync', run, { node: '24' });
    expect(post.exitCode).toBe(0);
    expect(readdirSync(path.join(run.runnerDir, 'temp')).filter((f) => f.startsWith('git-ssh-'))).toEqual([]);
  });
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'taco-ci.js'), ...args], {
      cwd: repos.dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('taco-ci run mirror-sync', () => {
  it('takes the repository from the profile, token from its {env} reference; bad names exit 2', async () => {
    const profile = path.join(repos.dir, 'site.yaml');
    writeFileSync(
      profile,
      [
        'name: site',
        'mirrors:',
        `  cache-dir: ${path.join(repos.dir, 'cli-cache')}`,
        '  defaults:',
        '    upstream-token: { env: SITE_GIT_TOKEN }',
        '    mirror-token: { env: SITE_GIT_TOKEN }',
        '  repos:',
        '    nova:',
        `      upstream: ${server.url}/upstream.git`,
        `      mirror: ${server.url}/cli-mirror.git`,
        '      refs: [master]',
        '',
      ].join('\n'),
    );
    git(repos.dir, 'init', '--quiet', '--bare', 'cli-mirror.git');
    const ok = await cli(['run', 'mirror-sync', '--profile', profile, '--input', 'name=nova', '--verbose'], {
      SITE_GIT_TOKEN: TOKEN,
    });
    expect(ok.out).toContain('changed=true');
    expect(ok.code).toBe(0);
    expect(Object.keys(repos.refs(path.join(repos.dir, 'cli-mirror.git')))).toEqual(['refs/heads/master']);
    for (const secret of TOKEN_FORMS) expect(ok.out).not.toContain(secret);

    const bad = await cli(['run', 'mirror-sync', '--profile', profile, '--input', 'name=glance'], {
      SITE_GIT_TOKEN: TOKEN,
    });
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/site\.yaml: mirrors\.repos has no entry "glance" \(it has: nova\)/);
    expect(existsSync(path.join(repos.dir, 'cli-cache'))).toBe(true);
  });
});
