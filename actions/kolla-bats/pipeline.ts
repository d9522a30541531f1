/**
 * The unit stage: validate everything, build each image, prove each with its bats suites, push
 * the ones that passed. Nothing is built until every input has been checked.
 */
import { which } from '@actions/io';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ActionContext } from '../lib/context.js';
import { JobFailure, UserError } from '../lib/errors.js';
import { Git } from '../lib/git/git.js';
import { describeFailure, tail } from '../lib/process.js';
import { type Bats, resolveBats, runSuite } from './bats.js';
import { ContainerEngine } from './engine.js';
import { selectDockerfileImages } from './images.js';
import { runKollaBuild } from './kolla/adapter.js';
import {
  type KollaInvocation,
  kollaImageReference,
  kollaInvocation,
  requiredFiles,
} from './kolla/options.js';
import { lineLogger } from './lines.js';
import { RegistryClient, imageReference, repositoryFor } from './registry.js';
import { type ImageResult, annotate, junitXml, suitesFailure, summaryMarkdown } from './report.js';
import type { KollaBatsSettings } from './settings.js';
import { type SuiteFinder, suiteFinder } from './suites.js';
import { candidateTag } from './tag.js';

export interface StageResult {
  tag: string;
  images: ImageResult[];
  junitFile?: string;
  /** Every image built, passed its suites and (when pushing) reached the registry (never in a dry run). */
  passed: boolean;
  /** kolla mode, for plans and dry runs. */
  kolla?: KollaInvocation;
}

const PUSH_TIMEOUT_MS = 30 * 60_000;
const LOG_TAIL_LINES = 30;

type Ctx = Pick<
  ActionContext,
  | 'info'
  | 'debug'
  | 'warning'
  | 'error'
  | 'notice'
  | 'group'
  | 'signal'
  | 'env'
  | 'tempDir'
  | 'workspace'
  | 'appendSummary'
  | 'setSecret'
>;

/** The default candidate tag from the run (GitHub env) or, outside Actions, the workspace's git checkout. */
export async function defaultTag(ctx: Pick<ActionContext, 'env' | 'workspace'>): Promise<string> {
  let branch = ctx.env.GITHUB_HEAD_REF || ctx.env.GITHUB_REF_NAME;
  let sha = ctx.env.GITHUB_SHA;
  if (!sha) {
    // Not a checkout (or no git): no sha, and candidateTag says what is missing.
    const runner = new Git({ env: ctx.env });
    const git = (...args: string[]) =>
      runner.output(args, { cwd: ctx.workspace, timeoutMs: 30_000 }).then(
        (out) => out.trim(),
        () => undefined,
      );
    sha = await git('rev-parse', 'HEAD');
    branch ??= await git('rev-parse', '--abbrev-ref', 'HEAD');
  }
  return candidateTag({ branch, sha, runNumber: ctx.env.GITHUB_RUN_NUMBER });
}

interface Prepared {
  engine: ContainerEngine;
  suites: SuiteFinder;
  tag: string;
  registry?: RegistryClient;
  bats?: Bats;
  /** dockerfile mode: the images, known up front. */
  images: string[];
  kolla?: KollaInvocation;
  workDir: string;
}

/** Every check that can fail before a build starts. */
async function prepare(ctx: Ctx, settings: KollaBatsSettings, workDir: string): Promise<Prepared> {
  const suites = suiteFinder(settings.tests, settings.context, "Input 'tests'");
  const tag = settings.tag ?? (await defaultTag(ctx));
  let images: string[] = [];
  let kolla: KollaInvocation | undefined;
  if (settings.mode === 'dockerfile') {
    images = selectDockerfileImages(settings.context, settings.images, "Input 'images'");
    const untested = images.filter((name) => suites.suitesFor(name).length === 0);
    if (untested.length) {
      throw new UserError(
        `No bats suite for image${untested.length > 1 ? 's' : ''} ${untested.join(', ')}: expected ${suites.pattern.replaceAll('{image}', untested[0])}`,
      );
    }
  } else {
    for (const { key, file } of requiredFiles(settings.kollaBuild, settings.context)) {
      if (!existsSync(file)) throw new UserError(`Profile ${key}: ${file} does not exist`);
    }
    kolla = kollaInvocation({
      section: settings.kollaBuild,
      context: settings.context,
      engine: settings.engine,
      registryHost: settings.registry?.host,
      registryNamespace: settings.registry?.namespace ?? '',
      tag,
      regexes: settings.images,
      buildArgs: settings.buildArgs,
      workDir,
    });
    if (!settings.dryRun && !(await which(kolla.command, false))) {
      throw new UserError(
        `kolla-build is not installed: ${JSON.stringify(kolla.command)} is not on PATH (pip install kolla, or set kolla.kolla-build.command in the profile)`,
      );
    }
  }
  const engine = new ContainerEngine(settings.engine, ctx.env, ctx.signal, workDir);
  await engine.prepare();
  let registry: RegistryClient | undefined;
  if (settings.push && settings.registry)
    registry = new RegistryClient(settings.registry, {
      setSecret: (value) => ctx.setSecret(value),
      env: ctx.env,
    });
  if (!settings.dryRun) {
    const version = await engine.check();
    ctx.info(`${settings.engine} ${version}`);
    // The credentials are checked here, in this process; the engine logs in only for the push.
    if (registry) await registry.check();
  }
  const bats = settings.dryRun ? undefined : await resolveBats(ctx);
  if (bats) ctx.info(`bats ${bats.version} (${bats.path})`);
  return { engine, suites, tag, registry, bats, images, kolla, workDir };
}

function referenceFor(settings: KollaBatsSettings, prepared: Prepared, name: string): string {
  if (prepared.kolla) return kollaImageReference(prepared.kolla, settings.registry?.host, name, prepared.tag);
  return settings.registry
    ? imageReference(settings.registry, name, prepared.tag)
    : `taco-local/${name}:${prepared.tag}`;
}

async function buildDockerfileImages(
  ctx: Ctx,
  settings: KollaBatsSettings,
  prepared: Prepared,
): Promise<ImageResult[]> {
  const results: ImageResult[] = [];
  for (const name of prepared.images) {
    if (ctx.signal.aborted) break;
    const reference = referenceFor(settings, prepared, name);
    const dockerfile = path.join(settings.context, name, 'Dockerfile');
    const result = await ctx.group(`Build ${name} → ${reference}`, async () => {
      const log = lineLogger((line) => ctx.info(line));
      const run = await prepared.engine.build({
        reference,
        dockerfile,
        contextDir: path.join(settings.context, name),
        buildArgs: settings.buildArgs,
        timeoutMs: settings.buildTimeoutMs,
        onOutput: (text) => log.write(text),
      });
      log.flush();
      return run;
    });
    const image: ImageResult = { name, reference, status: 'passed', suites: [], pushed: false, dockerfile };
    if (result.exitCode !== 0) {
      image.status = 'build-failed';
      image.reason = result.timedOut
        ? `${settings.engine} build timed out`
        : `${settings.engine} build exited with code ${result.exitCode}`;
      image.buildLogTail = tail(`${result.stdout}${result.stderr}`, LOG_TAIL_LINES);
    }
    results.push(image);
  }
  return results;
}

async function buildWithKolla(
  ctx: Ctx,
  settings: KollaBatsSettings,
  prepared: Prepared,
): Promise<ImageResult[]> {
  const kolla = prepared.kolla!;
  const run = await ctx.group(`kolla-build ${kolla.args.join(' ')}`, async () => {
    const log = lineLogger((line) => ctx.info(line));
    const outcome = await runKollaBuild(kolla, {
      env: prepared.engine.env,
      timeoutMs: settings.buildTimeoutMs,
      signal: ctx.signal,
      log: (line) => ctx.info(line),
      onStdout: (text) => log.write(text),
      onStderr: (text) => log.write(text),
    });
    log.flush();
    return outcome;
  });
  if (run.failure) throw new KollaRunFailed(run.failure);
  const results: ImageResult[] = [];
  for (const name of run.summary.built) {
    results.push({
      name,
      reference: referenceFor(settings, prepared, name),
      status: 'passed',
      suites: [],
      pushed: false,
    });
  }
  for (const failed of run.summary.failed) {
    const logText = run.imageLog(failed.name);
    results.push({
      name: failed.name,
      reference: referenceFor(settings, prepared, failed.name),
      status: 'build-failed',
      reason: `kolla-build reports status ${failed.status}`,
      buildLogTail: logText ? tail(logText, LOG_TAIL_LINES) : undefined,
      suites: [],
      pushed: false,
    });
  }
  for (const image of results) {
    const logText = run.imageLog(image.name);
    if (logText)
      await ctx.group(`Build log ${image.name}`, async () =>
        logText.split('\n').forEach((line) => ctx.info(line)),
      );
  }
  return results.sort((a, b) => a.name.localeCompare(b.name));
}

export class KollaRunFailed extends Error {
  override readonly name = 'KollaRunFailed';
}

async function testImage(
  ctx: Ctx,
  settings: KollaBatsSettings,
  prepared: Prepared,
  image: ImageResult,
): Promise<void> {
  const suites = prepared.suites.suitesFor(image.name);
  if (suites.length === 0) {
    image.status = 'untested';
    image.reason = `no bats suite (${prepared.suites.pattern.replaceAll('{image}', image.name)})`;
    ctx.warning(
      `Image ${image.name} has no bats suite (${prepared.suites.pattern.replaceAll('{image}', image.name)}): it is not pushed`,
    );
    return;
  }
  await ctx.group(`Test ${image.name} (${suites.map((s) => path.basename(s)).join(', ')})`, async () => {
    for (const suite of suites) {
      if (ctx.signal.aborted) return;
      const log = lineLogger((line) => ctx.info(line));
      const run = await runSuite({
        bats: prepared.bats!,
        suite,
        image: image.reference,
        engine: settings.engine,
        env: prepared.engine.env,
        timeoutMs: settings.testTimeoutMs,
        signal: ctx.signal,
        onOutput: (text) => log.write(text),
      });
      log.flush();
      image.suites.push(run);
    }
  });
  const failure = suitesFailure(image.suites);
  if (failure) {
    image.status = 'test-failed';
    image.reason = failure;
  }
}

type Push = Parameters<Parameters<ContainerEngine['pushWithLogin']>[1]>[0];

/** Logs in, pushes every image that passed, logs out (the login's directory is removed). */
async function pushImages(
  ctx: Ctx,
  settings: KollaBatsSettings,
  prepared: Prepared,
  images: ImageResult[],
): Promise<void> {
  const { username, password, host, insecure } = settings.registry!;
  const login = username && password ? { host, username, password, insecure } : undefined;
  await prepared.engine.pushWithLogin(login, async (push) => {
    for (const image of images) {
      if (ctx.signal.aborted) break;
      await pushImage(ctx, settings, prepared, image, push);
    }
  });
}

async function pushImage(
  ctx: Ctx,
  settings: KollaBatsSettings,
  prepared: Prepared,
  image: ImageResult,
  push: Push,
): Promise<void> {
  await ctx.group(`Push ${image.reference}`, async () => {
    const log = lineLogger((line) => ctx.info(line));
    const result = await push(image.reference, settings.registry!.insecure, PUSH_TIMEOUT_MS, (text) =>
      log.write(text),
    );
    log.flush();
    if (result.exitCode !== 0) {
      image.status = 'push-failed';
      image.reason = describeFailure(result, [], 10);
      return;
    }
    try {
      image.digest = await prepared.registry!.manifestDigest(
        repositoryFor(settings.registry!, referenceRepositoryName(image.reference, settings)),
        prepared.tag,
      );
      image.pushed = true;
      ctx.info(`${image.reference} → ${image.digest}`);
    } catch (err) {
      image.status = 'push-failed';
      image.reason = `pushed, but the registry does not report it: ${(err as Error).message}`;
    }
  });
}

/** The repository path below the registry's namespace (`keystone`, or kolla's `<prefix>keystone`). */
function referenceRepositoryName(reference: string, settings: KollaBatsSettings): string {
  const withoutTag = reference.slice(0, reference.lastIndexOf(':'));
  const prefix = `${settings.registry!.host}/${settings.registry!.namespace ? `${settings.registry!.namespace}/` : ''}`;
  return withoutTag.startsWith(prefix)
    ? withoutTag.slice(prefix.length)
    : withoutTag.slice(withoutTag.indexOf('/') + 1);
}

export async function runStage(ctx: Ctx, settings: KollaBatsSettings): Promise<StageResult> {
  const workDir = path.join(ctx.tempDir, `kolla-bats-${process.pid}-${Date.now()}`);
  mkdirSync(workDir, { recursive: true });
  let prepared: Prepared | undefined;
  try {
    prepared = await prepare(ctx, settings, workDir);
    return await runPrepared(ctx, settings, prepared);
  } finally {
    prepared?.registry?.close();
  }
}

async function runPrepared(ctx: Ctx, settings: KollaBatsSettings, prepared: Prepared): Promise<StageResult> {
  if (settings.dryRun) {
    const names = settings.mode === 'dockerfile' ? prepared.images : [];
    if (prepared.kolla) {
      ctx.info(
        `Would run in ${prepared.kolla.cwd}: ${prepared.kolla.command} ${prepared.kolla.args.join(' ')}`,
      );
      ctx.info(`with ${prepared.kolla.configFile}:\n${prepared.kolla.configText}`);
    }
    for (const name of names)
      ctx.info(
        `Would build ${name} as ${referenceFor(settings, prepared, name)} and test it with ${prepared.suites.suitesFor(name).join(', ')}`,
      );
    return {
      tag: prepared.tag,
      images: names.map((name) => ({
        name,
        reference: referenceFor(settings, prepared, name),
        status: 'planned',
        suites: [],
        pushed: false,
      })),
      // Nothing was built or tested: a dry run is never a pass.
      passed: false,
      kolla: prepared.kolla,
    };
  }

  const images =
    settings.mode === 'dockerfile'
      ? await buildDockerfileImages(ctx, settings, prepared)
      : await buildWithKolla(ctx, settings, prepared);
  for (const image of images.filter((i) => i.status === 'passed')) {
    if (ctx.signal.aborted) break;
    await testImage(ctx, settings, prepared, image);
  }
  const passing = images.filter((i) => i.status === 'passed');
  if (settings.push && passing.length > 0 && !ctx.signal.aborted)
    await pushImages(ctx, settings, prepared, passing);
  if (ctx.signal.aborted) throw new JobFailure('kolla-bats was cancelled');

  annotate(ctx, images, ctx.workspace);
  const junitFile = path.join(prepared.workDir, 'junit.xml');
  writeFileSync(junitFile, junitXml(images, ctx.workspace));
  await ctx.appendSummary(summaryMarkdown(images, prepared.tag, ctx.workspace, settings.push));
  const passed =
    images.length > 0 && images.every((i) => i.status === 'passed' && (i.pushed || !settings.push));
  return { tag: prepared.tag, images, junitFile, passed, kolla: prepared.kolla };
}
