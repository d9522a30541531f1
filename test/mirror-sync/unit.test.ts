import { statSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../actions/lib/errors.js';
import {
  basicAuthHeader,
  gitConfigEnv,
  headerScope,
  httpTokenEnv,
  writeSshKey,
} from '../../actions/lib/git/auth.js';
import { isLostRace, leasedPushArgs, parsePushPorcelain } from '../../actions/lib/git/push.js';
import { countReached, parseParents, parseRefList } from '../../actions/lib/git/refs.js';
import fc from 'fast-check';
import { classify, decideUpdate } from '../../actions/mirror-sync/classify.js';
import { checkUrl, resolveConfig, urlKind } from '../../actions/mirror-sync/config.js';
import { gateEnvironment } from '../../actions/mirror-sync/gate-sandbox.js';
import { readInputs } from '../../actions/mirror-sync/inputs.js';
import { normalizePattern, patternProblem, refSelector } from '../../actions/mirror-sync/ref-patterns.js';
import type { Session } from '../../actions/mirror-sync/sync.js';
import { countBrought, type Pending } from '../../actions/mirror-sync/update.js';
import type { RepoCache } from '../../actions/lib/git/cache.js';
import { Git } from '../../actions/lib/git/git.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const dir = mkdtempSync(path.join(os.tmpdir(), 'mirror-sync-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ref patterns', () => {
  it('treats short names as branches and follows workflow-filter glob rules', () => {
    expect(normalizePattern('stable/*')).toBe('refs/heads/stable/*');
    expect(normalizePattern('refs/tags/v*')).toBe('refs/tags/v*');
    const s = refSelector(['master', 'stable/*', 'refs/tags/**'], ['refs/tags/*-eol']);
    expect(s.selects('refs/heads/master')).toBe(true);
    expect(s.selects('refs/heads/stable/2024.1')).toBe(true);
    expect(s.selects('refs/heads/stable/a/b')).toBe(false);
    expect(s.selects('refs/heads/feature')).toBe(false);
    expect(s.selects('refs/tags/x/y')).toBe(true);
    expect(s.selects('refs/tags/newton-eol')).toBe(false);
    expect(s.scope).toEqual({ heads: true, tags: true });
    expect(refSelector(['refs/changes/**']).scope).toBeUndefined();
  });

  it('rejects patterns no valid ref can match', () => {
    expect(patternProblem('stable/*')).toBeUndefined();
    expect(patternProblem('bad..name')).toMatch(/not a valid ref pattern/);
    expect(patternProblem('with space')).toMatch(/not a valid ref pattern/);
    expect(patternProblem('refs/heads')).toMatch(/names no ref/);
  });
});

describe('classify and decideUpdate', () => {
  const selector = refSelector(['refs/heads/**', 'refs/tags/**']);
  it('separates unchanged, candidates, vanished (written by us) and mirror-only refs', () => {
    const c = classify(
      {
        upstream: new Map([
          ['refs/heads/master', A],
          ['refs/heads/new', B],
          ['refs/tags/v1', C],
          ['refs/notes/x', A],
        ]),
        mirror: new Map([
          ['refs/heads/master', B],
          ['refs/tags/v1', C],
          ['refs/heads/gone', A],
          ['refs/heads/ours', A],
          ['refs/heads/changed-here', C],
        ]),
        synced: { 'refs/heads/gone': A, 'refs/heads/changed-here': B },
      },
      selector,
    );
    expect(c.unchanged).toEqual([{ ref: 'refs/tags/v1', value: C }]);
    expect(c.candidates).toEqual([
      { ref: 'refs/heads/master', old: B, new: A },
      { ref: 'refs/heads/new', old: undefined, new: B },
    ]);
    expect(c.vanished).toEqual([{ ref: 'refs/heads/gone', old: A }]);
    expect(c.mirrorOnly.map((m) => m.ref)).toEqual(['refs/heads/changed-here', 'refs/heads/ours']);
  });

  it('allows fast-forwards, refuses rewrites and moved tags unless forced', () => {
    expect(decideUpdate({ ref: 'refs/heads/x', old: undefined, new: A }, undefined, false).kind).toBe(
      'create',
    );
    expect(decideUpdate({ ref: 'refs/heads/x', old: B, new: A }, true, false).kind).toBe('fast-forward');
    expect(decideUpdate({ ref: 'refs/heads/x', old: B, new: A }, false, false).kind).toBe('refused');
    expect(decideUpdate({ ref: 'refs/heads/x', old: B, new: A }, false, true).kind).toBe('force');
    expect(decideUpdate({ ref: 'refs/tags/v1', old: B, new: A }, true, false)).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/tag was moved/),
    });
    expect(decideUpdate({ ref: 'refs/tags/v1', old: B, new: A }, undefined, true).kind).toBe('force');
  });
});

describe('git output parsers', () => {
  it('reads ls-remote output, skipping peeled tags and HEAD', () => {
    const refs = parseRefList(
      `${A}\tHEAD\n${A}\trefs/heads/master\n${B}\trefs/tags/v1\n${A}\trefs/tags/v1^{}\n`,
    );
    expect([...refs]).toEqual([
      ['refs/heads/master', A],
      ['refs/tags/v1', B],
    ]);
    expect(() => parseRefList('garbage line')).toThrow(/Unexpected line/);
  });

  it('reads git push --porcelain (git-push(1) OUTPUT) and recognises lost races', () => {
    const out = [
      'To http://127.0.0.1:1/mirror.git',
      `*\t${A}:refs/heads/new\t[new branch]`,
      ` \t${A}:refs/heads/master\t${B.slice(0, 7)}..${A.slice(0, 7)}`,
      `-\t:refs/heads/gone\t[deleted]`,
      `!\t${A}:refs/heads/raced\t[rejected] (stale info)`,
      `!\t${A}:refs/heads/locked\t[remote rejected] (cannot lock ref 'refs/heads/locked': is at ${C} but expected ${B})`,
      `!\t${A}:refs/heads/hook\t[remote rejected] (pre-receive hook declined)`,
      'Done',
    ].join('\n');
    const results = parsePushPorcelain(out);
    expect(results.map((r) => [r.ref, r.status])).toEqual([
      ['refs/heads/new', 'ok'],
      ['refs/heads/master', 'ok'],
      ['refs/heads/gone', 'ok'],
      ['refs/heads/raced', 'rejected'],
      ['refs/heads/locked', 'remote-rejected'],
      ['refs/heads/hook', 'remote-rejected'],
    ]);
    expect(results.map(isLostRace)).toEqual([false, false, false, true, true, false]);
  });

  it('leases every ref on its expected value (empty: must not exist)', () => {
    const args = leasedPushArgs('file:///m.git', [
      { ref: 'refs/heads/a', expect: B, value: A },
      { ref: 'refs/heads/new', expect: undefined, value: A },
      { ref: 'refs/heads/old', expect: C, value: undefined },
    ]);
    expect(args).toContain(`--force-with-lease=refs/heads/a:${B}`);
    expect(args).toContain('--force-with-lease=refs/heads/new:');
    expect(args.slice(-3)).toEqual([`${A}:refs/heads/a`, `${A}:refs/heads/new`, ':refs/heads/old']);
    expect(args.join(' ')).not.toMatch(/--force(\s|$)|--mirror/);
  });
});

describe('counting the commits each tip brings', () => {
  /** Reference: a plain search from each tip. */
  const slowCount = (parents: number[][], tip: number) => {
    const seen = new Set([tip]);
    const stack = [tip];
    while (stack.length > 0)
      for (const p of parents[stack.pop()!]) if (!seen.has(p) && seen.add(p)) stack.push(p);
    return seen.size;
  };
  const id = (n: number) => n.toString(16).padStart(40, '0');

  it('reads rev-list --parents output, dropping parents outside it', () => {
    const graph = parseParents(`${id(3)} ${id(2)} ${id(9)}\n${id(2)} ${id(1)}\n${id(1)}`);
    const parentsOf = (row: number) => [
      ...graph.parentRows.subarray(graph.parentStart[row], graph.parentStart[row + 1]),
    ];
    expect([0, 1, 2].map(parentsOf)).toEqual([[1], [2], []]);
    const withNewline = parseParents(`${id(3)} ${id(2)} ${id(9)}\n${id(2)} ${id(1)}\n${id(1)}\n`);
    expect(countReached(withNewline, [id(3)])).toEqual(new Map([[id(3), 3]]));
    expect(countReached(parseParents(''), [id(3)])).toEqual(new Map([[id(3), 0]]));
    expect(countReached(graph, [id(3), id(2), id(7)])).toEqual(
      new Map([
        [id(3), 3],
        [id(2), 2],
        [id(7), 0],
      ]),
    );
  });

  it('agrees with a search from each tip on random histories, merges and >1024 tips included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        (rawParents, rawTips, shuffled) => {
          // Row r's parents are older rows (a DAG); the rows are listed newest first or shuffled.
          const n = rawParents.length;
          const parentsOf = rawParents.map((ps, r) => [...new Set(r === 0 ? [] : ps.map((p) => p % r))]);
          const rows = [...Array(n).keys()].reverse();
          if (shuffled) rows.sort((a, b) => ((a * 7919) % 13) - ((b * 7919) % 13));
          const text = rows.map((r) => [r, ...parentsOf[r]].map(id).join(' ')).join('\n');
          const tips = [...new Set(rawTips.map((t) => t % n))].map(id);
          const counts = countReached(parseParents(text), tips);
          for (const tip of tips)
            expect(counts.get(tip)).toBe(slowCount(parentsOf, Number.parseInt(tip, 16)));
        },
      ),
    );
    // More tips than one chunk: a linear history of 1,500 commits, every commit a tip.
    const text = Array.from({ length: 1500 }, (_, i) =>
      i === 1499 ? id(0) : `${id(1499 - i)} ${id(1498 - i)}`,
    ).join('\n');
    const counts = countReached(
      parseParents(text),
      Array.from({ length: 1500 }, (_, i) => id(i)),
    );
    expect([counts.get(id(0)), counts.get(id(1023)), counts.get(id(1024)), counts.get(id(1499))]).toEqual([
      1, 1024, 1025, 1500,
    ]);
  });
});

describe('counting the commits of a sync', () => {
  it('a count git cannot make is a warning naming why, and the report gets no number', async () => {
    const warnings: string[] = [];
    const notARepository = mkdtempSync(path.join(dir, 'not-a-repo-'));
    // Only what countBrought reads of a session: a real git runner and the warning sink.
    const session = {
      base: new Git({ env: { ...process.env, GIT_CEILING_DIRECTORIES: dir } }),
      environment: { warning: (m: string) => warnings.push(m) },
    } as unknown as Session;
    const pending = [
      { candidate: { ref: 'refs/heads/master', old: undefined, new: A }, commit: A },
    ] as Pending[];
    const counts = await countBrought(session, { dir: notARepository } as RepoCache, pending, new Set());
    expect(counts).toBeUndefined();
    expect(warnings).toEqual([
      expect.stringMatching(/^Could not count the new commits .*: fatal: not a git repository/),
    ]);
  });
});

describe('git auth through the environment', () => {
  it('appends GIT_CONFIG entries after existing ones', () => {
    expect(gitConfigEnv([['a.b', '1']], { GIT_CONFIG_COUNT: '2' })).toEqual({
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_2: 'a.b',
      GIT_CONFIG_VALUE_2: '1',
    });
  });

  it('builds a URL-scoped Basic header, disables helpers and prompts', () => {
    const auth = httpTokenEnv('tok123', { scopeUrl: 'https://git.example/org/repo.git?x=1' });
    expect(auth.env).toMatchObject({
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'credential.helper',
      GIT_CONFIG_VALUE_0: '',
      GIT_CONFIG_KEY_1: 'http.https://git.example/org/repo.git.extraheader',
      GIT_CONFIG_VALUE_1: basicAuthHeader('tok123'),
    });
    expect(basicAuthHeader('tok123')).toBe(
      `Authorization: Basic ${Buffer.from('x-access-token:tok123').toString('base64')}`,
    );
    expect(auth.secrets).toContain('tok123');
    expect(() => headerScope('https://user:pw@git.example/r.git')).toThrow(/carries credentials/);
    expect(() => httpTokenEnv('a\nb')).toThrow(/single line/);
  });

  it('writes an SSH key 0600 in its own 0700 directory and removes it', async () => {
    const key =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----';
    const file = await writeSshKey(key, dir);
    expect(statSync(file.file).mode & 0o777).toBe(0o600);
    expect(statSync(file.dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(file.file, 'utf8').endsWith('-----\n')).toBe(true);
    expect(file.env.GIT_SSH_COMMAND).toBe(
      `ssh -i '${file.file}' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new`,
    );
    expect(file.secrets).toEqual(['b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ']);
    await file.dispose();
    expect(existsSync(file.dir)).toBe(false);
    await expect(writeSshKey('not a key', dir)).rejects.toThrow(/not a PEM\/OpenSSH private key/);
  });
});

describe('inputs and configuration', () => {
  const ctx = (inputs: Record<string, string>, env: Record<string, string> = {}) => {
    const secrets: string[] = [];
    return {
      secrets,
      getInput: (name: string) => inputs[name] ?? '',
      setSecret: (value: string) => void secrets.push(value),
      env,
      workspace: dir,
    };
  };

  it('reads allow-force as a boolean or as patterns, and masks secrets (and the Basic credential git sends) first', () => {
    const c = ctx({ 'allow-force': 'true', 'upstream-token': 'tok-abc' });
    expect(readInputs(c).allowForce).toBe(true);
    expect(c.secrets).toEqual(['tok-abc', Buffer.from('x-access-token:tok-abc').toString('base64')]);
    expect(readInputs(ctx({ 'allow-force': 'master, stable/*' })).allowForce).toEqual(['master', 'stable/*']);
    expect(() => readInputs(ctx({ 'gate-timeout': 'soon' }))).toThrow(/Input 'gate-timeout'/);
  });

  it('takes a repository from the profile, with defaults, inputs overriding both', () => {
    const profile = path.join(dir, 'p.yaml');
    writeFileSync(
      profile,
      [
        'mirrors:',
        '  cache-dir: caches',
        '  defaults: { refs: [master], gate-timeout: 5m, prune: true, mirror-token: { env: M_TOKEN } }',
        '  repos:',
        '    nova: { upstream: https://up.example/nova.git, mirror: https://mirror.example/nova.git, allow-force: [master], gate: make test }',
        '',
      ].join('\n'),
    );
    const c = ctx({ profile, name: 'nova', prune: 'false' }, { M_TOKEN: 'mirror-secret' });
    const config = resolveConfig(readInputs(c), c);
    expect(config).toMatchObject({
      name: 'nova',
      upstream: 'https://up.example/nova.git',
      refs: ['master'],
      gate: 'make test',
      gateTimeoutMs: 300_000,
      allowForce: ['master'],
      prune: false,
      mirrorToken: 'mirror-secret',
      cacheDir: path.join(dir, 'caches'),
      secretEnv: ['M_TOKEN'],
    });
    expect(c.secrets).toContain('mirror-secret');
    expect(() => resolveConfig(readInputs(ctx({ profile, name: 'glance' })), ctx({}))).toThrow(
      /mirrors\.repos has no entry "glance" \(it has: nova\)/,
    );
    expect(() => resolveConfig(readInputs(ctx({ profile, name: 'nova' })), ctx({}))).toThrow(
      /M_TOKEN is not set/,
    );
  });

  it('refuses unusable URLs and asks for upstream and mirror', () => {
    const cfg = (inputs: Record<string, string>) =>
      resolveConfig(readInputs(ctx(inputs)), ctx({}, { RUNNER_TOOL_CACHE: '/opt/tc' }));
    expect(() => cfg({})).toThrow(UserError);
    expect(() => cfg({ upstream: 'https://u:p@git.example/r.git', mirror: '/m.git' })).toThrow(
      /carries credentials/,
    );
    expect(() => cfg({ upstream: 'relative/path', mirror: '/m.git' })).toThrow(/absolute path/);
    expect(() => cfg({ upstream: '/r.git', mirror: 'file:///r.git' })).toThrow(/same repository/);
    expect(() => cfg({ upstream: '/r.git', mirror: '/m.git', refs: 'a..b' })).toThrow(/Input 'refs'/);
    expect(cfg({ upstream: 'https://git.example/org/kolla.git', mirror: '/m.git' })).toMatchObject({
      name: 'kolla',
      refs: ['refs/heads/**', 'refs/tags/**'],
      cacheDir: '/opt/tc/taco-mirror-sync',
      allowForce: [],
    });
    expect([urlKind('git@host:x.git'), urlKind('ssh://h/x'), urlKind('https://h/x'), urlKind('/x')]).toEqual([
      'ssh',
      'ssh',
      'http',
      'file',
    ]);
    expect(checkUrl(' /x.git ', 'u')).toBe('/x.git');
  });
});

describe('list mode', () => {
  it('outputs the profile mirror names for a matrix and syncs nothing', async () => {
    const { run } = await import('../../actions/mirror-sync/main.js');
    const { terminalContext } = await import('../../actions/lib/terminal-context.js');
    const profile = path.join(dir, 'list.yaml');
    writeFileSync(
      profile,
      'mirrors:\n  repos:\n    nova: { upstream: /u/nova.git, mirror: /m/nova.git }\n    kolla: { upstream: /u/kolla.git, mirror: /m/kolla.git }\n',
    );
    const ctx = terminalContext({
      inputs: { profile, list: 'true' },
      signal: new AbortController().signal,
      write: () => undefined,
      workspace: dir,
    });
    await run(ctx);
    expect(JSON.parse(ctx.outputs.mirrors)).toEqual(['nova', 'kolla']);
    expect(ctx.outputs.changed).toBeUndefined();
  });
});

describe('gate environment', () => {
  const jobEnv = {
    PATH: '/bin',
    'INPUT_UPSTREAM-TOKEN': 't',
    ACTIONS_RUNTIME_TOKEN: 'r',
    GIT_CONFIG_COUNT: '1',
    GITHUB_TOKEN: 'g',
    GH_TOKEN: 'gh',
    AWS_SECRET_ACCESS_KEY: 'cloud',
    KUBECONFIG: '/k',
    HOME: '/h',
    LANG: 'C.UTF-8',
    PIP_INDEX_URL: 'https://pypi.local/simple',
  };
  const facts = { MIRROR_SYNC_COMMIT: A, MIRROR_SYNC_REFS: 'refs/heads/master refs/tags/v1' };

  it('is an allowlist: PATH, LANG, what gate-env names, its own HOME and TMPDIR, the facts', () => {
    const env = gateEnvironment({
      env: jobEnv,
      allow: ['PIP_INDEX_URL'],
      sandbox: 'user',
      home: '/g/home',
      tmp: '/g/tmp',
      facts,
    });
    expect(env).toEqual({
      PATH: '/bin',
      LANG: 'C.UTF-8',
      PIP_INDEX_URL: 'https://pypi.local/simple',
      HOME: '/g/home',
      TMPDIR: '/g/tmp',
      GIT_TERMINAL_PROMPT: '0',
      ...facts,
    });
  });

  it("keeps a container's own PATH", () => {
    const env = gateEnvironment({
      env: jobEnv,
      allow: [],
      sandbox: 'container',
      home: '/h',
      tmp: '/t',
      facts,
    });
    expect(env.PATH).toBeUndefined();
  });

  it('gate-env cannot name a credential, runner state or a profile secret', () => {
    const cfg = (gateEnv: string) => {
      const inputs: Record<string, string> = { upstream: '/u.git', mirror: '/m.git', 'gate-env': gateEnv };
      const c = {
        getInput: (n: string) => inputs[n] ?? '',
        setSecret: () => undefined,
        env: {},
        workspace: dir,
      };
      return resolveConfig(readInputs(c), c);
    };
    expect(cfg('PIP_INDEX_URL, LANGUAGE').gateEnv).toEqual(['PIP_INDEX_URL', 'LANGUAGE']);
    for (const name of [
      'INPUT_MIRROR-TOKEN',
      'GITHUB_TOKEN',
      'ACTIONS_RUNTIME_TOKEN',
      'GIT_CONFIG_VALUE_0',
      'KUBECONFIG',
    ])
      expect(() => cfg(name), name).toThrow(/Input 'gate-env'/);
  });
});
