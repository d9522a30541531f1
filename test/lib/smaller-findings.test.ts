/**
 * Finding 7 of issue 17 (the smaller ones): tempest.conf is the owner's alone, git URLs and refs
 * from every input and manifest are checked with mirror-sync's rules, derived git credentials are
 * masked, and a multi-line kubeconfig is masked credential by credential in every action.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../actions/lib/armada/index.js';
import { basicAuthHeader, basicCredential } from '../../actions/lib/git/auth.js';
import { checkGitRef, checkUrl } from '../../actions/lib/git/url.js';
import { parseHistoryTarget } from '../../actions/lib/history/target.js';
import { maskKubeconfig } from '../../actions/lib/kube/mask.js';
import { parseGitRepos } from '../../actions/promote-version/git-tags.js';
import { writeConfig } from '../../actions/tempest/workspace.js';
import { chartDoc, groupDoc, manifestDoc, tempDir, writeFile } from '../deploy-armada/support.js';

const mode = (file: string) => statSync(file).mode & 0o777;

describe('tempest.conf holds the admin password: 0600 however it was made', () => {
  const ctx = { env: { ADMIN_PW: 'tempest-admin-pw' }, setSecret: () => undefined };
  const section = {
    identity: {
      uri: 'http://127.0.0.1:5000/v3',
      username: 'admin',
      password: { env: 'ADMIN_PW' },
      project: 'admin',
    },
  };

  it.each(['profile', 'existing', 'file'] as const)('%s', (kind) => {
    const workspace = tempDir();
    const conf = path.join(workspace, 'etc', 'tempest.conf');
    mkdirSync(path.dirname(conf), { recursive: true });
    // As `tempest init` leaves it.
    writeFileSync(conf, '[DEFAULT]\n', { mode: 0o644 });
    const given = path.join(workspace, 'given.conf');
    writeFileSync(given, '[identity]\nadmin_password = x\n', { mode: 0o644 });
    const source =
      kind === 'profile'
        ? { kind, section, profileFile: 'p.yaml' }
        : kind === 'file'
          ? { kind, file: given }
          : { kind };
    expect(writeConfig(ctx, workspace, source).file).toBe(conf);
    expect(mode(conf)).toBe(0o600);
  });
});

describe('git URLs and refs: one checker for mirror-sync, the ledger, git tags and Armada sources', () => {
  it.each([
    ['--upload-pack=touch /tmp/pwned', /cannot start with '-'/],
    ['https://user:token@git.example/r.git', /carries credentials/],
    ['https://x-access-token@git.example/r.git', /carries credentials/],
    ['ext::sh -c touch% /tmp/pwned', /expected a URL/],
  ])('checkUrl refuses %s', (url, why) => {
    expect(() => checkUrl(url, 'u')).toThrow(why);
  });

  it('refuses option-like refs', () => {
    expect(() => checkGitRef('--output=/etc/x', 'r')).toThrow(/a git reference cannot start with '-'/);
    expect(checkGitRef('v1.2.3', 'r')).toBe('v1.2.3');
  });

  it('the ledger: credentials in the URL and option-like branches are refused', () => {
    expect(() =>
      parseHistoryTarget('https://u:p@git.example/ledger.git#main:h.jsonl', 'promote.history', '/w'),
    ).toThrow(/promote\.history: the ledger's repository: the URL carries credentials/);
    expect(() =>
      parseHistoryTarget('https://git.example/ledger.git#--force:h.jsonl', 'promote.history', '/w'),
    ).toThrow(/the ledger's branch: a git reference cannot start with '-'/);
    expect(parseHistoryTarget('https://git.example/ledger.git#main:h.jsonl', 'h', '/w')).toMatchObject({
      url: 'https://git.example/ledger.git',
      branch: 'main',
    });
  });

  it('git tags (promote-version git-repos): the same rules', () => {
    expect(() => parseGitRepos(['https://u:p@git.example/a.git'], 'git-repos')).toThrow(
      /carries credentials/,
    );
    expect(() => parseGitRepos(['-oProxyCommand=x#main'], 'git-repos')).toThrow(/cannot start with '-'/);
    expect(() => parseGitRepos(['https://git.example/a.git#--delete'], 'git-repos')).toThrow(
      /cannot start with '-'/,
    );
    expect(parseGitRepos(['https://git.example/a.git#v1'], 'git-repos')).toEqual([
      { url: 'https://git.example/a.git', ref: 'v1' },
    ]);
  });

  it('Armada git chart sources: located problems, nothing deployed', () => {
    const bad = [
      chartDoc({
        name: 'keystone',
        data: {
          dependencies: [],
          source: { type: 'git', location: 'https://u:p@git.example/osh.git', subpath: 'keystone' },
        },
      }),
      chartDoc({
        name: 'glance',
        data: {
          dependencies: [],
          source: {
            type: 'git',
            location: 'https://git.example/osh.git',
            subpath: 'glance',
            reference: '--upload-pack=x',
          },
        },
      }),
      groupDoc('services', ['keystone', 'glance'], true),
      manifestDoc('armada-manifest', ['services']),
    ].join('');
    const file = writeFile(tempDir(), 'site.yaml', bad);
    let problems: string[] = [];
    try {
      loadManifest({ files: [file] });
    } catch (err) {
      problems = ((err as { problems?: { keyPath: string; message: string }[] }).problems ?? []).map(
        (p) => `${p.keyPath}: ${p.message}`,
      );
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^data\.source\.location: the URL carries credentials/),
        expect.stringMatching(/^data\.source\.reference: a git reference cannot start with '-'/),
      ]),
    );
  });
});

describe('derived secrets are masked', () => {
  it('the Basic credential git sends is the one registered', () => {
    expect(basicAuthHeader('tok-123')).toBe(`Authorization: Basic ${basicCredential('tok-123')}`);
  });
});

describe('kubeconfig masking: one helper for every action that takes one', () => {
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
    'users:',
    '- name: ci',
    '  user:',
    '    token: kube-token-abcdef',
    '    client-key-data: S0VZREFUQQ==',
    '    password: "pw-123456"',
  ].join('\n');

  it('registers the whole text and each credential line on its own', () => {
    const masked: string[] = [];
    maskKubeconfig({ setSecret: (v) => masked.push(v) }, kubeconfig);
    expect(masked).toEqual([kubeconfig, 'kube-token-abcdef', 'S0VZREFUQQ==', 'pw-123456']);
  });

  it('a path is not a secret', () => {
    const masked: string[] = [];
    maskKubeconfig({ setSecret: (v) => masked.push(v) }, '/home/runner/.kube/config');
    maskKubeconfig({ setSecret: (v) => masked.push(v) }, undefined);
    expect(masked).toEqual([]);
  });
});
