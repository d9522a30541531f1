import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ActionContext } from '../lib/context.js';
import { formatDuration, parseDuration } from '../lib/duration.js';
import { JobFailure, UserError } from '../lib/errors.js';
import { tail } from '../lib/process.js';
import type { Profile } from '../lib/profile/load.js';
import { writeJUnitXml } from '../lib/reports/junit.js';
import { subunitJUnitSource, failureLine, traceback } from '../lib/subunit/junit.js';
import { mergeStreams } from '../lib/subunit/merge.js';
import { readSubunitFile } from '../lib/subunit/read.js';
import type { SubunitRun } from '../lib/subunit/results.js';
import { FAILING } from '../lib/subunit/summary.js';
import { fromProfile, type KnownFailure, matchKnown, readKnownFailuresFile } from './known-failures.js';
import { Outputs, type TempestInputs } from './inputs.js';
import type { TempestSection } from './profile.js';
import { compilePythonRegex } from './python-regex.js';
import { checkCatalog, KeystoneUnreachable } from './catalog.js';
import { failureLines, renderSummary, type ReportContext } from './report.js';
import { splitShards } from './shard.js';
import { appendStream, expandStreamInputs, skipPackets, startCombined } from './streams.js';
import { listTests, runTests, RunWorkspace, type Selection, type TempestEnv } from './tempest-cli.js';
import { readTimings, writeTimings } from './timings.js';
import { classify, rerunList, type Verdict } from './verdict.js';
import { type ConfigSource, writeConfig } from './workspace.js';

const DEFAULT_TIMEOUT_MS = 3 * 3_600_000;

/** Inputs and profile folded into one plan of work. */
export interface TempestSettings {
  mode: TempestInputs['mode'];
  profileName: string;
  profileFile: string;
  resultsDir: string;
  known: KnownFailure[];
  skip: { regex: RegExp; reason: string }[];
  selection: Selection;
  concurrency: number;
  timeoutMs: number;
  rerunFailed: boolean;
  /** A shard with no tests is not a failure (input allow-empty). */
  allowEmpty: boolean;
  shardIndex: number;
  shardCount: number;
  timings?: string;
  workspace: string;
  config: ConfigSource;
  adminPassword?: string;
  subunit: string[];
}

export function resolveSettings(
  inputs: TempestInputs,
  profile: Profile,
  ctx: Pick<ActionContext, 'workspace' | 'tempDir'>,
): TempestSettings {
  const section: TempestSection = profile.section<TempestSection>('tempest') ?? {};
  const where = (...keyPath: (string | number)[]) => profile.where(['tempest', ...keyPath]);
  if (inputs.shardIndex >= inputs.shardCount) {
    throw new UserError(
      `Input 'shard-index': expected 0 to ${inputs.shardCount - 1} (shard-count is ${inputs.shardCount}), got ${inputs.shardIndex}`,
    );
  }
  const smoke = inputs.smoke ?? section.smoke ?? false;
  const regex = inputs.regex ?? section.regex;
  if (smoke && regex)
    throw new UserError(
      `Inputs 'smoke' and 'regex' exclude each other (tempest run takes one of --smoke and --regex); got smoke with regex ${JSON.stringify(regex)}`,
    );
  const sectionTimeout = section.timeout === undefined ? undefined : parseDuration(String(section.timeout));
  const known = fromProfile(section['known-failures'] ?? [], profile.file);
  if (inputs.knownFailures)
    known.push(...readKnownFailuresFile(path.resolve(ctx.workspace, inputs.knownFailures)));
  const config: ConfigSource = inputs.config
    ? { kind: 'file', file: path.resolve(ctx.workspace, inputs.config) }
    : section.config
      ? { kind: 'profile', section: section.config, profileFile: where('config') }
      : { kind: 'existing' };
  const resolve = (file: string | undefined) => (file ? path.resolve(ctx.workspace, file) : undefined);
  return {
    mode: inputs.mode,
    profileName: profile.name,
    profileFile: profile.file,
    // Not into the checkout unless asked (RUNNER_TEMP is the job's own): the outputs name every file.
    resultsDir: inputs.resultsDir
      ? path.resolve(ctx.workspace, inputs.resultsDir)
      : path.join(ctx.tempDir, 'tempest-results'),
    known,
    skip: (section.skip ?? []).map((entry, i) => ({
      regex: compilePythonRegex(entry.regex, where('skip', i, 'regex')),
      reason: entry.reason,
    })),
    selection: {
      ...(smoke ? { smoke } : {}),
      ...(regex ? { regex } : {}),
      ...(inputs.includeList ? { includeList: resolve(inputs.includeList) } : {}),
      ...(inputs.excludeList ? { excludeList: resolve(inputs.excludeList) } : {}),
    },
    concurrency: inputs.concurrency ?? section.concurrency ?? 0,
    timeoutMs: inputs.timeoutMs ?? sectionTimeout ?? DEFAULT_TIMEOUT_MS,
    rerunFailed: inputs.rerunFailed ?? section['rerun-failed'] ?? false,
    allowEmpty: inputs.allowEmpty ?? false,
    shardIndex: inputs.shardIndex,
    shardCount: inputs.shardCount,
    ...(inputs.timings ? { timings: resolve(inputs.timings) } : {}),
    workspace: path.resolve(ctx.workspace, inputs.workspace ?? path.join(ctx.tempDir, 'tempest-workspace')),
    config,
    ...(inputs.adminPassword ? { adminPassword: inputs.adminPassword } : {}),
    subunit: inputs.subunit,
  };
}

interface Collected {
  run: SubunitRun;
  stream: string;
  problems: string[];
  shard?: ReportContext['shard'];
}

function baseName(settings: TempestSettings): string {
  return settings.shardCount > 1 ? `tempest-shard-${settings.shardIndex}` : 'tempest';
}

function tempestEnv(ctx: ActionContext, settings: TempestSettings): TempestEnv {
  return {
    env: ctx.env,
    signal: ctx.signal,
    ...(settings.adminPassword ? { secrets: [settings.adminPassword] } : {}),
    log: (line) => ctx.info(line),
    scratchDir: ctx.tempDir,
  };
}

/** Applies the profile's skip list: returns what still runs and what is skipped, with reasons. */
export function applySkips(
  ids: readonly string[],
  skip: TempestSettings['skip'],
): { selected: string[]; skipped: { id: string; reason: string }[] } {
  const selected: string[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const id of ids) {
    const entry = skip.find((s) => s.regex.test(id));
    if (entry) skipped.push({ id, reason: entry.reason });
    else selected.push(id);
  }
  return { selected, skipped };
}

/** The profile's services against Keystone's catalog; an unreachable Keystone is left to Tempest to report. */
async function checkServices(
  ctx: ActionContext,
  config: Extract<ConfigSource, { kind: 'profile' }>,
  password: string,
): Promise<void> {
  try {
    const check = await checkCatalog(config.section, password, config.profileFile, { signal: ctx.signal });
    ctx.info(
      `Keystone's catalog has ${check.confirmed.join(', ') || 'none'} of the services the profile calls available` +
        (check.unknown.length ? ` (not checked, no known catalog type: ${check.unknown.join(', ')})` : ''),
    );
  } catch (err) {
    if (!(err instanceof KeystoneUnreachable)) throw err;
    ctx.warning(`Could not check the service catalog: ${err.message}`);
  }
}

async function runMode(ctx: ActionContext, settings: TempestSettings): Promise<Collected> {
  const env = tempestEnv(ctx, settings);
  const workspace = new RunWorkspace(settings.workspace, env);
  try {
    return await runInWorkspace(ctx, settings, env, workspace);
  } finally {
    await workspace.release((message) => ctx.warning(message));
  }
}

async function runInWorkspace(
  ctx: ActionContext,
  settings: TempestSettings,
  env: TempestEnv,
  workspace: RunWorkspace,
): Promise<Collected> {
  const files = resultFiles(settings);
  const timings = settings.timings ? await readTimings(settings.timings) : undefined;
  const listed = await ctx.group('Prepare the tempest workspace and select tests', () =>
    prepareAndList(ctx, settings, env, workspace),
  );
  if (listed.length === 0) {
    throw new UserError(
      `The selection matched no tests (${JSON.stringify(settings.selection)}): check regex, smoke, include-list and exclude-list`,
    );
  }
  const { selected, skipped, mine } = selectShard(ctx, settings, listed, timings);
  writeFileSync(files.list, mine.length ? `${mine.join('\n')}\n` : '');

  const problems = await runShard(ctx, settings, env, files, mine.length);
  startCombined(files.combined, files.raw);
  // The profile's skips go in once: with the first shard.
  if (settings.shardIndex === 0 && skipped.length) appendProfileSkips(files.combined, settings, skipped);

  let run = await readSubunitFile(files.combined);
  if (settings.rerunFailed && !ctx.signal.aborted) {
    const rerun = await rerunFailures(ctx, settings, env, files, run, mine);
    run = rerun.run;
    problems.push(...rerun.problems);
  }
  if (mine.length > 0 && run.tests.length === 0 && problems.length === 0)
    problems.push(`tempest produced no test results for ${mine.length} tests (see ${files.raw})`);
  return {
    run,
    stream: files.combined,
    problems,
    shard: {
      index: settings.shardIndex,
      count: settings.shardCount,
      tests: mine.length,
      selected: selected.length,
    },
  };
}

interface ResultFiles {
  list: string;
  raw: string;
  rerunList: string;
  rerun: string;
  combined: string;
}

function resultFiles(settings: TempestSettings): ResultFiles {
  const name = baseName(settings);
  return {
    list: path.join(settings.resultsDir, `${name}-tests.txt`),
    raw: path.join(settings.resultsDir, `${name}-raw.subunit`),
    rerunList: path.join(settings.resultsDir, `${name}-rerun-tests.txt`),
    rerun: path.join(settings.resultsDir, `${name}-rerun.subunit`),
    combined: path.join(settings.resultsDir, `${name}.subunit`),
  };
}

/** Makes sure the workspace and its tempest.conf exist, checks the services, lists the selected tests. */
async function prepareAndList(
  ctx: ActionContext,
  settings: TempestSettings,
  env: TempestEnv,
  workspace: RunWorkspace,
): Promise<string[]> {
  if (
    settings.config.kind === 'existing' &&
    !existsSync(path.join(settings.workspace, 'etc', 'tempest.conf'))
  ) {
    throw new UserError(
      `No tempest configuration: give the 'config' input (a tempest.conf), a 'workspace' that has one, or a tempest.config section in ${settings.profileFile}`,
    );
  }
  const { created } = await workspace.ensure();
  ctx.info(`${created ? 'Created' : 'Using'} tempest workspace ${settings.workspace}`);
  const conf = writeConfig(ctx, settings.workspace, settings.config, settings.adminPassword);
  ctx.info(
    `tempest.conf: ${settings.config.kind === 'file' ? `copied from ${settings.config.file}` : settings.config.kind === 'profile' ? `generated from ${settings.config.profileFile}` : 'the workspace’s own'} (${conf.file})`,
  );
  if (settings.config.kind === 'profile' && conf.password !== undefined)
    await checkServices(ctx, settings.config, conf.password);
  return listTests(settings.workspace, settings.selection, env);
}

/** The profile's skips applied, then this shard's part of what remains. */
function selectShard(
  ctx: ActionContext,
  settings: TempestSettings,
  listed: string[],
  timings: Awaited<ReturnType<typeof readTimings>> | undefined,
): ReturnType<typeof applySkips> & { mine: string[] } {
  const { selected, skipped } = applySkips(listed, settings.skip);
  const shards = splitShards(selected, settings.shardCount, timings);
  const mine = shards[settings.shardIndex];
  ctx.info(
    `${listed.length} tests listed, ${skipped.length} skipped by the profile, ${selected.length} selected` +
      (settings.shardCount > 1
        ? `; shard ${settings.shardIndex + 1}/${settings.shardCount} runs ${mine.length} (balanced by ${timings ? 'previous durations' : 'class size'})`
        : ''),
  );
  return { selected, skipped, mine };
}

/** Runs this shard's tests into the raw stream; an empty shard writes an empty one. Returns the problems. */
async function runShard(
  ctx: ActionContext,
  settings: TempestSettings,
  env: TempestEnv,
  files: ResultFiles,
  tests: number,
): Promise<string[]> {
  if (tests > 0) {
    const problem = await runTempest(ctx, settings, env, files.list, files.raw, 'tempest run');
    return problem ? [problem] : [];
  }
  writeFileSync(files.raw, '');
  const empty = `Shard ${settings.shardIndex + 1} of ${settings.shardCount} has no tests: there are fewer test classes than shards`;
  // Zero tests prove nothing: a pass only when the caller says so.
  if (!settings.allowEmpty)
    return [`${empty}; use fewer shards, or set allow-empty: true to accept an empty shard`];
  ctx.warning(`${empty} (allow-empty)`);
  return [];
}

/** One `tempest run` of a test list; what went wrong with it, if anything. */
async function runTempest(
  ctx: ActionContext,
  settings: TempestSettings,
  env: TempestEnv,
  loadList: string,
  output: string,
  what: string,
): Promise<string | undefined> {
  const result = await ctx.group(what, () =>
    runTests(
      settings.workspace,
      { loadList, output, concurrency: settings.concurrency, timeoutMs: settings.timeoutMs },
      env,
    ),
  );
  if (result.cancelled) return `${what} was cancelled; the results below are what finished before that.`;
  if (result.timedOut)
    return `${what} timed out after ${formatDuration(settings.timeoutMs)}; tests still running then are reported as not finished.`;
  if (result.exitCode !== 0)
    return `${what}: tempest exited with code ${result.exitCode}:\n${tail(result.stderr, 15)}`;
  if (result.stderr.trim()) ctx.debug(tail(result.stderr, 40));
  return undefined;
}

function appendProfileSkips(
  combined: string,
  settings: TempestSettings,
  skipped: { id: string; reason: string }[],
): void {
  appendStream(
    combined,
    skipPackets(
      skipped.map((s) => ({ id: s.id, reason: `skipped by profile ${settings.profileName}: ${s.reason}` })),
      Date.now(),
    ),
  );
}

/** Runs the new failures once more and appends their results to the combined stream. */
async function rerunFailures(
  ctx: ActionContext,
  settings: TempestSettings,
  env: TempestEnv,
  files: ResultFiles,
  run: SubunitRun,
  mine: string[],
): Promise<{ run: SubunitRun; problems: string[] }> {
  const verdict = classify(run, settings.known);
  const again = rerunList(verdict.newFailures, mine);
  if (!again.length) return { run, problems: [] };
  ctx.info(`Running ${again.length} failed tests once more`);
  writeFileSync(files.rerunList, `${again.join('\n')}\n`);
  const problem = await runTempest(
    ctx,
    settings,
    env,
    files.rerunList,
    files.rerun,
    'tempest rerun of failed tests',
  );
  appendStream(files.combined, files.rerun);
  return { run: await readSubunitFile(files.combined), problems: problem ? [problem] : [] };
}

async function mergeMode(ctx: ActionContext, settings: TempestSettings): Promise<Collected> {
  const inputs = expandStreamInputs(settings.subunit, ctx.workspace);
  const problems: string[] = [];
  let stream = inputs[0];
  if (settings.mode === 'merge' || inputs.length > 1) {
    stream = path.join(settings.resultsDir, 'tempest.subunit');
    const reports = await ctx.group(`Merge ${inputs.length} Subunit streams`, () =>
      mergeStreams(
        inputs.map((file, i) => ({ file, route: String(i) })),
        stream,
      ),
    );
    for (const report of reports) {
      ctx.info(`${report.file}: ${report.packets} packets, ${report.bytes} bytes`);
      if (report.error)
        problems.push(
          `${report.file} is damaged: ${report.error.message}; the packets before it are included.`,
        );
    }
    const owners = new Map<string, number>();
    const twice = new Set<string>();
    reports.forEach((report, i) => {
      for (const id of report.testIds) {
        if (owners.has(id) && owners.get(id) !== i) twice.add(id);
        owners.set(id, i);
      }
    });
    if (twice.size) {
      const sample = [...twice].slice(0, 5).join(', ');
      problems.push(
        `${twice.size} tests have results in more than one stream (shards overlap, or a stream was given twice): ${sample}${twice.size > 5 ? ', …' : ''}`,
      );
    }
  }
  const run = await readSubunitFile(stream);
  // Skips alone test nothing either.
  if (!run.tests.some((t) => t.outcome !== 'skip') && !settings.allowEmpty)
    problems.push(
      run.tests.length === 0
        ? `The Subunit stream(s) hold no test results: zero tests are not a pass (set allow-empty: true to accept that)`
        : `Every one of the ${run.tests.length} tests in the Subunit stream(s) was skipped: zero tests ran, which is not a pass (set allow-empty: true to accept that)`,
    );
  return { run, stream, problems };
}

export interface TempestResult {
  verdict: Verdict;
  junit: string;
  subunit: string;
  timings: string;
  summary: string;
}

/** Runs the mode, writes JUnit, timings and the summary, sets outputs; throws JobFailure on a failing verdict. */
export async function tempestAction(ctx: ActionContext, settings: TempestSettings): Promise<TempestResult> {
  mkdirSync(settings.resultsDir, { recursive: true });
  const collected = settings.mode === 'run' ? await runMode(ctx, settings) : await mergeMode(ctx, settings);
  const { run } = collected;
  const problems = [...collected.problems, ...streamProblems(ctx, run, collected.stream)];
  const verdict = classify(run, settings.known);
  const name = baseName(settings);
  const junit = path.join(settings.resultsDir, `${name}-junit.xml`);
  const timings = path.join(settings.resultsDir, `${name}-timings.json`);
  writeTempestJUnit(junit, run, settings);
  writeTimings(timings, run.tests);
  const title = `Tempest — ${settings.profileName}${settings.mode === 'run' ? '' : ` (${settings.mode})`}`;
  const summary = renderSummary(run, verdict, {
    title,
    problems,
    ...(collected.shard ? { shard: collected.shard } : {}),
  });
  await ctx.appendSummary(summary);
  setOutputs(ctx, verdict, { junit, subunit: collected.stream, timings });
  announceVerdict(ctx, verdict);

  const reasons = [...problems];
  if (verdict.newFailures.length) {
    reasons.push(
      `${verdict.newFailures.length} new failure${verdict.newFailures.length === 1 ? '' : 's'}:\n  ${failureLines(verdict.newFailures.slice(0, 20)).join('\n  ')}${verdict.newFailures.length > 20 ? '\n  …' : ''}`,
    );
  }
  if (reasons.length) throw new JobFailure(`Tempest: ${reasons.join('\n')}`);
  return { verdict, junit, subunit: collected.stream, timings, summary };
}

/** A damaged stream is a problem; plain output between packets is only shown. */
function streamProblems(ctx: ActionContext, run: SubunitRun, stream: string): string[] {
  if (run.stream.nonSubunitBytes > 0)
    ctx.info(
      `The stream carries ${run.stream.nonSubunitBytes} bytes of plain output between packets:\n${tail(run.stream.nonSubunitTail, 10)}`,
    );
  return run.stream.error
    ? [
        `The Subunit stream ${stream} is damaged: ${run.stream.error.message}. Results up to there are reported.`,
      ]
    : [];
}

/** JUnit XML with known failures and flaky tests noted, and the profile and shard as properties. */
function writeTempestJUnit(file: string, run: SubunitRun, settings: TempestSettings): void {
  writeJUnitXml(
    file,
    [
      subunitJUnitSource(run, {
        suiteName: 'tempest',
        note: (test) => {
          if (!FAILING.has(test.outcome))
            return test.previous.some((o) => FAILING.has(o))
              ? `flaky: failed, then passed on rerun`
              : undefined;
          const known = matchKnown(test.id, settings.known);
          return known
            ? `known failure${known.bug ? `: ${known.bug}` : known.reason ? `: ${known.reason}` : ''}`
            : undefined;
        },
        properties: {
          profile: settings.profileName,
          ...(settings.shardCount > 1 ? { shard: `${settings.shardIndex + 1}/${settings.shardCount}` } : {}),
        },
      }),
    ],
    'tempest',
  );
}

function setOutputs(
  ctx: ActionContext,
  verdict: Verdict,
  files: { junit: string; subunit: string; timings: string },
): void {
  ctx.setOutput(Outputs.passed, verdict.counts.passed);
  ctx.setOutput(Outputs.failed, verdict.counts.failed);
  ctx.setOutput(Outputs.skipped, verdict.counts.skipped);
  ctx.setOutput(Outputs.newFailures, verdict.newFailures.length);
  ctx.setOutput(Outputs.flaky, verdict.flaky.length);
  ctx.setOutput(Outputs.junit, files.junit);
  ctx.setOutput(Outputs.subunit, files.subunit);
  ctx.setOutput(Outputs.timings, files.timings);
}

/** The counts in the log; new failures, fixed known failures and flaky tests as annotations. */
function announceVerdict(ctx: ActionContext, verdict: Verdict): void {
  const c = verdict.counts;
  ctx.info(
    `${c.passed} passed, ${c.failed} failed (${verdict.newFailures.length} new, ${verdict.knownFailures.length} known), ${c.skipped} skipped, ${verdict.flaky.length} flaky`,
  );
  for (const item of verdict.newFailures.slice(0, 10)) {
    ctx.error(
      `${item.test.id}: ${item.test.outcome === 'unfinished' ? 'did not finish' : failureLine(traceback(item.test)?.text ?? item.test.outcome)}`,
      { title: 'Tempest: new failure' },
    );
  }
  for (const item of verdict.fixedKnown.slice(0, 10))
    ctx.notice(
      `${item.test.id} passed but is listed as a known failure (${item.known!.source}): remove it from the list`,
      { title: 'Tempest: known failure now passes' },
    );
  for (const item of verdict.flaky.slice(0, 10))
    ctx.warning(`${item.test.id} failed, then passed when run again`, { title: 'Tempest: flaky test' });
}
