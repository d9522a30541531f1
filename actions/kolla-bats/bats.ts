/**
 * bats-core: find a usable one (on PATH if new enough for `--formatter tap13`, else the pinned
 * release through the tool installer), run one suite against one image, and read its TAP13.
 */
import { which } from '@actions/io';
import path from 'node:path';
import semver from 'semver';
import type { ActionContext } from '../lib/context.js';
import { packageRoot } from '../lib/package-root.js';
import { runProcess } from '../lib/process.js';
import { type TapTest, parseTap } from '../lib/reports/tap.js';
import { type ToolSpec, ensureTool } from '../lib/tool-installer.js';

/** The pinned bats-core: the npm package of the release (same files as the GitHub tarball). */
export const BATS_TOOL: ToolSpec = {
  name: 'bats',
  version: '1.13.0',
  url: 'https://registry.npmjs.org/bats/-/bats-1.13.0.tgz',
  sha256: 'b7ae290dbc7e44709d5e3430698f3048a978bef871c6063f5fca49a20e5aaf58',
  archive: 'tar.gz',
  binPath: 'package/bin/bats',
  versionArgs: ['--version'],
  versionPattern: /Bats (\d+\.\d+\.\d+)/,
};

/** `--formatter tap13` and `bats_load_library` arrived in bats-core 1.5.0. */
export const MIN_BATS_VERSION = '1.5.0';

export interface Bats {
  path: string;
  version: string;
}

export async function batsVersion(file: string, signal?: AbortSignal): Promise<string | undefined> {
  const result = await runProcess(file, ['--version'], { timeoutMs: 30_000, signal }).catch(() => undefined);
  return result?.exitCode === 0 ? BATS_TOOL.versionPattern!.exec(result.stdout)?.[1] : undefined;
}

/** A bats on PATH that is new enough, else the pinned release (downloaded, verified, cached). */
export async function resolveBats(
  ctx: Pick<ActionContext, 'info' | 'debug' | 'signal'> & Partial<Pick<ActionContext, 'env'>>,
  pinned: ToolSpec = BATS_TOOL,
): Promise<Bats> {
  const onPath = await which('bats', false);
  if (onPath) {
    const version = await batsVersion(onPath, ctx.signal);
    if (version && semver.gte(version, MIN_BATS_VERSION)) return { path: onPath, version };
    ctx.info(
      `bats on PATH (${onPath}) is ${version ?? 'of unknown version'}; kolla-bats needs ≥ ${MIN_BATS_VERSION}: using the pinned ${pinned.version}`,
    );
  }
  const installed = await ensureTool(ctx, pinned);
  return { path: installed, version: pinned.version };
}

/** Where the helper library ships: `<checkout>/kolla-bats/bats/taco-image/load.bash`. */
export function helperLibrary(): { libPath: string; loadFile: string } {
  const libPath = path.join(packageRoot(), 'kolla-bats', 'bats');
  return { libPath, loadFile: path.join(libPath, 'taco-image', 'load.bash') };
}

export interface SuiteRun {
  suite: string;
  tests: TapTest[];
  exitCode: number | null;
  /** Why the suite as a whole failed (did not run, bailed out, timed out), beyond failed tests. */
  error?: string;
  output: string;
  durationMs: number;
}

export interface SuiteRequest {
  bats: Bats;
  suite: string;
  image: string;
  engine: string;
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
  signal: AbortSignal;
  onOutput?: (text: string) => void;
}

export async function runSuite(request: SuiteRequest): Promise<SuiteRun> {
  const helpers = helperLibrary();
  const env = {
    ...request.env,
    IMAGE: request.image,
    ENGINE: request.engine,
    TACO_BATS_HELPERS: helpers.loadFile,
    BATS_LIB_PATH: [helpers.libPath, request.env.BATS_LIB_PATH].filter(Boolean).join(':'),
  };
  const result = await runProcess(request.bats.path, ['--formatter', 'tap13', request.suite], {
    env,
    cwd: path.dirname(request.suite),
    timeoutMs: request.timeoutMs,
    signal: request.signal,
    onStdout: request.onOutput,
    onStderr: request.onOutput,
  });
  const report = parseTap(result.stdout);
  let error: string | undefined;
  if (result.timedOut) error = `timed out after ${Math.round(request.timeoutMs / 1000)} s`;
  else if (result.cancelled) error = 'cancelled';
  else if (report.bailOut) error = `bailed out: ${report.bailOut}`;
  else if (report.plan && report.tests.length < report.plan.end - report.plan.start + 1) {
    error = `ran ${report.tests.length} of ${report.plan.end - report.plan.start + 1} planned tests`;
  } else if (report.tests.length === 0)
    error = `ran no tests (exit code ${result.exitCode}): ${result.stderr.trim().split('\n').slice(-5).join('\n')}`;
  else if (result.exitCode !== 0 && !report.tests.some((t) => t.status === 'failed'))
    error = `exited with code ${result.exitCode} without a failed test: ${result.stderr.trim().split('\n').slice(-5).join('\n')}`;
  return {
    suite: request.suite,
    tests: report.tests,
    exitCode: result.exitCode,
    error,
    output: `${result.stdout}${result.stderr}`,
    durationMs: result.durationMs,
  };
}
