import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';

// Node builtins that cost milliseconds to load (node:crypto ~10 ms, node:child_process with net and
// dgram ~5 ms) and that many action runs never use: loaded at their first use, not at start.
// (`process.getBuiltinModule` would do, but only from Node 20.16.)
const load = createRequire(import.meta.url);

export const childProcess = (): typeof ChildProcess => load('node:child_process') as typeof ChildProcess;
export const nodeCrypto = (): typeof Crypto => load('node:crypto') as typeof Crypto;
