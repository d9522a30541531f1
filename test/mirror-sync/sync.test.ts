import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasFailures, type RefResult, syncMirror, type SyncReport } from '../../actions/mirror-sync/sync.js';
import { readGatedReport } from '../../actions/mirror-sync/gated.js';
import { resolveConfig } from '../../actions/mirror-sync/config.js';
import { readInputs } from '../../actions/mirror-sync/inputs.js';
import { stringify } from 'yaml';
import { writeReport } from '../../actions/mirror-sync/report.js';
import { git, recordingEnvironment, Repos } from './repos.js';

let repos: Repos;
beforeEach(() => {
  repos = new Repos();
});
afterEach(() => repos.remove());

const byRef = (report: SyncReport): Record<string, RefResult> =>
  Object.fromEntries(report.refs.map((r) => [r.ref, r]));
const tmp = () => {
  const dir = path.join(repos.dir, `tmp-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  return dir;
};
const sync = (overrides: Parameters<Repos['config']>[0] = {}, environment = recordingEnvironment(tmp())) =>
  syncMirror(repos.config(overrides), environment);

/** An upstream with two branches, an annotated and a lightweight tag. */
function seedUpstream() {
  repos.commit('master');
  git(repos.work, 'tag', '-a', 'v1.0.0', '-m', 'release 1.0.0');
  repos.commit('master');
  repos.commit('stable/2024.1');
  git(repos.work, 'tag', 'light');
  repos.pushUpstream('refs/heads/master', 'refs/heads/stable/2024.1', 'refs/tags/v1.0.0', 'refs/tags/light');
}

describe('syncMirror with local bare repositories', () => {
  it('first sync copies every selected ref, tags as tag objects', async () => {
    seedUpstream();
    const report = await sync();
    expect(hasFailures(report)).toBe(false);
    expect(report.changed).toBe(true);
    expect(report.fetched).toBe(true);
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));
    const refs = byRef(report);
    expect(refs['refs/heads/master']).toMatchObject({
      action: 'created',
      old: null,
      new: repos.rev('master'),
    });
    expect(refs['refs/tags/v1.0.0'].new).toBe(repos.rev('refs/tags/v1.0.0')); // the tag object, not the commit
    expect(git(repos.mirror, 'cat-file', '-t', 'refs/tags/v1.0.0').trim()).toBe('tag');
    // Nothing was on the mirror: each ref brings its whole history.
    expect(refs['refs/heads/master'].commits).toBe(2);
    expect(refs['refs/heads/stable/2024.1'].commits).toBe(3);
  });

  it('a second run with nothing new runs two ls-remotes and nothing else', async () => {
    seedUpstream();
    await sync();
    const environment = recordingEnvironment(tmp());
    const report = await sync({}, environment);
    expect(report.changed).toBe(false);
    expect(report.fetched).toBe(false);
    expect(report.refs.every((r) => r.action === 'unchanged')).toBe(true);
    const commands = environment.lines.filter((l) => l.startsWith('debug: $ git'));
    expect(commands).toHaveLength(2);
    expect(commands.every((c) => c.includes(' ls-remote '))).toBe(true);
  });

  it('new commits are fetched incrementally and fast-forwarded', async () => {
    seedUpstream();
    await sync();
    repos.commit('master');
    repos.commit('master');
    repos.pushUpstream('master');
    const report = await sync();
    expect(byRef(report)['refs/heads/master']).toMatchObject({
      action: 'updated',
      commits: 2,
      new: repos.rev('master'),
    });
    expect(byRef(report)['refs/heads/stable/2024.1'].action).toBe('unchanged');
    expect(repos.refs(repos.mirror)['refs/heads/master']).toBe(repos.rev('master'));
  });

  it('new refs are created; vanished ones are kept without prune and deleted with it', async () => {
    seedUpstream();
    await sync();
    repos.commit('feature/x');
    git(repos.work, 'tag', 'v2.0.0', 'master');
    repos.pushUpstream(
      'refs/heads/feature/x',
      'refs/tags/v2.0.0',
      ':refs/heads/stable/2024.1',
      ':refs/tags/light',
    );

    const kept = await sync();
    expect(hasFailures(kept)).toBe(false);
    const refs = byRef(kept);
    expect(refs['refs/heads/feature/x'].action).toBe('created');
    expect(refs['refs/tags/v2.0.0'].action).toBe('created');
    expect(refs['refs/heads/stable/2024.1'].action).toBe('kept');
    expect(refs['refs/tags/light'].action).toBe('kept');
    expect(repos.refs(repos.mirror)).toHaveProperty(['refs/heads/stable/2024.1']);

    const pruned = await sync({ prune: true });
    expect(byRef(pruned)['refs/heads/stable/2024.1'].action).toBe('deleted');
    expect(byRef(pruned)['refs/tags/light'].action).toBe('deleted');
    expect(repos.refs(repos.mirror)).toEqual(repos.refs(repos.upstream));
  });

  it('never touches refs that exist only on the mirror, even with prune', async () => {
    seedUpstream();
    await sync();
    // Our own branch on the mirror, and a synced branch someone then changed on the mirror.
    const ours = repos.commit('taco/patches');
    git(repos.work, 'push', '--quiet', repos.mirror, 'refs/heads/taco/patches');
    repos.pushUpstream(':refs/heads/stable/2024.1');
    const changed = repos.commit('hotfix', 'made on the mirror');
    git(repos.work, 'push', '--quiet', '--force', repos.mirror, `${changed}:refs/heads/stable/2024.1`);

    const report = await sync({ prune: true });
    expect(hasFailures(report)).toBe(false);
    expect(byRef(report)['refs/heads/taco/patches'].action).toBe('untouched');
    expect(byRef(report)['refs/heads/stable/2024.1'].action).toBe('untouched');
    expect(repos.refs(repos.mirror)['refs/heads/taco/patches']).toBe(ours);
    expect(repos.refs(repos.mirror)['refs/heads/stable/2024.1']).toBe(changed);
  });

  it('refuses an upstream force-push unless allow-force matches, and still syncs the other refs', async () => {
    seedUpstream();
    await sync();
    const before = repos.refs(repos.mirror);
    git(repos.work, 'checkout', '--quiet', 'master');
    git(repos.work, 'reset', '--quiet', '--hard', 'HEAD~1');
    const rewritten = repos.commit('master', 'rewritten history');
    const ff = repos.commit('stable/2024.1');
    git(repos.work, 'tag', '--force', 'v1.0.0', ff); // a moved tag
    repos.pushUpstream('+refs/heads/master', 'refs/heads/stable/2024.1', '+refs/tags/v1.0.0');

    const refused = await sync();
    expect(hasFailures(refused)).toBe(true);
    expect(byRef(refused)['refs/heads/master']).toMatchObject({
      action: 'refused',
      reason: expect.stringContaining('not a fast-forward'),
    });
    expect(byRef(refused)['refs/tags/v1.0.0']).toMatchObject({
      action: 'refused',
      reason: expect.stringContaining('tag was moved'),
    });
    expect(byRef(refused)['refs/heads/stable/2024.1'].action).toBe('updated');
    expect(repos.refs(repos.mirror)['refs/heads/master']).toBe(before['refs/heads/master']);
    expect(refused.failures.join('\n')).toContain('refs/heads/master: refused');

    const allowed = await sync({ allowForce: ['master', 'refs/tags/v*'] });
    expect(hasFailures(allowed)).toBe(false);
    expect(byRef(allowed)['refs/heads/master'].action).toBe('forced');
    expect(byRef(allowed)['refs/tags/v1.0.0'].action).toBe('forced');
    expect(repos.refs(repos.mirror)['refs/heads/master']).toBe(rewritten);
  });

  it('pushes only refs whose gate passed; a failed gate is reported with its output', async () => {
    seedUpstream();
    await sync();
    const bad = repos.commit('master', 'broken change');
    const good = repos.commit('stable/2024.1', 'good change');
    repos.pushUpstream('master', 'stable/2024.1');
    // The gate sees an exported tree (no .git): the commit comes as MIRROR_SYNC_COMMIT.
    const gate = `echo "checking $MIRROR_SYNC_REFS"; if [ "$MIRROR_SYNC_COMMIT" = ${bad} ]; then echo "pep8: E999 bad"; exit 3; fi`;

    const report = await sync({ gate });
    expect(hasFailures(report)).toBe(true);
    expect(byRef(report)['refs/heads/master']).toMatchObject({
      action: 'gate-failed',
      gate: 'failed',
      new: bad,
    });
    expect(byRef(report)['refs/heads/stable/2024.1']).toMatchObject({
      action: 'updated',
      gate: 'passed',
      new: good,
    });
    expect(repos.refs(repos.mirror)['refs/heads/master']).not.toBe(bad);
    expect(report.failures.join('\n')).toMatch(
      /refs\/heads\/master: gate exited with code 3[\s\S]*pep8: E999 bad/,
    );

    // fail-fast: the first failure stops everything, nothing is pushed.
    repos.commit('stable/2024.1', 'another good change');
    repos.pushUpstream('stable/2024.1');
    const stopped = await sync({ gate, failFast: true });
    const refs = byRef(stopped);
    expect(refs['refs/heads/master'].action).toBe('gate-failed');
    expect(refs['refs/heads/stable/2024.1'].action).toBe('skipped');
    expect(repos.refs(repos.mirror)['refs/heads/stable/2024.1']).toBe(good);
  });

  it('a gate that runs too long is stopped and its ref not pushed', async () => {
    seedUpstream();
    const report = await sync({ gate: 'sleep 30', gateTimeoutMs: 300, refs: ['master'] });
    expect(byRef(report)['refs/heads/master']).toMatchObject({ action: 'gate-failed', gate: 'timed-out' });
    expect(repos.refs(repos.mirror)).toEqual({});
  });

  it('a concurrent push to the mirror between fetch and push is never overwritten (lost race)', async () => {
    seedUpstream();
    await sync();
    repos.commit('master');
    repos.pushUpstream('master');
    const theirs = repos.commit('someone-else', 'pushed to the mirror meanwhile');
    // The gate runs after the fetch and before the push: it plays the concurrent writer. As root
    // the gate runs as nobody, so the test opens the repositories to it.
    execFileSync('chmod', ['-R', 'a+rwX', repos.dir]);
    const gate = `git config --global safe.directory '*' && git -C ${repos.work} push --quiet --force ${repos.mirror} ${theirs}:refs/heads/master`;
    const report = await sync({ gate, refs: ['master'] });
    expect(hasFailures(report)).toBe(true);
    expect(byRef(report)['refs/heads/master'].action, report.failures.join('\n')).toBe('lost-race');
    expect(report.failures.join('\n')).toMatch(/lost a race.*nothing was overwritten/);
    expect(repos.refs(repos.mirror)['refs/heads/master']).toBe(theirs);
  });

  it('a value gone upstream between listing and fetch is fetched by name and taken as it now is', async () => {
    seedUpstream();
    await sync();
    const listed = repos.commit('master', 'listed, then rewritten away');
    repos.pushUpstream('master');
    const environment = recordingEnvironment(tmp());
    let rewritten: string | undefined;
    const debug = environment.debug;
    environment.debug = (message) => {
      debug(message);
      // Right before the fetch starts, the upstream force-pushes the listed commit away and drops it.
      if (/^\$ git .*\bfetch /.test(message) && !rewritten) {
        git(repos.work, 'reset', '--quiet', '--hard', 'HEAD~1');
        rewritten = repos.commit('master', 'the new value');
        repos.pushUpstream('+master');
        git(repos.upstream, 'reflog', 'expire', '--expire=now', '--all');
        git(repos.upstream, 'gc', '--quiet', '--prune=now');
      }
    };
    const report = await sync({ refs: ['master'] }, environment);
    expect(hasFailures(report)).toBe(false);
    expect(environment.lines.join('\n')).toContain('fetching by ref name');
    expect(environment.lines.join('\n')).toContain(
      `moved upstream during the sync: taking ${rewritten!.slice(0, 12)}`,
    );
    expect(byRef(report)['refs/heads/master']).toMatchObject({ action: 'updated', new: rewritten });
    expect(repos.refs(repos.mirror)['refs/heads/master']).toBe(rewritten);
    expect(repos.refs(repos.mirror)['refs/heads/master']).not.toBe(listed);
  });

  it('dry run does everything but push', async () => {
    seedUpstream();
    await sync();
    repos.commit('master');
    repos.pushUpstream('master', ':refs/tags/light');
    const report = await sync({ dryRun: true, prune: true, gate: 'true' });
    expect(report.changed).toBe(true);
    expect(byRef(report)['refs/heads/master']).toMatchObject({
      action: 'would-update',
      gate: 'passed',
      commits: 1,
    });
    expect(byRef(report)['refs/tags/light'].action).toBe('would-delete');
    expect(repos.refs(repos.mirror)['refs/heads/master']).not.toBe(repos.rev('master'));
    expect(repos.refs(repos.mirror)).toHaveProperty(['refs/tags/light']);
  });

  it('selects refs by pattern and exclusion', async () => {
    seedUpstream();
    repos.commit('stable/2023.2-eol');
    git(repos.work, 'tag', 'v1.0.0-eol');
    repos.pushUpstream('refs/heads/stable/2023.2-eol', 'refs/tags/v1.0.0-eol');
    const report = await sync({
      refs: ['stable/*', 'refs/tags/v*'],
      excludeRefs: ['stable/*-eol', 'refs/tags/*-eol'],
    });
    expect(Object.keys(repos.refs(repos.mirror)).sort()).toEqual([
      'refs/heads/stable/2024.1',
      'refs/tags/v1.0.0',
    ]);
    expect(report.refs.map((r) => r.ref).sort()).toEqual(['refs/heads/stable/2024.1', 'refs/tags/v1.0.0']);
  });
});

describe('the persistent cache', () => {
  const cacheRepo = () => {
    const name = readdirSync(repos.cacheDir).find((f) => f.endsWith('.git'));
    return path.join(repos.cacheDir, name!);
  };

  it('detects a corrupt cache (objects lost) and rebuilds it', async () => {
    seedUpstream();
    await sync();
    const cache = cacheRepo();
    for (const sub of readdirSync(path.join(cache, 'objects'))) {
      if (sub !== 'info') rmSync(path.join(cache, 'objects', sub), { recursive: true, force: true });
    }
    mkdirSync(path.join(cache, 'objects', 'pack'));
    repos.commit('master');
    repos.pushUpstream('master');
    const report = await sync();
    expect(hasFailures(report)).toBe(false);
    expect(report.cache.recovery.join('\n')).toMatch(/rebuilt: git fsck --connectivity-only failed/);
    expect(repos.refs(repos.mirror)['refs/heads/master']).toBe(repos.rev('master'));
    expect(git(cache, 'fsck', '--connectivity-only').trim()).toBe('');
  });

  it('removes git lock files left by a killed process', async () => {
    seedUpstream();
    await sync();
    writeFileSync(path.join(cacheRepo(), 'refs', 'heads', 'master.lock'), '');
    repos.commit('master');
    repos.pushUpstream('master');
    const report = await sync();
    expect(hasFailures(report)).toBe(false);
    expect(report.cache.recovery.join('\n')).toMatch(
      /removed stale git lock files: refs\/heads\/master.lock/,
    );
    expect(existsSync(path.join(cacheRepo(), 'refs', 'heads', 'master.lock'))).toBe(false);
  });

  it('replaces a cache directory that is not a repository, and takes over an abandoned job lock', async () => {
    seedUpstream();
    await sync();
    const cache = cacheRepo();
    rmSync(cache, { recursive: true });
    mkdirSync(cache);
    writeFileSync(path.join(cache, 'garbage'), 'x');
    writeFileSync(
      `${cache}.lock`,
      JSON.stringify({ pid: 2 ** 22 + 1, host: (await import('node:os')).hostname(), started: 'then' }),
    );
    repos.commit('master');
    repos.pushUpstream('master');
    const report = await sync();
    expect(hasFailures(report)).toBe(false);
    expect(report.cache.recovery.join('\n')).toMatch(/not a bare git repository/);
    expect(existsSync(`${cache}.lock`)).toBe(false);
  });
});

describe('gate and push in separate jobs (gated)', () => {
  it('pushes exactly the values the gate job passed; a ref that moved since waits', async () => {
    seedUpstream();
    await sync();
    const bad = repos.commit('master', 'broken change');
    const good = repos.commit('stable/2024.1', 'good change');
    repos.pushUpstream('master', 'stable/2024.1');

    // The gate job: a dry run with the gate, and (in the workflow) without the mirror's token.
    const gateJob = await sync({
      dryRun: true,
      gate: `if [ "$MIRROR_SYNC_COMMIT" = ${bad} ]; then exit 1; fi`,
    });
    const reportFile = await writeReport(gateJob, tmp());
    expect(repos.refs(repos.mirror)['refs/heads/stable/2024.1']).not.toBe(good);

    // Meanwhile stable/2024.1 moves on upstream: that value was never gated.
    const config = repos.config();
    const gated = readGatedReport(reportFile, config.upstream, config.mirror, true);
    expect([...gated]).toEqual([['refs/heads/stable/2024.1', good]]);
    const pushJob = await sync({ gated });
    expect(byRef(pushJob)['refs/heads/stable/2024.1']).toMatchObject({ action: 'updated', new: good });
    expect(byRef(pushJob)['refs/heads/master']).toMatchObject({ action: 'skipped', new: bad });
    expect(repos.refs(repos.mirror)['refs/heads/stable/2024.1']).toBe(good);
    expect(repos.refs(repos.mirror)['refs/heads/master']).not.toBe(bad);

    const later = repos.commit('stable/2024.1', 'after the gate job');
    repos.pushUpstream('stable/2024.1');
    const moved = await sync({ gated: readGatedReport(reportFile, config.upstream, config.mirror, true) });
    expect(byRef(moved)['refs/heads/stable/2024.1']).toMatchObject({ action: 'skipped', new: later });
    expect(moved.failures.join('\n')).toMatch(/the gate job passed [0-9a-f]{12}, the upstream now has/);
    expect(repos.refs(repos.mirror)['refs/heads/stable/2024.1']).toBe(good);

    // A report of a run that pushed, or of another mirror, is refused.
    const pushed = await writeReport({ ...gateJob, dryRun: false }, tmp());
    expect(() => readGatedReport(pushed, config.upstream, config.mirror, true)).toThrow(/dry-run: true/);
    expect(() => readGatedReport(reportFile, config.upstream, '/elsewhere.git', true)).toThrow(/not of/);
  });

  it('a gate job that ran without the gate approves no update of a mirror that has one', async () => {
    seedUpstream();
    await sync();
    const change = repos.commit('master', 'never gated');
    repos.pushUpstream('master');
    // The gate job's dry run, with the gate left out (a profile without it, an empty input).
    const skipped = await sync({ dryRun: true });
    expect(byRef(skipped)['refs/heads/master']).toMatchObject({ action: 'would-update', gate: 'none' });
    const reportFile = await writeReport(skipped, tmp());

    // The push job, whose profile names the mirror's gate: nothing counts as gated, and it fails.
    const profile = path.join(tmp(), 'profile.yaml');
    writeFileSync(
      profile,
      stringify({
        mirrors: {
          repos: { nova: { upstream: repos.upstream, mirror: `file://${repos.mirror}`, gate: 'make test' } },
        },
      }),
    );
    const inputs = { profile, name: 'nova', gated: reportFile, 'cache-dir': repos.cacheDir };
    const ctx = { env: {}, workspace: repos.dir, setSecret: () => undefined };
    const config = resolveConfig(
      readInputs({ ...ctx, getInput: (n) => inputs[n as keyof typeof inputs] ?? '' }),
      ctx,
    );
    expect([...config.gated!]).toEqual([]);
    const pushJob = await syncMirror(
      { ...config, refs: ['refs/heads/**', 'refs/tags/**'] },
      recordingEnvironment(tmp()),
    );
    expect(byRef(pushJob)['refs/heads/master']).toMatchObject({ action: 'skipped', new: change });
    expect(hasFailures(pushJob)).toBe(true);
    expect(repos.refs(repos.mirror)['refs/heads/master']).not.toBe(change);

    // A mirror without a gate takes the gate job's ungated values: nothing was skipped there.
    expect([...readGatedReport(reportFile, repos.upstream, `file://${repos.mirror}`, false)]).toContainEqual([
      'refs/heads/master',
      change,
    ]);
  });
});
