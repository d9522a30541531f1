import os from 'node:os';
import type { ActionContext, AnnotationLocation, OutputValue } from './context.js';
import { formatDuration } from './duration.js';
import { redact } from './redact.js';

export interface TerminalContextOptions {
  inputs: Record<string, string>;
  env?: Record<string, string | undefined>;
  signal: AbortSignal;
  write?: (text: string) => void;
  verbose?: boolean;
  workspace?: string;
  tempDir?: string;
}

export interface TerminalContext extends ActionContext {
  readonly outputs: Record<string, string>;
  readonly summary: string[];
}

/** The ActionContext of `taco-ci run`: inputs from the command line, everything else to the terminal. */
export function terminalContext(options: TerminalContextOptions): TerminalContext {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const secrets = new Set<string>();
  const state = new Map<string, string>();
  const outputs: Record<string, string> = {};
  const summary: string[] = [];
  let depth = 0;
  const print = (line: string) => write(`${'  '.repeat(depth)}${redact(line, secrets)}\n`);
  const annotate = (kind: string, message: string, location?: AnnotationLocation) => {
    const where = location?.file
      ? `${location.file}${location.startLine ? `:${location.startLine}` : ''}: `
      : '';
    print(`${kind}: ${where}${message}`);
  };
  const inputs = Object.fromEntries(Object.entries(options.inputs).map(([k, v]) => [k.toLowerCase(), v]));

  return {
    outputs,
    summary,
    getInput: (name) => inputs[name.toLowerCase()] ?? '',
    setOutput: (name, value: OutputValue) => {
      outputs[name] = typeof value === 'string' ? value : JSON.stringify(value);
    },
    setSecret: (value) => {
      if (value) secrets.add(value);
    },
    appendSummary: async (markdown) => {
      summary.push(redact(markdown, secrets));
    },
    debug: (message) => {
      if (options.verbose) print(`debug: ${message}`);
    },
    info: (message) => print(message),
    notice: (message, location) => annotate('notice', message, location),
    warning: (message, location) => annotate('warning', message, location),
    error: (message, location) => annotate('error', message, location),
    group: async (name, fn) => {
      const started = Date.now();
      print(`▶ ${name}`);
      depth++;
      try {
        return await fn();
      } finally {
        depth--;
        print(`◀ ${name} (${formatDuration(Date.now() - started)})`);
      }
    },
    saveState: (name, value) => state.set(name, value),
    getState: (name) => state.get(name) ?? '',
    env: options.env ?? { ...process.env },
    signal: options.signal,
    tempDir: options.tempDir ?? os.tmpdir(),
    workspace: options.workspace ?? process.cwd(),
    isDebug: options.verbose ?? false,
  };
}
