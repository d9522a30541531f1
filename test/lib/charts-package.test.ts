import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../../actions/lib/errors.js';
import { readTgz } from '../../actions/lib/charts/archive.js';
import {
  extractChart,
  HelmIgnore,
  packageChart,
  readChartPackage,
  reversionChart,
  type ChartPackage,
} from '../../actions/lib/charts/index.js';
import { node24, repoRoot } from '../harness/run-action.js';

const FIXTURES = path.join(repoRoot, 'test/fixtures/charts');
const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'charts-test-'));
  temps.push(dir);
  return dir;
}

/** A copy of the openstack-helm-shaped fixtures (keystone + helm-toolkit side by side). */
function copyFixtures(): string {
  const dir = tempDir();
  cpSync(FIXTURES, dir, { recursive: true });
  return dir;
}

function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), data);
  }
}

function writeTgz(pkg: ChartPackage): string {
  const file = path.join(tempDir(), `${pkg.name}-${pkg.version}.tgz`);
  writeFileSync(file, pkg.bytes);
  return file;
}

async function tarOf(
  entries: { name: string; data?: string; type?: 'file' | 'symlink' | 'directory'; linkname?: string }[],
) {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const e of entries) {
    pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: 0o644 }, e.data ?? '');
  }
  pack.finalize();
  await done;
  const { gzipSync } = await import('node:zlib');
  return gzipSync(Buffer.concat(chunks));
}

const CHART = (name: string, version = '0.1.0', extra = '') =>
  `apiVersion: v2\nname: ${name}\nversion: ${version}\n${extra}`;

describe('packageChart: the openstack-helm keystone chart with helm-toolkit from file://../helm-toolkit', () => {
  it('lays the package out as helm package does, checked with the system tar and gzip', async () => {
    const pkg = await packageChart(path.join(FIXTURES, 'keystone'));
    expect(pkg.name).toBe('keystone');
    expect(pkg.version).toBe('2025.1.3');
    const file = writeTgz(pkg);
    execFileSync('gzip', ['-t', file]);
    const listing = execFileSync('tar', ['-tzvf', file], { encoding: 'utf8' }).trim().split('\n');
    // every entry: a regular file, 0644, owner 0/0, the fixed mtime; no directory entries
    for (const line of listing) expect(line).toMatch(/^-rw-r--r-- 0\/0 +\d+ 1970-01-01 00:00 keystone\//);
    const names = listing.map((line) => line.split(/\s+/).pop());
    expect(names).toEqual([
      'keystone/Chart.yaml',
      'keystone/values.yaml',
      'keystone/templates/NOTES.txt',
      'keystone/templates/bin/_db-sync.sh.tpl',
      'keystone/templates/configmap-bin.yaml',
      'keystone/templates/deployment-api.yaml',
      'keystone/templates/job-db-sync.yaml',
      'keystone/.helmignore',
      'keystone/README.rst',
      'keystone/files/policy.yaml',
      'keystone/charts/helm-toolkit/Chart.yaml',
      'keystone/charts/helm-toolkit/values.yaml',
      'keystone/charts/helm-toolkit/templates/endpoints/_hostname_short_endpoint_lookup.tpl',
      'keystone/charts/helm-toolkit/templates/manifests/_job-db-sync.tpl',
      'keystone/charts/helm-toolkit/templates/scripts/_db-init.py.tpl',
      'keystone/charts/helm-toolkit/templates/snippets/_image.tpl',
      'keystone/charts/helm-toolkit/templates/utils/_template.tpl',
      'keystone/charts/helm-toolkit/.helmignore',
    ]);
    // files are byte for byte the chart's own
    const out = tempDir();
    execFileSync('tar', ['-xzf', file, '-C', out]);
    for (const name of ['Chart.yaml', 'values.yaml', 'templates/deployment-api.yaml', 'files/policy.yaml']) {
      expect(readFileSync(path.join(out, 'keystone', name))).toEqual(
        readFileSync(path.join(FIXTURES, 'keystone', name)),
      );
    }
    expect(readFileSync(path.join(out, 'keystone/charts/helm-toolkit/Chart.yaml'))).toEqual(
      readFileSync(path.join(FIXTURES, 'helm-toolkit/Chart.yaml')),
    );
  });

  it("writes Helm's gzip header: no name, MTIME 0, XFL 0, OS unknown, Helm's extra field and comment", async () => {
    const { bytes } = await packageChart(path.join(FIXTURES, 'helm-toolkit'));
    expect([...bytes.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0x14, 0, 0, 0, 0, 0, 255]);
    const xlen = bytes.readUInt16LE(10);
    expect(bytes.subarray(12, 12 + xlen).toString('ascii')).toBe('+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=');
    expect(bytes.subarray(12 + xlen, 12 + xlen + 5).toString('latin1')).toBe('Helm\0');
    expect(gunzipSync(bytes).length % 512).toBe(0);
  });

  it('gives the same digest for the same chart, whatever the files mtimes and the directory it sits in', async () => {
    const first = await packageChart(path.join(FIXTURES, 'keystone'));
    const copy = copyFixtures();
    utimesSync(path.join(copy, 'keystone/values.yaml'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    utimesSync(path.join(copy, 'helm-toolkit/templates/snippets/_image.tpl'), new Date(), new Date());
    const second = await packageChart(path.join(copy, 'keystone'));
    expect(second.digest).toBe(first.digest);
    expect(second.bytes).toEqual(first.bytes);
    // and a change anywhere, including in the vendored dependency, changes it
    writeFileSync(path.join(copy, 'helm-toolkit/templates/snippets/_image.tpl'), '{{/* changed */}}\n');
    expect((await packageChart(path.join(copy, 'keystone'))).digest).not.toBe(first.digest);
  });

  it('property: any chart tree packages to one digest, independent of file creation order and mtimes', async () => {
    const segment = fc.stringMatching(/^\.?[a-z][a-z0-9_.-]{0,8}$/);
    const tree = fc.dictionary(
      fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
      fc.uint8Array({ maxLength: 64 }),
      { maxKeys: 8 },
    );
    await fc.assert(
      fc.asyncProperty(tree, fc.integer({ min: 0, max: 2 ** 31 }), async (files, seed) => {
        // keep file paths that are not also a directory of another file
        const names = Object.keys(files).filter(
          (n) =>
            !Object.keys(files).some((o) => o.startsWith(`${n}/`)) &&
            !n.startsWith('charts') &&
            n !== 'Chart.yaml',
        );
        const content = Object.fromEntries(names.map((n) => [`templates/${n}`, Buffer.from(files[n]!)]));
        const a = tempDir();
        const b = tempDir();
        writeTree(a, { 'Chart.yaml': CHART('prop'), ...content });
        const reversed = Object.entries(content).reverse();
        writeTree(b, Object.fromEntries([...reversed, ['Chart.yaml', CHART('prop')]]));
        for (const [i, n] of names.entries()) {
          const t = new Date((seed + i * 7919) * 1000);
          utimesSync(path.join(b, 'templates', n), t, t);
        }
        const [pa, pb] = await Promise.all([packageChart(a), packageChart(b)]);
        expect(pb.digest).toBe(pa.digest);
        const read = await readChartPackage(pa.bytes, 'property package');
        // Helm's default rule templates/.?* drops dotfiles and dot-directories right under templates/
        const dotfiles = names.filter((n) => n.startsWith('.'));
        expect([...read.files.keys()].sort()).toEqual(
          ['Chart.yaml', ...names.filter((n) => !dotfiles.includes(n)).map((n) => `templates/${n}`)].sort(),
        );
      }),
      { numRuns: 25 },
    );
  });

  it('gives the same bytes on Node 24 (what `using: node24` runs) as on the Node running the tests', async () => {
    const script = path.join(tempDir(), 'digest.mts');
    writeFileSync(
      script,
      `import { packageChart } from ${JSON.stringify(path.join(repoRoot, 'actions/lib/charts/index.ts'))};\n` +
        `const pkg = await packageChart(${JSON.stringify(path.join(FIXTURES, 'keystone'))}, { version: '1.0.0+x' });\n` +
        'process.stdout.write(pkg.digest);\n',
    );
    const onNode24 = execFileSync(node24, ['--import', 'tsx', script], { cwd: repoRoot, encoding: 'utf8' });
    const here = await packageChart(path.join(FIXTURES, 'keystone'), { version: '1.0.0+x' });
    expect(onNode24).toBe(here.digest);
  });

  it('stores long paths (ustar prefix, pax beyond) so that tar and readChartPackage agree', async () => {
    const dir = tempDir();
    const long = `templates/${'deep-directory-name/'.repeat(6)}a-template-with-a-rather-long-file-name.yaml`;
    const longer = `files/${'x'.repeat(120)}/${'y'.repeat(120)}.txt`;
    writeTree(dir, { 'Chart.yaml': CHART('long'), [long]: 'a', [longer]: 'b' });
    const pkg = await packageChart(dir);
    const listed = execFileSync('tar', ['-tzf', writeTgz(pkg)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(listed).toEqual(['long/Chart.yaml', `long/${long}`, `long/${longer}`]);
    expect([...(await readChartPackage(pkg.bytes, 'long')).files.keys()]).toEqual([
      'Chart.yaml',
      long,
      longer,
    ]);
  });

  it('rewrites only the version with --version, keeping comments and layout of Chart.yaml', async () => {
    const pkg = await packageChart(path.join(FIXTURES, 'keystone'), { version: '2025.1.3-c.20261124.7' });
    expect(pkg.version).toBe('2025.1.3-c.20261124.7');
    expect(pkg.metadata.version).toBe('2025.1.3-c.20261124.7');
    const read = await readChartPackage(pkg.bytes, 'keystone package');
    const original = readFileSync(path.join(FIXTURES, 'keystone/Chart.yaml'), 'utf8');
    expect(read.files.get('Chart.yaml')!.toString()).toBe(
      original.replace('version: 2025.1.3   #', 'version: 2025.1.3-c.20261124.7   #'),
    );
    // the vendored helm-toolkit keeps its own version
    expect(read.files.get('charts/helm-toolkit/Chart.yaml')!.toString()).toContain('version: 2025.1.0\n');
  });

  it('keeps the quoting style of a quoted version', async () => {
    const dir = tempDir();
    writeTree(dir, { 'Chart.yaml': 'apiVersion: v2\nname: q\nversion: "1.0.0" # quoted\n' });
    const pkg = await packageChart(dir, { version: '2.0.0+build.5' });
    const read = await readChartPackage(pkg.bytes, 'q');
    expect(read.files.get('Chart.yaml')!.toString()).toBe(
      'apiVersion: v2\nname: q\nversion: "2.0.0+build.5" # quoted\n',
    );
  });
});

describe('packageChart: .helmignore as Helm reads it', () => {
  it('honours the fixtures .helmignore (globs on base names, dir rules, anchored rules) and the templates/ dotfile default', async () => {
    const read = await readChartPackage(
      (await packageChart(path.join(FIXTURES, 'keystone'))).bytes,
      'keystone',
    );
    expect(read.files.has('values.yaml.bak')).toBe(false);
    expect(read.files.has('rendered/all.yaml')).toBe(false);
    expect(read.files.has('charts/helm-toolkit/templates/.editing.swp')).toBe(false);
    expect(read.files.has('charts/helm-toolkit/templates/.notes')).toBe(false);
    expect(read.files.has('.helmignore')).toBe(true);
  });

  it('matches like Go filepath.Match: * and ? stop at /, classes with ^, escapes', () => {
    const rules = HelmIgnore.parse('*.txt\ndocs/*.md\n/top.yaml\nsecret?\n[^a]x.y\nlit\\*\n', '.helmignore');
    expect(rules.ignores('a.txt', false)).toBe(true);
    expect(rules.ignores('deep/dir/a.txt', false)).toBe(true); // no slash: base name only
    expect(rules.ignores('docs/x.md', false)).toBe(true);
    expect(rules.ignores('docs/sub/x.md', false)).toBe(false); // * does not cross /
    expect(rules.ignores('top.yaml', false)).toBe(true);
    expect(rules.ignores('sub/top.yaml', false)).toBe(false);
    expect(rules.ignores('secret1', false)).toBe(true);
    expect(rules.ignores('secret12', false)).toBe(false);
    expect(rules.ignores('bx.y', false)).toBe(true);
    expect(rules.ignores('ax.y', false)).toBe(false);
    expect(rules.ignores('lit*', false)).toBe(true);
    expect(rules.ignores('litx', false)).toBe(false);
  });

  it("keeps Helm's negation semantics: a ! rule ignores every path that reaches it without matching", () => {
    const rules = HelmIgnore.parse('*.bak\n!keep.yaml\n', '.helmignore');
    expect(rules.ignores('x.bak', false)).toBe(true);
    expect(rules.ignores('keep.yaml', false)).toBe(false);
    expect(rules.ignores('values.yaml', false)).toBe(true);
  });

  it('refuses ** and malformed patterns, naming the file and line', () => {
    expect(() => HelmIgnore.parse('# ok\nfoo/**/bar\n', '/c/.helmignore')).toThrow(
      /\/c\/\.helmignore:2: "foo\/\*\*\/bar": Helm does not support double-star/,
    );
    expect(() => HelmIgnore.parse('[abc\n', '/c/.helmignore')).toThrow(/\/c\/\.helmignore:1: "\[abc"/);
    expect(() => HelmIgnore.parse('x\\\n', '/c/.helmignore')).toThrow(UserError);
  });

  it('skips an ignored directory entirely, and follows symbolic links inside the chart', async () => {
    const dir = tempDir();
    writeTree(dir, {
      'Chart.yaml': CHART('links'),
      '.helmignore': 'build/\n',
      'build/out.yaml': 'x',
      'real/a.yaml': 'a: 1\n',
    });
    symlinkSync('real', path.join(dir, 'linked'));
    const read = await readChartPackage((await packageChart(dir)).bytes, 'links');
    expect([...read.files.keys()]).toEqual(['Chart.yaml', '.helmignore', 'linked/a.yaml', 'real/a.yaml']);
  });
});

describe('packageChart: dependencies', () => {
  it('vendors file:// dependencies recursively, each expanded under charts/<name>/', async () => {
    const dir = tempDir();
    writeTree(dir, {
      'app/Chart.yaml': CHART(
        'app',
        '1.0.0',
        'dependencies:\n  - name: mid\n    repository: file://../mid\n    version: ~2.1.0\n',
      ),
      'mid/Chart.yaml': CHART(
        'mid',
        '2.1.4',
        'dependencies:\n  - name: base\n    repository: "file://../lib/base"\n',
      ),
      'mid/templates/m.yaml': 'm',
      'lib/base/Chart.yaml': CHART('base', '0.0.1'),
      'lib/base/templates/_b.tpl': 'b',
    });
    const read = await readChartPackage((await packageChart(path.join(dir, 'app'))).bytes, 'app');
    expect([...read.files.keys()]).toEqual([
      'Chart.yaml',
      'charts/mid/Chart.yaml',
      'charts/mid/templates/m.yaml',
      'charts/mid/charts/base/Chart.yaml',
      'charts/mid/charts/base/templates/_b.tpl',
    ]);
  });

  it('reads a v1 chart dependencies from requirements.yaml and keeps that file', async () => {
    const dir = tempDir();
    writeTree(dir, {
      'old/Chart.yaml': 'apiVersion: v1\nname: old\nversion: 0.1.0\n',
      'old/requirements.yaml':
        'dependencies:\n  - name: helm-toolkit\n    repository: file://../helm-toolkit\n    version: 0.1.0\n',
      'helm-toolkit/Chart.yaml': 'apiVersion: v1\nname: helm-toolkit\nversion: 0.1.0\n',
    });
    const read = await readChartPackage((await packageChart(path.join(dir, 'old'))).bytes, 'old');
    expect([...read.files.keys()]).toEqual([
      'Chart.yaml',
      'requirements.yaml',
      'charts/helm-toolkit/Chart.yaml',
    ]);
  });

  it('replaces a stale vendored copy of a file:// dependency and keeps other vendored charts', async () => {
    const dir = tempDir();
    writeTree(dir, {
      'app/Chart.yaml': CHART(
        'app',
        '1.0.0',
        'dependencies:\n  - name: lib\n    repository: file://../lib\n  - name: mariadb\n    repository: https://charts.example/\n    version: ">=1.0.0, <2.0.0"\n',
      ),
      'app/charts/lib/Chart.yaml': CHART('lib', '0.0.1'),
      'app/charts/lib/templates/old.tpl': 'old',
      'app/charts/mariadb/Chart.yaml': CHART('mariadb', '1.4.0'),
      'lib/Chart.yaml': CHART('lib', '0.0.2'),
      'lib/templates/new.tpl': 'new',
    });
    const read = await readChartPackage((await packageChart(path.join(dir, 'app'))).bytes, 'app');
    expect([...read.files.keys()]).toEqual([
      'Chart.yaml',
      'charts/lib/Chart.yaml',
      'charts/lib/templates/new.tpl',
      'charts/mariadb/Chart.yaml',
    ]);
  });

  it('takes a vendored dependency archive from charts/ and expands it like Helm', async () => {
    const dir = tempDir();
    const dep = await packageChart(path.join(FIXTURES, 'helm-toolkit'));
    writeTree(dir, {
      'Chart.yaml': CHART(
        'svc',
        '1.0.0',
        'dependencies:\n  - name: helm-toolkit\n    repository: https://tarballs.example/\n',
      ),
      'charts/helm-toolkit-2025.1.0.tgz': dep.bytes,
    });
    const read = await readChartPackage((await packageChart(dir)).bytes, 'svc');
    expect([...read.files.keys()].filter((n) => n.startsWith('charts/'))).toEqual(
      [...(await readChartPackage(dep.bytes, 'dep')).files.keys()].map((n) => `charts/helm-toolkit/${n}`),
    );
  });

  it('refuses a non-file:// dependency that is not vendored, naming Chart.yaml and the dependency', async () => {
    const dir = tempDir();
    writeTree(dir, {
      'Chart.yaml': CHART(
        'svc',
        '1.0.0',
        'dependencies:\n  - name: mariadb\n    repository: https://charts.example/\n',
      ),
    });
    const error = await packageChart(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      `${path.join(dir, 'Chart.yaml')}: dependencies[0] (mariadb): the dependency comes from repository https://charts.example/ ` +
        `and is not vendored under ${path.join(dir, 'charts')}/ (only file:// dependencies are fetched; vendor it with helm dependency update or point it at a file:// directory)`,
    );
  });

  it('refuses an unsatisfied version constraint, a missing file:// directory, a name mismatch and a cycle', async () => {
    const dir = tempDir();
    writeTree(dir, {
      'a/Chart.yaml': CHART(
        'a',
        '1.0.0',
        'dependencies:\n  - name: lib\n    repository: file://../lib\n    version: ^2.0.0\n',
      ),
      'lib/Chart.yaml': CHART('lib', '1.5.0'),
      'b/Chart.yaml': CHART('b', '1.0.0', 'dependencies:\n  - name: gone\n    repository: file://../gone\n'),
      'c/Chart.yaml': CHART('c', '1.0.0', 'dependencies:\n  - name: other\n    repository: file://../lib\n'),
      'd/Chart.yaml': CHART('d', '1.0.0', 'dependencies:\n  - name: e\n    repository: file://../e\n'),
      'e/Chart.yaml': CHART('e', '1.0.0', 'dependencies:\n  - name: d\n    repository: file://../d\n'),
    });
    await expect(packageChart(path.join(dir, 'a'))).rejects.toThrow(
      /a\/Chart.yaml: dependencies\[0\] \(lib\): version constraint "\^2.0.0" is not satisfied by lib 1.5.0/,
    );
    await expect(packageChart(path.join(dir, 'b'))).rejects.toThrow(
      /repository file:\/\/..\/gone resolves to .*gone, which holds no Chart.yaml/,
    );
    await expect(packageChart(path.join(dir, 'c'))).rejects.toThrow(/holds the chart "lib", not "other"/);
    await expect(packageChart(path.join(dir, 'd'))).rejects.toThrow(/dependency cycle/);
  });
});

describe('packageChart: bad Chart.yaml', () => {
  const cases: [string, string, RegExp][] = [
    ['no name', 'apiVersion: v2\nversion: 1.0.0\n', /Chart.yaml: key "name": expected the chart name/],
    [
      'no version',
      'apiVersion: v2\nname: x\n',
      /Chart.yaml: key "version": expected a SemVer 2 version string/,
    ],
    [
      'non-semver version',
      'apiVersion: v2\nname: x\nversion: 1.0\n',
      /Chart.yaml: key "version": expected a SemVer 2 version string such as 1.2.3, got 1/,
    ],
    [
      'v-prefixed version',
      'apiVersion: v2\nname: x\nversion: v1.2.3\n',
      /key "version": expected a SemVer 2 version such as 1.2.3 or 1.2.3-rc.1, got "v1.2.3"/,
    ],
    [
      'bad apiVersion',
      'apiVersion: v3\nname: x\nversion: 1.0.0\n',
      /key "apiVersion": expected v1 or v2, got "v3"/,
    ],
    ['bad YAML', 'apiVersion: v2\nname: [x\n', /Chart.yaml:\d+:\d+: not valid YAML/],
    [
      'two dependencies under one name',
      'apiVersion: v2\nname: x\nversion: 1.0.0\ndependencies:\n  - name: a\n    repository: file://../a\n  - name: b\n    alias: a\n',
      /Chart.yaml: dependencies\[1\] \(b\): more than one dependency with name or alias "a"/,
    ],
  ];
  for (const [title, text, message] of cases) {
    it(`refuses ${title} with a UserError naming the file and key`, async () => {
      const dir = tempDir();
      writeTree(dir, { 'Chart.yaml': text });
      const error = await packageChart(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toContain(path.join(dir, 'Chart.yaml'));
      expect((error as Error).message).toMatch(message);
    });
  }

  it('refuses a --version that is not SemVer 2', async () => {
    await expect(packageChart(path.join(FIXTURES, 'helm-toolkit'), { version: '1.0' })).rejects.toThrow(
      /expected a SemVer 2 version such as 1.2.3, got "1.0"/,
    );
  });
});

describe('reversionChart', () => {
  it('changes only the version in Chart.yaml; every other entry keeps bytes, order and header fields', async () => {
    const pkg = await packageChart(path.join(FIXTURES, 'keystone'), { version: '2025.1.3-c.20261124.7' });
    const released = await reversionChart(pkg, '1.0.0');
    expect(released.version).toBe('1.0.0');
    expect(released.metadata.version).toBe('1.0.0');
    const before = await readTgz(pkg.bytes);
    const after = await readTgz(released.bytes);
    expect(after.map((e) => e.name)).toEqual(before.map((e) => e.name));
    for (const [i, entry] of after.entries()) {
      expect(entry.header).toEqual(before[i]!.header);
      if (entry.name === 'keystone/Chart.yaml') {
        expect(entry.data.toString()).toBe(
          before[i]!.data.toString().replace('2025.1.3-c.20261124.7', '1.0.0'),
        );
      } else expect(entry.data).toEqual(before[i]!.data);
    }
    // twice gives the same bytes, and re-versioning back gives the original package
    expect((await reversionChart(pkg, '1.0.0')).digest).toBe(released.digest);
    expect((await reversionChart(released, '2025.1.3-c.20261124.7')).digest).toBe(pkg.digest);
  });

  it('keeps header fields of a package written by another tool (mtime, mode, owner)', async () => {
    const pack = tar.pack();
    const chunks: Buffer[] = [];
    const done = (async () => {
      for await (const chunk of pack) chunks.push(chunk as Buffer);
    })();
    const mtime = new Date('2026-11-20T10:11:12Z');
    pack.entry({
      name: 'x/',
      type: 'directory',
      mode: 0o755,
      mtime,
      uid: 1000,
      gid: 1000,
      uname: 'ci',
      gname: 'ci',
    });
    pack.entry(
      { name: 'x/Chart.yaml', mode: 0o600, mtime, uid: 1000, gid: 1000, uname: 'ci', gname: 'ci' },
      CHART('x'),
    );
    pack.entry(
      { name: 'x/values.yaml', mode: 0o640, mtime, uid: 1000, gid: 1000, uname: 'ci', gname: 'ci' },
      'a: 1\n',
    );
    pack.finalize();
    await done;
    const { gzipSync } = await import('node:zlib');
    const bytes = gzipSync(Buffer.concat(chunks));
    const pkg = await readChartPackage(bytes, 'x.tgz');
    const after = await readTgz((await reversionChart(pkg, '0.2.0')).bytes);
    expect(
      after.map((e) => [e.name, e.header.mode, e.header.mtime.toISOString(), e.header.uid, e.header.uname]),
    ).toEqual([
      ['x/', 0o755, mtime.toISOString(), 1000, 'ci'],
      ['x/Chart.yaml', 0o600, mtime.toISOString(), 1000, 'ci'],
      ['x/values.yaml', 0o640, mtime.toISOString(), 1000, 'ci'],
    ]);
  });
});

describe('readChartPackage and extractChart', () => {
  it('refuses what is not a chart package, naming it', async () => {
    await expect(readChartPackage(Buffer.from('not a tarball at all, no'), 'upload.tgz')).rejects.toThrow(
      /^upload.tgz: not a chart package/,
    );
    await expect(
      readChartPackage(await tarOf([{ name: 'a/values.yaml', data: 'x' }]), 'a.tgz'),
    ).rejects.toThrow('a.tgz: not a chart package: a/Chart.yaml is missing');
    await expect(
      readChartPackage(
        await tarOf([
          { name: 'a/Chart.yaml', data: CHART('a') },
          { name: 'b/x', data: '' },
        ]),
        'ab.tgz',
      ),
    ).rejects.toThrow('more than one top-level folder');
    await expect(
      readChartPackage(await tarOf([{ name: 'a/Chart.yaml', data: CHART('b') }]), 'ab.tgz'),
    ).rejects.toThrow('root folder "a" differs from the chart name "b"');
  });

  it('refuses absolute paths, .. and links inside a package', async () => {
    const chart = { name: 'evil/Chart.yaml', data: CHART('evil') };
    await expect(
      readChartPackage(await tarOf([chart, { name: 'evil/../../etc/x', data: 'x' }]), 'e.tgz'),
    ).rejects.toThrow(/refusing archive entry "evil\/..\/..\/etc\/x": absolute or '..' path/);
    await expect(
      readChartPackage(await tarOf([chart, { name: '/etc/passwd', data: 'x' }]), 'e.tgz'),
    ).rejects.toThrow(/absolute or '..' path/);
    await expect(
      readChartPackage(
        await tarOf([chart, { name: 'evil/link', type: 'symlink', linkname: '/etc' }]),
        'e.tgz',
      ),
    ).rejects.toThrow(/refusing archive entry "evil\/link": a symlink, not a regular file/);
  });

  it('extracts every file under dir/<name>/ and refuses to write through a symbolic link leading out', async () => {
    const pkg = await packageChart(path.join(FIXTURES, 'keystone'));
    const dir = tempDir();
    const root = await extractChart(pkg, dir);
    expect(root).toBe(path.join(dir, 'keystone'));
    const files = (await readChartPackage(pkg.bytes, 'k')).files;
    for (const [name, data] of files) expect(readFileSync(path.join(root, name))).toEqual(data);

    const outside = tempDir();
    const trap = tempDir();
    mkdirSync(path.join(trap, 'keystone'));
    symlinkSync(outside, path.join(trap, 'keystone', 'templates'));
    await expect(extractChart(pkg, trap)).rejects.toThrow(
      /refusing to extract templates\/NOTES.txt: .* leads outside/,
    );
    const trap2 = tempDir();
    mkdirSync(path.join(trap2, 'keystone'));
    symlinkSync(path.join(outside, 'x'), path.join(trap2, 'keystone', 'values.yaml'));
    await expect(extractChart(pkg, trap2)).rejects.toThrow(/values.yaml is a symbolic link/);
    expect(() => readFileSync(path.join(outside, 'x'))).toThrow();
    const trap3 = tempDir();
    symlinkSync(outside, path.join(trap3, 'keystone'));
    await expect(extractChart(pkg, trap3)).rejects.toThrow(
      /refusing to extract into .*keystone: it is a symbolic link/,
    );
  });
});
