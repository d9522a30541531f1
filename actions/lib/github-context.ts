import * as core from './runner-commands.js';
import os from 'node:os';
import type { ActionContext, AnnotationLocation, OutputValue } from './context.js';

/** The ActionContext of a step run by the GitHub runner. */
export function githubContext(signal: AbortSignal): ActionContext {
  const env = process.env;
  return {
    getInput: (name) => core.getInput(name),
    setOutput: (name, value: OutputValue) => core.setOutput(name, value),
    setSecret: (value) => {
      if (value) core.setSecret(value);
    },
    appendSummary: async (markdown) => {
      if (!env.GITHUB_STEP_SUMMARY) {
        core.info(markdown);
        return;
      }
      core.appendSummaryFile(env.GITHUB_STEP_SUMMARY, markdown);
    },
    debug: (message) => core.issueCommand('debug', {}, message),
    info: (message) => core.info(message),
    notice: (message, location) => core.issueCommand('notice', toProperties(location), message),
    warning: (message, location) => core.issueCommand('warning', toProperties(location), message),
    error: (message, location) => core.issueCommand('error', toProperties(location), message),
    group: (name, fn) => core.group(name, fn),
    saveState: (name, value) => core.saveState(name, value),
    getState: (name) => core.getState(name),
    env,
    signal,
    tempDir: env.RUNNER_TEMP || os.tmpdir(),
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    isDebug: core.isDebug(),
  };
}

function toProperties(location: AnnotationLocation | undefined): core.CommandProperties {
  if (!location) return {};
  return {
    title: location.title,
    file: location.file,
    line: location.startLine,
    endLine: location.endLine,
    col: location.startColumn,
    endColumn: location.endColumn,
  };
}
