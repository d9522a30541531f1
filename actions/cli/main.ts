import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cancelOnSignals } from '../lib/cancellation.js';
import { refuseUndeclaredInputs } from '../lib/declared-inputs.js';
import { exitCodeFor, failureKind, UserError } from '../lib/errors.js';
import { renderPlan } from '../lib/plan.js';
import { loadProfile, resolveProfilePath } from '../lib/profile/load.js';
import { terminalContext } from '../lib/terminal-context.js';
import { buildPlan, PIPELINES } from './plan.js';
import { ACTION_NAMES, loadAction } from './registry.js';
import { historySite, showHistory } from './history.js';
import type { CliHost } from './host.js';
import { diffReleaseRefs, type ReleaseFormat, showRelease } from './release.js';
import { validateAll } from './validate.js';
import { workflowRunCommand } from './workflow-run.js';
import { sourceMappedStack } from '../lib/source-mapped-stack.js';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number above 0, got ${JSON.stringify(value)}`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveCount(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1)
    throw new InvalidArgumentError(`expected a positive whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function parseInputs(pairs: string[]): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UserError(`--input ${JSON.stringify(pair)}: expected name=value`);
    inputs[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return inputs;
}

async function runCommand(
  action: string,
  options: { profile?: string; input: string[]; dryRun?: boolean; summary?: string; verbose?: boolean },
) {
  const inputs = parseInputs(options.input);
  const module = await loadAction(action);
  refuseUndeclaredInputs(action, Object.keys(inputs), module.Inputs);
  inputs.profile ??= resolveProfilePath(options.profile);
  if (options.dryRun) inputs['dry-run'] = 'true';
  // @actions/tool-cache reads these from the process environment, as it does on a runner.
  process.env.RUNNER_TEMP ||= mkdtempSync(path.join(os.tmpdir(), 'taco-ci-'));
  process.env.RUNNER_TOOL_CACHE ||= path.join(os.homedir(), '.cache', 'taco-ci', 'tools');
  const cancellation = cancelOnSignals((m) => process.stderr.write(`${m}\n`));
  const ctx = terminalContext({
    inputs,
    signal: cancellation.signal,
    verbose: options.verbose,
    tempDir: process.env.RUNNER_TEMP,
  });
  let failure: unknown;
  try {
    await module.run(ctx);
  } catch (err) {
    failure = err;
  }
  try {
    // The runner runs an action's post step after the main step whatever happened: so does taco-ci.
    await module.post?.(ctx);
  } catch (err) {
    failure ??= err;
  } finally {
    cancellation.dispose();
  }
  const summary = ctx.summary.join('\n');
  if (options.summary) writeFileSync(options.summary, summary);
  else if (summary.trim()) process.stdout.write(`\n── summary ──\n${summary}\n`);
  if (Object.keys(ctx.outputs).length) {
    process.stdout.write(`\n── outputs ──\n`);
    for (const [name, value] of Object.entries(ctx.outputs)) process.stdout.write(`${name}=${value}\n`);
  }
  if (failure) throw failure;
}

/** `taco-ci run <action>`: one action through its own run(). */
function addRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      `Run one action through the same run() code the GitHub action uses.\nActions: ${ACTION_NAMES.join(', ')}`,
    )
    .argument('<action>', 'the action to run')
    .option('-p, --profile <file>', 'profile file or built-in profile name', 'local')
    .option('-i, --input <name=value>', 'an action input (repeatable)', collect, [])
    .option('--dry-run', 'set the dry-run input: do everything but change anything')
    .option('--summary <file>', 'write the job summary (Markdown) to a file instead of printing it')
    .option('-v, --verbose', 'debug logging')
    .action(async (action: string, options) => {
      await runCommand(action, options);
    });
}

/** `taco-ci workflow run`: a reusable workflow on this machine. */
function addWorkflowCommand(program: Command, host: CliHost): void {
  program
    .command('workflow')
    .description('Run a reusable workflow of this repository on this machine (see docs/workflow-runner.md).')
    .command('run')
    .argument('<workflow>', 'a workflow name in .github/workflows (nightly, unit-kolla, …) or a file')
    .option('-p, --profile <profile>', 'the profile input: a built-in name or a file')
    .option('-i, --input <name=value>', 'a workflow input (repeatable)', collect, [])
    .option(
      '-s, --secret <NAME=value|NAME>',
      'a workflow secret, or its value from the environment (repeatable)',
      collect,
      [],
    )
    .option('--repo <dir>', "the caller's repository, for actions/checkout without repository:")
    .option('--work-dir <dir>', 'where workspaces, runner files and artifacts go (default: a new temp dir)')
    .option('--event <name>', 'github.event_name (default workflow_dispatch)')
    .option('--node <file>', 'Node for using: node24 actions (default .tmp/node24)')
    .action(async (workflow: string, options) => {
      await workflowRunCommand(workflow, options, host);
    });
}

/** `taco-ci validate`: profiles, manifests, workflows; exit 2 when a problem is found. */
function addValidateCommand(program: Command, host: CliHost, setExitCode: (code: number) => void): void {
  program
    .command('validate')
    .description('Validate profiles, Armada manifests, workflow files and action.yml files.')
    .option(
      '-p, --profile <file>',
      'a profile to validate (repeatable; default: every built-in profile)',
      collect,
      [],
    )
    .option('-m, --manifest <file>', 'an Armada manifest to validate (repeatable)', collect, [])
    .option('--no-workflows', 'skip .github/workflows and action.yml files')
    .action(async (options: { profile: string[]; manifest: string[]; workflows: boolean }) => {
      const { problems, checked } = await validateAll({ ...options, cwd: host.cwd });
      process.stdout.write(`Checked:\n${checked.map((line) => `  ${line}\n`).join('')}`);
      for (const line of problems) process.stderr.write(`${line}\n`);
      if (problems.length) {
        process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} found.\n`);
        setExitCode(EXIT_USAGE);
      } else {
        process.stdout.write('All valid.\n');
      }
    });
}

/** `taco-ci plan`: what the pipelines would do. */
function addPlanCommand(program: Command, host: CliHost): void {
  program
    .command('plan')
    .description(
      'Print what the mirror, unit, nightly and promote pipelines would do for a profile, touching nothing.',
    )
    .option('-p, --profile <file>', 'profile file or built-in profile name', 'local')
    .addOption(new Option('--pipeline <name>', 'only this pipeline').choices(PIPELINES.map((p) => p.name)))
    .option('--json', 'print the plan as JSON')
    .action(async (options: { profile: string; pipeline?: string; json?: boolean }) => {
      const profile = loadProfile(options.profile, host.cwd);
      const plan = await buildPlan(profile, options.pipeline, host.cwd);
      process.stdout.write(options.json ? `${JSON.stringify(plan, null, 2)}\n` : `${renderPlan(plan)}\n`);
    });
}

/** `taco-ci history`: the artifact ledger, as text, Markdown, JSON or a dashboard. */
function addHistoryCommand(program: Command, host: CliHost): void {
  program
    .command('history')
    .description('Print the artifact history (nightly runs and promotions) of a profile or a ledger.')
    .option('-p, --profile <file>', 'profile whose promote.history ledger is read', 'local')
    .option('--ledger <target>', 'a ledger instead: a JSON-lines file or <git-url>#<branch>:<path>')
    .option('--candidate <name>', 'only the entries of this candidate')
    .option('-n, --limit <count>', 'only the last N entries', positiveCount)
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'markdown', 'json'])
        .default('table'),
    )
    .option('--html <dir>', 'write the dashboard (a self-contained static site) to this directory')
    .option('--summary', 'print the Markdown summary with a Mermaid chart (for a job summary)')
    .option('--window <nights>', 'nights in the trend window of --html/--summary', positiveInt, 30)
    .option('--nights <count>', 'nights in the Mermaid chart of --summary', positiveInt, 14)
    .action(
      async (options: {
        profile: string;
        ledger?: string;
        candidate?: string;
        limit?: number;
        format: 'table' | 'markdown' | 'json';
        html?: string;
        summary?: boolean;
        window: number;
        nights: number;
      }) => {
        if (options.html || options.summary) process.stdout.write(await historySite({ ...options, ...host }));
        else process.stdout.write(await showHistory({ ...options, ...host }));
      },
    );
}

/** `taco-ci release show|diff`: bills of materials of release artifacts. */
function addReleaseCommands(program: Command, host: CliHost): void {
  const release = program
    .command('release')
    .description(
      'Read release artifacts (<registry>/taco-release:<tag>): bills of materials and their differences.',
    );
  const formatOption = () =>
    new Option('--format <format>', 'output format').choices(['table', 'markdown', 'json']).default('table');
  const profileOption = () =>
    new Option('-p, --profile <file>', 'profile whose registry (and credentials) serve bare tags').default(
      'local',
    );
  release
    .command('show')
    .description('Print the bill of materials of a release: every image and chart with its digest.')
    .argument(
      '<ref>',
      'release reference host[:port]/<ns>/taco-release:<tag> (or @sha256:…), or a tag of the profile registry',
    )
    .addOption(profileOption())
    .addOption(formatOption())
    .action(async (ref: string, options: { profile: string; format: ReleaseFormat }) => {
      process.stdout.write(await showRelease(ref, { ...options, ...host }));
    });
  release
    .command('diff')
    .description('List the images, charts and source commits that changed from release <a> to release <b>.')
    .argument('<a>', 'the older release (reference or tag)')
    .argument('<b>', 'the newer release (reference or tag)')
    .addOption(profileOption())
    .addOption(formatOption())
    .action(async (a: string, b: string, options: { profile: string; format: ReleaseFormat }) => {
      process.stdout.write(await diffReleaseRefs(a, b, { ...options, ...host }));
    });
}

export async function main(argv: string[]): Promise<number> {
  // The one place taco-ci's commands learn where they run: each is handed it.
  const host: CliHost = { cwd: process.cwd(), env: process.env };
  const program = new Command()
    .name('taco-ci')
    .description('Run the TACO CI actions locally, validate profiles and show what the pipelines would do.')
    .exitOverride()
    .showHelpAfterError();
  let exitCode = EXIT_OK;
  addRunCommand(program);
  addWorkflowCommand(program, host);
  addValidateCommand(program, host, (code) => (exitCode = code));
  addPlanCommand(program, host);
  addHistoryCommand(program, host);
  addReleaseCommands(program, host);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const kind = failureKind(err);
    if (kind === 'bug') {
      const error = err instanceof Error ? err : new Error(String(err));
      process.stderr.write(`internal error: ${sourceMappedStack(error.stack ?? error.message)}\n`);
      return EXIT_FAILED;
    }
    process.stderr.write(`${kind === 'user' ? 'error' : 'failed'}: ${(err as Error).message}\n`);
    return exitCodeFor(err);
  }
}

const invokedDirectly = process.argv[1] && path.basename(process.argv[1]).startsWith('taco-ci');
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // Keep-alive sockets and watches must not keep the CLI alive after the work is done.
    setTimeout(() => process.exit(code), 50).unref();
  });
}
