/**
 * Runs a bundled action (dist/<action>/index.js) the way the GitHub runner does: inputs as
 * INPUT_<NAME> env (upper-case, spaces to `_`, dashes kept), defaults from action.yml, and the
 * GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE / GITHUB_STEP_SUMMARY files, RUNNER_TEMP and
 * RUNNER_TOOL_CACHE. `runPost` runs the post step with the state the main step saved.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { node24Binary } from '../setup/requirements.js';
import { parseKeyValueFile } from '../../actions/lib/workflow/file-commands.js';
import { inputEnvName } from '../../actions/lib/workflow/process-steps.js';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
// Installed outside node_modules (by the global setup) so that its `.bin/node` cannot shadow the Node the tests run on.
export const node24 = node24Binary;

export interface Annotation {
  level: 'error' | 'warning' | 'notice' | 'debug';
  message: string;
  properties: Record<string, string>;
}

export interface ActionRun {
  exitCode: number | null;
  outputs: Record<string, string>;
  state: Record<string, string>;
  exportedEnv: Record<string, string>;
  summary: string;
  annotations: Annotation[];
  stdout: string;
  stderr: string;
  runnerDir: string;
}

export interface RunActionOptions {
  inputs?: Record<string, string>;
  env?: Record<string, string | undefined>;
  /** 'current' is the Node running the tests (20 here); '24' is what `using: node24` gets. */
  node?: 'current' | '24';
  cwd?: string;
  timeoutMs?: number;
  /** Directory for the runner files; a fresh temp dir by default. */
  runnerDir?: string;
  state?: Record<string, string>;
  /** Send SIGINT (as a cancelled job does) after this many ms. */
  cancelAfterMs?: number;
}

interface ActionYaml {
  inputs?: Record<string, { default?: string; required?: boolean }>;
  outputs?: Record<string, unknown>;
  runs: { using: string; main: string; post?: string };
}

export function readActionYaml(action: string): ActionYaml {
  return parseYaml(readFileSync(path.join(repoRoot, action, 'action.yml'), 'utf8')) as ActionYaml;
}

export { inputEnvName };

export function nodeBinary(which: 'current' | '24' = 'current'): string {
  if (which === 'current') return process.execPath;
  if (!existsSync(node24)) {
    throw new Error(
      `Node 24 is not installed at ${node24}: the tests' global setup installs it (npm test), or run scripts/install-node24.sh.`,
    );
  }
  return node24;
}

export function runAction(action: string, options: RunActionOptions = {}): Promise<ActionRun> {
  return runStep(action, 'main', options);
}

export function runPost(action: string, main: ActionRun, options: RunActionOptions = {}): Promise<ActionRun> {
  return runStep(action, 'post', { ...options, runnerDir: main.runnerDir, state: main.state });
}

async function runStep(action: string, step: 'main' | 'post', options: RunActionOptions): Promise<ActionRun> {
  const meta = readActionYaml(action);
  const script = step === 'main' ? meta.runs.main : meta.runs.post;
  if (!script) throw new Error(`${action}/action.yml has no ${step} step`);
  const runnerDir = options.runnerDir ?? mkdtempSync(path.join(os.tmpdir(), `runner-${action}-`));
  const files = {
    output: path.join(runnerDir, `output-${step}`),
    env: path.join(runnerDir, `env-${step}`),
    state: path.join(runnerDir, `state-${step}`),
    summary: path.join(runnerDir, `summary-${step}`),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const temp = path.join(runnerDir, 'temp');
  const toolCache = path.join(runnerDir, 'tool-cache');
  const workspace = options.cwd ?? path.join(runnerDir, 'workspace');
  for (const dir of [temp, toolCache, workspace]) mkdirSync(dir, { recursive: true });

  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_ENV: files.env,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'taco/test',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: toolCache,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
  };
  for (const [name, spec] of Object.entries(meta.inputs ?? {})) {
    if (spec.default !== undefined) env[inputEnvName(name)] = evaluateDefault(String(spec.default), env);
  }
  for (const [name, value] of Object.entries(options.inputs ?? {})) env[inputEnvName(name)] = value;
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;
  Object.assign(env, options.env);

  const child = spawn(nodeBinary(options.node), [path.resolve(repoRoot, action, script)], {
    cwd: workspace,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const cancelTimer =
    options.cancelAfterMs !== undefined
      ? setTimeout(() => child.kill('SIGINT'), options.cancelAfterMs)
      : undefined;
  const killTimer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  const exitCode: number | null = await new Promise((resolve) => child.on('close', (code) => resolve(code)));
  clearTimeout(killTimer);
  clearTimeout(cancelTimer);

  return {
    exitCode,
    outputs: parseFileCommands(readFileSync(files.output, 'utf8')),
    state: { ...options.state, ...parseFileCommands(readFileSync(files.state, 'utf8')) },
    exportedEnv: parseFileCommands(readFileSync(files.env, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
    annotations: parseAnnotations(stdout),
    stdout,
    stderr,
    runnerDir,
  };
}

const HARNESS_TOKEN = 'ghs_harness0000000000000000000000000000';

/**
 * The runner evaluates expressions in input defaults (`${{ github.token }}`); the harness knows the
 * `github` context it set up and fails on anything else rather than pass the expression through.
 */
function evaluateDefault(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
    if (expression === 'github.token') return env.GITHUB_TOKEN ?? HARNESS_TOKEN;
    const github = /^github\.(\w+)$/.exec(expression);
    const known = github && env[`GITHUB_${github[1].toUpperCase()}`];
    if (known !== undefined && known !== null) return known;
    throw new Error(`the harness cannot evaluate \${{ ${expression} }} in an input default`);
  });
}

/** The file commands a step wrote, read as the runner (and the local workflow runner) reads them. */
export function parseFileCommands(text: string, file = 'file command'): Record<string, string> {
  return parseKeyValueFile(text, file);
}

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');

/** Reads `::error file=a.bats,line=3::message` workflow commands from a step's stdout. */
export function parseAnnotations(stdout: string): Annotation[] {
  const annotations: Annotation[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^::(error|warning|notice|debug)(?: ([^:]*))?::(.*)$/.exec(line.trimEnd());
    if (!match) continue;
    const properties: Record<string, string> = {};
    for (const pair of (match[2] ?? '').split(',').filter(Boolean)) {
      const at = pair.indexOf('=');
      properties[pair.slice(0, at)] = unescapeProperty(pair.slice(at + 1));
    }
    annotations.push({ level: match[1] as Annotation['level'], message: unescapeData(match[3]), properties });
  }
  return annotations;
}
