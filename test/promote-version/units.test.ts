import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import semver from 'semver';
import { parseChallenges } from '../../actions/lib/registry/challenge.js';
import { nextPage } from '../../actions/lib/registry/client.js';
import { manifestMediaType, manifestReferences, sha256Digest } from '../../actions/lib/registry/manifest.js';
import { MediaTypes } from '../../actions/lib/registry/media-types.js';
import { parseImageReference, parseRegistryLocation } from '../../actions/lib/registry/reference.js';
import { parseRetryAfter } from '../../actions/lib/registry/transport.js';
import {
  formatHistory,
  parseHistory,
  parseHistoryTarget,
  serializeEntry,
  type HistoryEntry,
} from '../../actions/lib/history/index.js';
import { parseCandidates } from '../../actions/promote-version/candidates.js';
import { parseGitRepos } from '../../actions/promote-version/git-tags.js';
import type { VerifiedCandidate } from '../../actions/promote-version/images.js';
import { checkNightlyDigests, nightlyDifferences } from '../../actions/promote-version/nightly.js';
import type { PromoteSettings } from '../../actions/promote-version/settings.js';
import { parseReleaseRepository, releaseBody } from '../../actions/promote-version/github-release.js';
import { nextMajor, parseVersionRequest, releaseVersions } from '../../actions/promote-version/version.js';

const registry = { host: '127.0.0.1:5000', namespace: 'taco' };
const digest = `sha256:${'a'.repeat(64)}`;

describe('WWW-Authenticate challenges', () => {
  it('reads a Bearer challenge with quoted, comma-carrying values', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example/token',
          service: 'registry.example',
          scope: 'repository:a/b:pull,push',
        },
      },
    ]);
  });

  it('reads several challenges in one header and in several headers', () => {
    expect(
      parseChallenges('Basic realm="test", Bearer realm="http://t/token",service=x').map((c) => c.scheme),
    ).toEqual(['basic', 'bearer']);
    expect(parseChallenges(['Basic realm="a"', 'bearer realm=b']).map((c) => c.params.realm)).toEqual([
      'a',
      'b',
    ]);
    expect(parseChallenges(undefined)).toEqual([]);
  });

  it('unescapes quoted-pairs', () => {
    expect(parseChallenges('Basic realm="say \\"hi\\""')[0].params.realm).toBe('say "hi"');
  });
});

describe('HTTP details', () => {
  it('Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(
      parseRetryAfter('Wed, 25 Nov 2026 16:00:10 GMT', Date.parse('Wed, 25 Nov 2026 16:00:00 GMT')),
    ).toBe(10_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('follows RFC 8288 Link headers to the next tags page', () => {
    expect(nextPage('</v2/a/tags/list?n=2&last=b>; rel="next"', 'http://r')).toBe(
      '/v2/a/tags/list?n=2&last=b',
    );
    expect(
      nextPage(
        '<https://r/v2/a/tags/list?last=b&n=2>; rel=next, <https://r/v2/a/tags/list>; rel="first"',
        'https://r',
      ),
    ).toBe('/v2/a/tags/list?last=b&n=2');
    expect(nextPage('</x>; rel="prev"', 'http://r')).toBeUndefined();
    expect(nextPage(undefined, 'http://r')).toBeUndefined();
  });
});

describe('references', () => {
  it('parses registries and image references', () => {
    expect(parseRegistryLocation('127.0.0.1:5000/taco', 'x')).toEqual({
      host: '127.0.0.1:5000',
      namespace: 'taco',
    });
    expect(parseRegistryLocation('registry.example', 'x')).toEqual({
      host: 'registry.example',
      namespace: '',
    });
    expect(parseImageReference(`r.example:5000/taco/keystone:nightly-1@${digest}`, 'x')).toEqual({
      host: 'r.example:5000',
      repository: 'taco/keystone',
      tag: 'nightly-1',
      digest,
    });
  });

  it('names the setting and the bad value', () => {
    expect(() => parseRegistryLocation('http://UPPER/Bad', "Input 'registry'")).toThrow(
      /Input 'registry': expected a registry reference.*UPPER/,
    );
    expect(() => parseImageReference('keystone', 'images[0].ref')).toThrow(
      /images\[0\]\.ref: expected an image reference/,
    );
  });
});

describe('manifests', () => {
  it('lists config and layers of an image, skipping foreign layers', () => {
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.dockerManifest,
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: 'sha256:c', size: 1 },
        layers: [
          { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: 'sha256:l1', size: 1 },
          {
            mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
            digest: 'sha256:f',
            size: 1,
            urls: ['https://x'],
          },
        ],
      }),
    );
    const refs = manifestReferences(
      { bytes, mediaType: MediaTypes.dockerManifest, digest: sha256Digest(bytes) },
      'm',
    );
    expect(refs.kind).toBe('image');
    expect(refs.blobs.map((b) => b.digest)).toEqual(['sha256:c', 'sha256:l1']);
  });

  it('treats an artifact manifest with its own config media type as an image manifest', () => {
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: 'sha256:c', size: 1 },
        layers: [
          { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: 'sha256:l', size: 1 },
        ],
      }),
    );
    const mediaType = manifestMediaType('application/json', JSON.parse(bytes.toString()));
    expect(mediaType).toBe(MediaTypes.ociManifest);
    expect(manifestReferences({ bytes, mediaType, digest: sha256Digest(bytes) }, 'm').blobs).toHaveLength(2);
  });

  it('refuses schema 1', () => {
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 1, fsLayers: [] }));
    expect(() =>
      manifestReferences({ bytes, mediaType: MediaTypes.dockerSchema1Signed, digest: 'x' }, 'old'),
    ).toThrow(/schema 1/);
  });
});

describe('versions', () => {
  it('next major ignores pre-releases, build tags and non-semver tags', () => {
    expect(nextMajor([])).toBe('1.0.0');
    expect(nextMajor(['nightly-20261124', 'latest', '1.0.0'])).toBe('2.0.0');
    expect(nextMajor(['1.0.0', '3.0.0-rc.1', '2.1.0', 'v2.5.0'])).toBe('3.0.0');
    expect(releaseVersions(['1.0.0+build', '1.0.0', '0.3.1-c.20261124.7'])).toEqual(['1.0.0']);
  });

  it('next major is above every release and a major', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(50), fc.nat(9), fc.nat(9))), (triples) => {
        const tags = triples.map(([a, b, c]) => `${a}.${b}.${c}`);
        const next = nextMajor(tags);
        expect(semver.minor(next) + semver.patch(next)).toBe(0);
        for (const tag of tags) expect(semver.gt(next, tag)).toBe(true);
      }),
    );
  });

  it('explicit versions must be plain X.Y.Z', () => {
    expect(parseVersionRequest('', 'v')).toEqual({ kind: 'next-major' });
    expect(parseVersionRequest('4.0.0', 'v')).toEqual({ kind: 'explicit', version: '4.0.0' });
    for (const bad of ['v4.0.0', '4.0', '4.0.0-rc.1', 'latest']) {
      expect(() => parseVersionRequest(bad, "Input 'version'")).toThrow(
        /Input 'version': expected next-major or a release version X\.Y\.Z/,
      );
    }
  });
});

describe('candidates', () => {
  it('names + candidate tag, cross-repository with a target prefix', () => {
    const candidates = parseCandidates('candidates/keystone\n# comment\ncandidates/nova-api, ', 'images', {
      registry,
      candidateTag: 'nightly-1',
      targetPrefix: 'release',
    });
    expect(candidates.map((c) => [c.sourceRepository, c.sourceReference, c.targetRepository])).toEqual([
      ['taco/candidates/keystone', 'nightly-1', 'taco/release/keystone'],
      ['taco/candidates/nova-api', 'nightly-1', 'taco/release/nova-api'],
    ]);
  });

  it('kolla-bats JSON pins digests and keeps the test results', () => {
    const json = JSON.stringify([
      { name: 'keystone', ref: '127.0.0.1:5000/taco/keystone:c-1', digest, tests: { passed: 3 } },
    ]);
    const [candidate] = parseCandidates(json, "Input 'images'", { registry });
    expect(candidate).toMatchObject({
      sourceRepository: 'taco/keystone',
      sourceReference: digest,
      expectedDigest: digest,
      targetRepository: 'taco/keystone',
      tests: { passed: 3 },
    });
  });

  it('explains what is wrong', () => {
    expect(() => parseCandidates('keystone', "Input 'images'", { registry })).toThrow(
      /Input 'candidate' is required/,
    );
    expect(() => parseCandidates('Key Stone', "Input 'images'", { registry, candidateTag: 'x' })).toThrow(
      /not a valid image name/,
    );
    expect(() =>
      parseCandidates('[{"name":"k","ref":"other.example/taco/k:1"}]', "Input 'images'", { registry }),
    ).toThrow(/Input 'images'\[0\]\.ref: .*not on the promotion registry 127\.0\.0\.1:5000/);
    expect(() =>
      parseCandidates('[{"name":"k","ref":"127.0.0.1:5000/taco/k:1","digest":"md5"}]', "Input 'images'", {
        registry,
      }),
    ).toThrow(/\[0\]\.digest: expected a digest/);
    expect(() =>
      parseCandidates('a/x, b/x', 'images', { registry, candidateTag: 't', targetPrefix: 'release' }),
    ).toThrow(/both be released as/);
    expect(() => parseCandidates('[{', "Input 'images'", { registry })).toThrow(/JSON is invalid/);
  });
});

describe('artifact ledger', () => {
  const entry: HistoryEntry = {
    schema: 1,
    kind: 'promotion',
    time: '2026-11-25T10:00:00.000Z',
    status: 'complete',
    candidate: 'nightly-1',
    version: '1.0.0',
    images: [{ name: 'keystone', ref: 'r/taco/keystone:1.0.0', digest }],
  };

  it('round-trips JSON lines and names the bad line', () => {
    const text = serializeEntry(entry) + '\n' + serializeEntry({ ...entry, version: '2.0.0' });
    expect(parseHistory(text, 'h.jsonl').map((e) => e.version)).toEqual(['1.0.0', '2.0.0']);
    expect(() => parseHistory(`${serializeEntry(entry)}{"schema":1}\n`, 'h.jsonl')).toThrow(
      /h\.jsonl:2: not a history entry: expected "kind"/,
    );
    expect(() => parseHistory('nope\n', 'h.jsonl')).toThrow(/h\.jsonl:1: not a JSON line/);
  });

  it('formats a table, markdown and JSON', () => {
    expect(formatHistory([entry])).toMatch(
      /^time\s+kind\s+status\s+candidate\s+version\s+stages\s+digests\s+promotable\s+run\n-+.*\n2026-11-25T10:00:00Z\s+promotion\s+complete\s+nightly-1\s+1\.0\.0\s+keystone@aaaaaaaaaaaa/,
    );
    const withCharts = {
      ...entry,
      charts: [{ name: 'keystone', version: '1.0.0', ref: 'r/taco/charts/keystone:1.0.0', digest }],
    };
    expect(formatHistory([withCharts])).toMatch(/keystone@aaaaaaaaaaaa chart:keystone:1\.0\.0@aaaaaaaaaaaa/);
    expect(formatHistory([withCharts], { format: 'markdown' })).toContain(
      '| keystone@aaaaaaaaaaaa chart:keystone:1.0.0@aaaaaaaaaaaa |',
    );
    expect(formatHistory([entry], { format: 'markdown' })).toContain(
      '| 2026-11-25T10:00:00Z | promotion | complete |',
    );
    expect(JSON.parse(formatHistory([entry, entry], { format: 'json', limit: 1 }))).toHaveLength(1);
    expect(formatHistory([])).toBe('(the ledger is empty)\n');
  });

  it('reads ledger locations', () => {
    expect(parseHistoryTarget('history/p.jsonl', 'h', '/ws')).toEqual({
      kind: 'file',
      path: '/ws/history/p.jsonl',
    });
    expect(parseHistoryTarget('https://git.example/l.git#main:a/p.jsonl', 'h', '/ws')).toEqual({
      kind: 'git',
      url: 'https://git.example/l.git',
      branch: 'main',
      path: 'a/p.jsonl',
    });
    expect(() => parseHistoryTarget('https://git.example/l.git', "Input 'history'", '/ws')).toThrow(
      /Input 'history': a git ledger is written/,
    );
    expect(() => parseHistoryTarget('/srv/l.git#main:../x', 'h', '/ws')).toThrow(/must stay inside/);
  });
});

describe('git and GitHub settings', () => {
  it('git repos are url or url#ref, never with credentials in the URL', () => {
    expect(parseGitRepos(['/srv/a.git', 'https://g.example/b.git#v1'], 'git-repos')).toEqual([
      { url: '/srv/a.git', ref: undefined },
      { url: 'https://g.example/b.git', ref: 'v1' },
    ]);
    expect(() => parseGitRepos(['https://user:tok@g.example/b.git'], "Input 'git-repos'")).toThrow(
      /carries credentials/,
    );
  });

  it('github-release is true, false or owner/repo', () => {
    expect(parseReleaseRepository('true', 'x', 'taco/actions')).toEqual({ owner: 'taco', repo: 'actions' });
    expect(parseReleaseRepository(false, 'x', 'taco/actions')).toBeUndefined();
    expect(parseReleaseRepository('taco/release', 'x', undefined)).toEqual({
      owner: 'taco',
      repo: 'release',
    });
    expect(() => parseReleaseRepository('yes please', "Input 'github-release'", undefined)).toThrow(
      /expected true, false or owner\/repo/,
    );
  });

  it('the release body lists every image with its digest and what changed', () => {
    const images = [
      {
        name: 'a',
        source: 's',
        target: 'r/a:2.0.0',
        digest: `sha256:${'1'.repeat(64)}`,
        mediaType: 'm',
        status: 'promoted' as const,
      },
      {
        name: 'b',
        source: 's',
        target: 'r/b:2.0.0',
        digest: `sha256:${'2'.repeat(64)}`,
        mediaType: 'm',
        status: 'promoted' as const,
      },
    ];
    const body = releaseBody({
      version: '2.0.0',
      candidate: 'nightly-2',
      images,
      previous: {
        version: '1.0.0',
        digests: new Map([
          ['a', `sha256:${'0'.repeat(64)}`],
          ['gone', 'sha256:x'],
        ]),
      },
      commits: [{ url: '/srv/w.git', commit: 'c'.repeat(40) }],
    });
    expect(body).toContain(`| \`r/a:2.0.0\` | \`sha256:${'1'.repeat(64)}\` |`);
    expect(body).toContain('- a: 000000000000 → 111111111111');
    expect(body).toContain('- b: new image');
    expect(body).toContain('- gone: no longer released');
  });
});

describe('taco-ci plan', () => {
  it('shows what a profile would promote, where, and what else it would touch', async () => {
    const { loadProfile } = await import('../../actions/lib/profile/load.js');
    const { plan } = await import('../../actions/promote-version/plan.js');
    const { renderPlan } = await import('../../actions/lib/plan.js');
    const text = renderPlan(plan(loadProfile('production')));
    expect(text).toContain('verify every candidate in registry.taco.example/taco: keystone');
    expect(text).toContain(
      'copy manifests byte for byte to registry.taco.example/taco/release/<image>:<version>',
    );
    expect(text).toContain('GitHub release in taco/taco-release');
    expect(text).toContain('https://git.taco.example/taco/kolla-wrapper.git');
    expect(text).toContain(
      'require-nightly: the candidate needs a passing nightly there, with the same digests, before anything changes',
    );
    expect(renderPlan(plan(loadProfile('local')))).toContain(
      "tag <version> in each candidate's own repository",
    );
  });
});

describe('nightly digests (require-nightly)', () => {
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  const host = '127.0.0.1:5000';
  const candidate = (name: string, digest: string): VerifiedCandidate => ({
    name,
    sourceRepository: `taco/${name}`,
    sourceReference: 'n-1',
    targetRepository: `taco/release/${name}`,
    digest,
    mediaType: MediaTypes.ociManifest,
  });
  const nightly = (time: string, images: [string, string, string][]): HistoryEntry => ({
    schema: 1,
    kind: 'nightly',
    time,
    status: 'passed',
    candidate: 'n-1',
    images: images.map(([name, ref, digest]) => ({ name, ref, digest })),
  });
  const settings = {
    candidate: 'n-1',
    history: { kind: 'file', path: '/ledger.jsonl' },
  } as PromoteSettings;

  it('matches images by repository, whatever the name or reference form', () => {
    const entry = nightly('t1', [
      ['keystone', `${host}/taco/keystone:n-1`, d('1')],
      ['glance', `${host}/taco/glance@${d('2')}`, d('2')],
    ]);
    expect(
      nightlyDifferences(entry, host, [candidate('keystone', d('1')), candidate('glance', d('2'))]),
    ).toEqual([]);
    expect(
      nightlyDifferences(entry, host, [candidate('keystone', d('3')), candidate('nova', d('4'))]),
    ).toEqual([
      `keystone: ${host}/taco/keystone is now ${d('3')}, the nightly tested ${d('1')} (${host}/taco/keystone:n-1)`,
      `nova: ${host}/taco/nova is not among the images the nightly tested`,
    ]);
  });

  it('ignores the registry host, and falls back to a unique last path component', () => {
    const entry = nightly('t1', [
      ['keystone', `registry.dev.example:5000/taco/candidates/keystone:n-1`, d('1')],
      ['a', `registry.dev.example:5000/x/dup:n-1`, d('2')],
      ['b', `registry.dev.example:5000/y/dup:n-1`, d('3')],
    ]);
    expect(nightlyDifferences(entry, host, [candidate('keystone', d('1'))])).toEqual([]);
    expect(nightlyDifferences(entry, host, [candidate('dup', d('2'))])).toEqual([
      `dup: ${host}/taco/dup is not among the images the nightly tested`,
    ]);
  });

  it('passes when any passing nightly tested these digests; never for one that recorded no digests; else names the newest', () => {
    const older = nightly('t1', [['keystone', `${host}/taco/keystone:n-1`, d('1')]]);
    const newer = nightly('t2', [['keystone', `${host}/taco/keystone:n-1`, d('2')]]);
    expect(checkNightlyDigests(settings, [newer, older], host, [candidate('keystone', d('1'))])).toBe(older);
    const bare = nightly('t0', []);
    expect(() => checkNightlyDigests(settings, [bare], host, [candidate('keystone', d('9'))])).toThrow(
      /Refusing to promote n-1: .*\(t0, .*\):\n {2}- it names no image digests\n {2}- keystone: .* is not among the images the nightly tested/,
    );
    expect(() =>
      checkNightlyDigests(settings, [newer, older], host, [candidate('keystone', d('9'))]),
    ).toThrow(
      new RegExp(
        `Refusing to promote n-1: .*\\(t2, in the artifact ledger /ledger\\.jsonl\\):\\n  - keystone: .* the nightly tested ${d('2')}`,
      ),
    );
  });

  it('a promoted release artifact must be the one the nightly deployed', () => {
    const entry = {
      ...nightly('t1', [['keystone', `${host}/taco/keystone:n-1`, d('1')]]),
      release: { ref: `${host}/taco/taco-release:n-1`, digest: d('e') },
    };
    const from = { ref: `${host}/taco/taco-release:n-1`, digest: d('f') };
    expect(() =>
      checkNightlyDigests(settings, [entry], host, [candidate('keystone', d('1'))], [], from),
    ).toThrow(`release ${from.ref} is now ${d('f')}, the nightly deployed ${d('e')}`);
    expect(
      checkNightlyDigests(settings, [entry], host, [candidate('keystone', d('1'))], [], {
        ...from,
        digest: d('e'),
      }),
    ).toBe(entry);
  });
});

describe('cancellation', () => {
  it('a cancelled job starts no further copies and the report names them as not started', async () => {
    const { RegistryClient } = await import('../../actions/lib/registry/client.js');
    const { copyImages } = await import('../../actions/promote-version/images.js');
    const { incompleteMessage } = await import('../../actions/promote-version/promote.js');
    const controller = new AbortController();
    controller.abort();
    // Port 9 (discard) on loopback: any request would fail loudly, but none may be sent.
    const client = new RegistryClient({ host: '127.0.0.1:9', signal: controller.signal });
    const candidate = {
      name: 'a',
      sourceRepository: 'c/a',
      sourceReference: 'n',
      targetRepository: 'r/a',
      digest,
      mediaType: MediaTypes.ociManifest,
    };
    const outcomes = await copyImages(client, [candidate], '1.0.0', {
      concurrency: 2,
      signal: controller.signal,
    });
    client.close();
    expect(outcomes.map((o) => o.status)).toEqual(['not-started']);
    const message = incompleteMessage({
      version: '1.0.0',
      versionReason: '',
      candidate: 'n',
      dryRun: false,
      images: outcomes,
      charts: [],
      gitTags: [],
      complete: false,
    });
    expect(message).toContain('NOT promoted (1):\n  - 127.0.0.1:9/r/a:1.0.0: not started (cancelled)');
  });
});
