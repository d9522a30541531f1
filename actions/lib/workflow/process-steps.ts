/**
 * Steps that run a process: `run:` in bash, and `uses: ./<action>` through the action's bundle
 * (runs.main, then runs.post when the job ends) with INPUT_* as the runner sets them.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runProcess } from '../process.js';
import { createFileCommands, fileCommandEnv, readFileCommands } from './file-commands.js';
import { failed, lineLogger, type Runtime, type StepPlace, type StepResult } from './runtime.js';

/** `bash --noprofile --norc -eo pipefail {0}`, the runner's default shell on Linux. */
export async function runShellStep(
  rt: Runtime,
  place: StepPlace,
  script: string,
  cwd: string,
): Promise<StepResult> {
  const file = path.join(place.temp, `${randomUUID()}.sh`);
  writeFileSync(file, script);
  return runWithFileCommands(
    rt,
    place,
    'bash',
    ['--noprofile', '--norc', '-eo', 'pipefail', file],
    cwd,
    {},
    'main',
  );
}

interface ActionMeta {
  inputs?: Record<string, { default?: unknown; required?: boolean }>;
  runs?: { using?: string; main?: string; post?: string; 'post-if'?: string };
}

/** The environment name of an input: INPUT_ + upper case, spaces to `_` (dashes kept). */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export async function runActionStep(
  rt: Runtime,
  place: StepPlace,
  actionDir: string,
  inputs: Record<string, string>,
  evaluateDefault: (value: string) => string,
): Promise<StepResult> {
  const file = ['action.yml', 'action.yaml'].map((f) => path.join(actionDir, f)).find((f) => existsSync(f));
  if (!file) return failed(`${actionDir} has no action.yml (was it checked out?)`);
  const meta = parseYaml(readFileSync(file, 'utf8')) as ActionMeta;
  const runs = meta.runs ?? {};
  if (!/^node(20|24)$/.test(runs.using ?? '') || !runs.main) {
    return failed(
      `${file}: runs.using ${runs.using ?? '(none)'} is not modelled by the local runner (node20/node24 only)`,
    );
  }
  const declared = meta.inputs ?? {};
  const undeclared = Object.keys(inputs).filter((name) => !(name in declared));
  if (undeclared.length) {
    return failed(
      `${file} declares no input ${undeclared.join(', ')} (it has: ${Object.keys(declared).join(', ')})`,
    );
  }
  const env: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) {
    if (spec.default !== undefined) env[inputEnvName(name)] = evaluateDefault(String(spec.default));
  }
  for (const [name, value] of Object.entries(inputs)) env[inputEnvName(name)] = value;

  const node = (script: string, state: Record<string, string>, phase: 'main' | 'post') => {
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
    return runWithFileCommands(
      rt,
      place,
      rt.node,
      [path.resolve(actionDir, script)],
      place.workspace,
      { ...env, ...stateEnv },
      phase,
    );
  };
  const main = await node(runs.main, {}, 'main');
  const post = runs.post;
  if (post) main.post = () => node(post, main.state, 'post');
  return main;
}

async function runWithFileCommands(
  rt: Runtime,
  place: StepPlace,
  file: string,
  args: string[],
  cwd: string,
  extraEnv: Record<string, string>,
  phase: 'main' | 'post',
): Promise<StepResult & { state: Record<string, string> }> {
  const files = createFileCommands(path.join(place.filesDir, `${phase}-${randomUUID().slice(0, 8)}`));
  const out = lineLogger(rt.log, `[${place.label}] `);
  const result = await runProcess(file, args, {
    cwd,
    env: { ...place.env, ...extraEnv, ...fileCommandEnv(files) },
    secrets: rt.masks,
    timeoutMs: place.timeoutMs,
    signal: rt.signal,
    onStdout: (text) => out.write(collectMasks(rt, text)),
    onStderr: (text) => out.write(text),
  });
  out.flush();
  const commands = readFileCommands(files, place.summaryFile);
  const error = result.timedOut
    ? 'timed out (the job timeout-minutes)'
    : result.cancelled
      ? 'cancelled'
      : result.exitCode !== 0
        ? `exited with code ${result.exitCode ?? result.signal}`
        : undefined;
  return {
    outcome: error ? 'failure' : 'success',
    outputs: commands.outputs,
    env: commands.env,
    paths: commands.paths,
    state: commands.state,
    error,
  };
}

/** `::add-mask::value` registers a value the log never shows again (this line included). */
function collectMasks(rt: Runtime, text: string): string {
  for (const m of text.matchAll(/^::add-mask::(.*)$/gm)) {
    if (m[1] && !rt.masks.includes(m[1])) rt.masks.push(m[1]);
  }
  return text.replace(/^::add-mask::.*$/gm, '::add-mask::***');
}
