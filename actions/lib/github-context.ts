import * as core from '@actions/core';
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
      await core.summary.addRaw(markdown, true).write();
    },
    debug: (message) => core.debug(message),
    info: (message) => core.info(message),
    notice: (message, location) => core.notice(message, toProperties(location)),
    warning: (message, location) => core.warning(message, toProperties(location)),
    error: (message, location) => core.error(message, toProperties(location)),
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

function toProperties(location: AnnotationLocation | undefined): core.AnnotationProperties | undefined {
  if (!location) return undefined;
  return {
    title: location.title,
    file: location.file,
    startLine: location.startLine,
    endLine: location.endLine,
    startColumn: location.startColumn,
    endColumn: location.endColumn,
  };
}
