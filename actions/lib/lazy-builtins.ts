import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import { createRequire } from 'node:module';

// Node builtins that cost milliseconds to load (node:crypto ~10 ms, node:child_process with net and
// dgram ~5 ms, node:http and node:https ~20 ms) and that many action runs never use: loaded at
// their first use, not at start.
// (`process.getBuiltinModule` would do, but only from Node 20.16.)
const load = createRequire(import.meta.url);

export const childProcess = (): typeof ChildProcess => load('node:child_process') as typeof ChildProcess;
export const nodeCrypto = (): typeof Crypto => load('node:crypto') as typeof Crypto;
export const nodeHttp = (): typeof Http => load('node:http') as typeof Http;
export const nodeHttps = (): typeof Https => load('node:https') as typeof Https;
