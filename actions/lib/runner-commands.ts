/**
 * The GitHub runner's workflow commands (`::warning file=…::message` on stdout) and file commands
 * (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY), written the way @actions/core v3 writes them.
 * Not @actions/core itself: it imports @actions/http-client and undici at load (for OIDC tokens,
 * which no action here asks for), and that alone took 0.13 s of CPU and 33 MB of RSS at every
 * action's start — more than all the rest of the start (docs/tempest.md, Performance).
 * Protocol: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
 */
import { appendFileSync, closeSync, existsSync, openSync, readSync } from 'node:fs';
import { EOL } from 'node:os';
import { nodeCrypto } from './lazy-builtins.js';

export type CommandValue = string | number | boolean | object | null | undefined;

/** Annotation properties as the runner names them (`line`, `col`, …), or a set-output's name. */
export interface CommandProperties {
  name?: string;
  title?: string;
  file?: string;
  line?: number;
  endLine?: number;
  col?: number;
  endColumn?: number;
}

export function toCommandValue(value: CommandValue): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const escapeData = (value: string): string =>
  value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

const escapeProperty = (value: string): string => escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** Writes `::command key=value,…::message` to stdout; properties without a value are left out. */
export function issueCommand(command: string, properties: CommandProperties, message: CommandValue): void {
  const pairs = Object.entries(properties)
    .filter(([, value]) => value)
    .map(([key, value]) => `${key}=${escapeProperty(toCommandValue(value as CommandValue))}`);
  const head = pairs.length ? `${command} ${pairs.join(',')}` : command;
  process.stdout.write(`::${head}::${escapeData(toCommandValue(message))}${EOL}`);
}

/**
 * A random (version 4) UUID from the system's random source: what crypto.randomUUID gives, without
 * loading node:crypto (~10 ms of a short action's start) where /dev/urandom can be read.
 */
function randomUuid(): string {
  const bytes = systemRandomBytes(16);
  if (!bytes) return nodeCrypto().randomUUID();
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function systemRandomBytes(size: number): Buffer | undefined {
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      const bytes = Buffer.alloc(size);
      return readSync(fd, bytes, 0, size, null) === size ? bytes : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Appends `name<<delimiter … delimiter` to a runner file (GITHUB_OUTPUT, GITHUB_STATE). */
function issueFileCommand(file: string, name: string, value: CommandValue): void {
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  const delimiter = `ghadelimiter_${randomUuid()}`;
  const text = toCommandValue(value);
  if (name.includes(delimiter) || text.includes(delimiter))
    throw new Error(`Unexpected input: name or value contains the delimiter "${delimiter}"`);
  appendFileSync(file, `${name}<<${delimiter}${EOL}${text}${EOL}${delimiter}${EOL}`, 'utf8');
}

/** The input's value as the runner passes it (INPUT_<NAME>), trimmed; '' when unset. */
export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

export function setOutput(name: string, value: CommandValue): void {
  const file = process.env.GITHUB_OUTPUT;
  if (file) issueFileCommand(file, name, value);
  else {
    process.stdout.write(EOL);
    issueCommand('set-output', { name }, value);
  }
}

export function saveState(name: string, value: CommandValue): void {
  const file = process.env.GITHUB_STATE;
  if (file) issueFileCommand(file, name, value);
  else issueCommand('save-state', { name }, value);
}

export const getState = (name: string): string => process.env[`STATE_${name}`] ?? '';

/** Masks `secret` in every later log line. */
export const setSecret = (secret: string): void => issueCommand('add-mask', {}, secret);

export const debug = (message: string): void => issueCommand('debug', {}, message);

export const isDebug = (): boolean => process.env.RUNNER_DEBUG === '1';

export const info = (message: string): void => void process.stdout.write(message + EOL);

/** Marks the step failed (exit code 1) with an error annotation. */
export function setFailed(message: string): void {
  process.exitCode = 1;
  issueCommand('error', {}, message);
}

export async function group<T>(name: string, fn: () => Promise<T>): Promise<T> {
  issueCommand('group', {}, name);
  try {
    return await fn();
  } finally {
    issueCommand('endgroup', {}, '');
  }
}

/** Appends Markdown and a line end to the job summary file (GITHUB_STEP_SUMMARY). */
export function appendSummaryFile(file: string, markdown: string): void {
  appendFileSync(file, markdown + EOL, 'utf8');
}
