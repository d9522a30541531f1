/**
 * The runner's file commands: each step gets fresh GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH,
 * GITHUB_STATE and GITHUB_STEP_SUMMARY files, read back when it ends.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface FileCommandPaths {
  output: string;
  env: string;
  path: string;
  state: string;
  summary: string;
}

export interface FileCommandResults {
  outputs: Record<string, string>;
  env: Record<string, string>;
  paths: string[];
  state: Record<string, string>;
}

export function createFileCommands(dir: string): FileCommandPaths {
  mkdirSync(dir, { recursive: true });
  const files = {
    output: path.join(dir, 'output'),
    env: path.join(dir, 'env'),
    path: path.join(dir, 'path'),
    state: path.join(dir, 'state'),
    summary: path.join(dir, 'summary'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  return files;
}

export function fileCommandEnv(files: FileCommandPaths): Record<string, string> {
  return {
    GITHUB_OUTPUT: files.output,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
  };
}

/** Reads the files back; the step's summary is appended to the job's. */
export function readFileCommands(files: FileCommandPaths, jobSummary: string): FileCommandResults {
  appendFileSync(jobSummary, readFileSync(files.summary));
  return {
    outputs: parseKeyValueFile(readFileSync(files.output, 'utf8'), files.output),
    env: parseKeyValueFile(readFileSync(files.env, 'utf8'), files.env),
    paths: readFileSync(files.path, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
    state: parseKeyValueFile(readFileSync(files.state, 'utf8'), files.state),
  };
}

/** `name=value` lines and `name<<DELIMITER` … `DELIMITER` blocks, as the runner reads them. */
export function parseKeyValueFile(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const heredoc = /^([^=]+?)<<(.+)$/.exec(line);
    const eq = line.indexOf('=');
    if (heredoc && (eq < 0 || line.indexOf('<<') < eq)) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]);
      if (i >= lines.length) throw new Error(`${file}: no closing ${delimiter} for ${name}`);
      out[name] = value.join('\n');
    } else if (eq > 0) {
      out[line.slice(0, eq)] = line.slice(eq + 1);
    } else {
      throw new Error(
        `${file}: invalid line ${JSON.stringify(line)} (expected name=value or name<<DELIMITER)`,
      );
    }
  }
  return out;
}
