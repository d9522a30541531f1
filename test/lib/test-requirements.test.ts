/**
 * The global setup's checks, against a fake dpkg-query and a fake apt-get on PATH (the machine's
 * packages cannot be removed to try the real "missing" path).
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDebianPackages, missingDebianPackages, readPackageList } from '../setup/requirements.js';

/** A PATH whose dpkg-query reports `installed` as installed, `half` as half-installed, the rest as unknown. */
function fakeTools(installed: string[]): { env: NodeJS.ProcessEnv; aptLog: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-dpkg-'));
  const aptLog = path.join(dir, 'apt.log');
  const script = (body: string) => `#!/bin/bash\n${body}\n`;
  writeFileSync(
    path.join(dir, 'dpkg-query'),
    script(`status=1
for p in "\${@:3}"; do
  case " ${installed.join(' ')} " in
    *" $p "*) printf '%s\\tinstalled\\n' "$p" ;;
    *) if [ "$p" = half ]; then printf 'half\\thalf-installed\\n'; else echo "dpkg-query: no packages found matching $p" >&2; fi ;;
  esac
done
exit $status`),
  );
  writeFileSync(path.join(dir, 'apt-get'), script(`echo "$DEBIAN_FRONTEND $*" >> ${aptLog}`));
  chmodSync(path.join(dir, 'dpkg-query'), 0o755);
  chmodSync(path.join(dir, 'apt-get'), 0o755);
  return { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, aptLog };
}

describe('test requirements', () => {
  it('reads the package list that .ci/run installs', () => {
    const packages = readPackageList();
    expect(packages).toContain('tempest');
    expect(packages.every((name) => /^[a-z0-9][a-z0-9.+-]+$/.test(name))).toBe(true);
    expect(readFileSync(path.join(import.meta.dirname, '..', '..', '.ci', 'run'), 'utf8')).toContain(
      'scripts/debian-packages.txt',
    );
  });

  it('finds the packages dpkg does not report as installed', () => {
    const { env } = fakeTools(['git', 'bats']);
    expect(missingDebianPackages(['git', 'half', 'tempest', 'bats'], env)).toEqual(['half', 'tempest']);
  });

  it('installs nothing when everything is there', () => {
    const { env, aptLog } = fakeTools(['git', 'bats']);
    expect(ensureDebianPackages({ packages: ['git', 'bats'], isRoot: true, env, log: () => {} })).toEqual([]);
    expect(() => readFileSync(aptLog)).toThrow();
  });

  it('as root, updates once then installs only the missing packages, quietly', () => {
    const { env, aptLog } = fakeTools(['git']);
    const lines: string[] = [];
    const installed = ensureDebianPackages({
      packages: ['git', 'rally', 'tempest'],
      isRoot: true,
      env,
      log: (l) => lines.push(l),
    });
    expect(installed).toEqual(['rally', 'tempest']);
    expect(readFileSync(aptLog, 'utf8').trim().split('\n')).toEqual([
      'noninteractive -o DPkg::Lock::Timeout=600 -qq update',
      'noninteractive -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends rally tempest',
    ]);
    expect(lines).toEqual(['Installing the Debian packages the tests need: rally tempest']);
  });

  it('when not root, fails with the list of what to install and installs nothing', () => {
    const { env, aptLog } = fakeTools(['git']);
    expect(() => ensureDebianPackages({ packages: ['git', 'rally', 'tempest'], isRoot: false, env })).toThrow(
      'The tests need Debian packages that are not installed: rally, tempest.\n' +
        'Install them as root (apt-get update && apt-get install -y --no-install-recommends rally tempest), ' +
        'or run npm test as root to have them installed.',
    );
    expect(() => readFileSync(aptLog)).toThrow();
  });
});
