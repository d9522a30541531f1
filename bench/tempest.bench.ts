/**
 * The tempest action's `report` mode (its ncc bundle on Node 24, a fresh process as the runner
 * starts it) against the reference consumer, `subunit2junitxml`, in one run: both turn a generated
 * Tempest-shaped Subunit v2 stream into JUnit XML (the action also writes the timings and the job
 * summary). Streams: 20,000 tests in 64 MB, and the same doubled (40,000 tests, 128 MB), to show
 * that peak memory stays flat when the stream grows.
 *
 * Each side is timed as a whole process with /usr/bin/time (CPU = user + system, wall, peak RSS),
 * `--runs` times (default 5), alternating the two; best and median are printed.
 *
 *   npx tsx bench/tempest.bench.ts [--runs 5] [--tests 20000]
 *   npx tsx bench/tempest.bench.ts --generate <file> [--tests 20000]   (only write the stream, e.g. to profile)
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodePacket, filePackets } from '../actions/lib/subunit/encoder.js';
import type { SubunitPacket } from '../actions/lib/subunit/packet.js';
import { inputEnvName, nodeBinary, readActionYaml, repoRoot } from '../test/harness/run-action.js';
import { emitBenchRow, median } from './bench-row.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const RUNS = option('runs', 5);
const TESTS = option('tests', 20_000);
/** Bytes of pythonlogging per test that make 20,000 tests 64 MiB. */
const LOG_BYTES = 2_300;

const SERVICES = ['compute', 'network', 'volume', 'identity', 'image', 'object_storage'];
const LOG_LINE =
  '2026-11-25 03:14:15.926 1234 INFO tempest.lib.common.rest_client [req-6f1c] Request (ServersTestJSON:test_list): 200 GET https://nova.dev.taco.example/v2.1/servers 0.123s\n';

/**
 * Writes a stream of `tests` tests as Tempest (stestr) writes one: enumeration, inprogress, a
 * pythonlogging and a stdout attachment, then the status; 1 in 20 fails with a traceback, 1 in 50
 * is skipped with a reason. Four workers (tags and route codes).
 */
function generate(file: string, tests: number, logBytes: number): number {
  const fd = openSync(file, 'w');
  const log = Buffer.from(LOG_LINE.repeat(Math.ceil(logBytes / LOG_LINE.length)).slice(0, logBytes));
  const stdout = Buffer.from('stdout of the test\n'.repeat(8));
  const tb = Buffer.from(
    `Traceback (most recent call last):\n${'  File "/usr/lib/python3/dist-packages/tempest/lib/common/rest_client.py", line 932, in wait_for_resource_deletion\n    raise exceptions.TimeoutException(message)\n'.repeat(8)}tempest.lib.exceptions.TimeoutException: Request timed out\n`,
  );
  const text = 'text/plain; charset="utf8"';
  let batch: Buffer[] = [];
  const flush = () => {
    writeSync(fd, Buffer.concat(batch));
    batch = [];
  };
  for (let i = 0; i < tests; i++) {
    const service = SERVICES[i % SERVICES.length];
    const id = `tempest.api.${service}.test_generated_${Math.floor(i / 50)}.GeneratedTest${Math.floor(i / 10)}.test_case_${i}[id-${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000,smoke]`;
    const at = { seconds: 1_795_000_000 + i, nanos: 0 };
    const end = { seconds: 1_795_000_000 + i, nanos: (i * 7919) % 999_999_999 };
    const base = { testId: id, runnable: true, tags: [`worker-${i % 4}`], routeCode: String(i % 4) };
    const failing = i % 20 === 7;
    const skipped = !failing && i % 50 === 3;
    const packets: SubunitPacket[] = [
      { ...base, status: 'exists', eof: false },
      { ...base, status: 'inprogress', eof: false, timestamp: at },
      ...filePackets({ ...base, timestamp: end, mimeType: text }, "pythonlogging:''", log),
      ...filePackets({ ...base, timestamp: end, mimeType: text }, 'stdout', stdout),
      ...(failing
        ? filePackets(
            { ...base, timestamp: end, mimeType: 'text/x-traceback; charset="utf8"; language="python"' },
            'traceback',
            tb,
          )
        : []),
      ...(skipped
        ? filePackets({ ...base, timestamp: end, mimeType: text }, 'reason', Buffer.from('Feature disabled'))
        : []),
      { ...base, status: failing ? 'fail' : skipped ? 'skip' : 'success', eof: false, timestamp: end },
    ];
    for (const p of packets) batch.push(encodePacket(p));
    if (batch.length > 2000) flush();
  }
  flush();
  closeSync(fd);
  return statSync(file).size;
}

interface Measure {
  wallMs: number;
  cpuMs: number;
  maxRssKb: number;
}

/** Runs `argv` under /usr/bin/time; stdin from `stdin` when given. */
function timed(argv: string[], env: NodeJS.ProcessEnv, cwd: string, stdin?: string): Measure {
  const stats = path.join(cwd, 'time.txt');
  const input = stdin ? openSync(stdin, 'r') : 'ignore';
  const output = openSync(path.join(cwd, 'stdout.txt'), 'w');
  try {
    const r = spawnSync('/usr/bin/time', ['-o', stats, '-f', '%e %U %S %M', ...argv], {
      env,
      cwd,
      stdio: [input, output, 'pipe'],
      encoding: 'utf8',
    });
    const line = readFileSync(stats, 'utf8').trim().split('\n').pop()!;
    const [wall, user, sys, rss] = line.split(' ').map(Number);
    if (!Number.isFinite(rss)) throw new Error(`${argv.join(' ')} failed: ${line}\n${r.stderr}`);
    return { wallMs: wall * 1000, cpuMs: (user + sys) * 1000, maxRssKb: rss };
  } finally {
    if (typeof input === 'number') closeSync(input);
    closeSync(output);
  }
}

/** The bundled action in report mode, with the runner's files and inputs (as test/harness/run-action.ts sets them). */
function runAction(stream: string, dir: string): Measure & { tests: number } {
  const runner = path.join(dir, 'runner');
  rmSync(runner, { recursive: true, force: true });
  for (const sub of ['temp', 'workspace']) mkdirSync(path.join(runner, sub), { recursive: true });
  const files = { output: 'output', summary: 'summary', env: 'env', state: 'state' };
  for (const [key, name] of Object.entries(files)) {
    files[key as keyof typeof files] = path.join(runner, name);
    writeFileSync(files[key as keyof typeof files], '');
  }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ENV: files.env,
    GITHUB_STATE: files.state,
    GITHUB_WORKSPACE: path.join(runner, 'workspace'),
    RUNNER_TEMP: path.join(runner, 'temp'),
    RUNNER_OS: 'Linux',
  };
  for (const [name, spec] of Object.entries(readActionYaml('tempest').inputs ?? {}))
    if (spec.default !== undefined) env[inputEnvName(name)] = String(spec.default);
  env[inputEnvName('mode')] = 'report';
  env[inputEnvName('subunit')] = stream;
  const bundle = path.join(repoRoot, 'dist', 'tempest', 'index.js');
  const measure = timed([nodeBinary('24'), bundle], env, runner);
  // The stream has failures: the step fails (exit 1) by design; the outputs say it finished.
  const outputs = readFileSync(files.output, 'utf8');
  const count = (name: string) => Number(new RegExp(`^${name}<<.*\\n(\\d+)`, 'm').exec(outputs)?.[1]);
  const tests = count('passed') + count('failed') + count('skipped');
  if (!Number.isFinite(tests))
    throw new Error(
      `the action did not finish:\n${readFileSync(path.join(runner, 'stdout.txt'), 'utf8').slice(-2000)}`,
    );
  return { ...measure, tests };
}

function runReference(stream: string, dir: string): Measure & { tests: number } {
  const measure = timed(['subunit2junitxml'], process.env, dir, stream);
  const xml = readFileSync(path.join(dir, 'stdout.txt'), 'utf8');
  return { ...measure, tests: xml.match(/<testcase /g)?.length ?? 0 };
}

const best = (values: number[]) => Math.min(...values);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface Side {
  cpu: number[];
  wall: number[];
  rss: number[];
}

function compare(stream: string, dir: string): { ours: Side; ref: Side } {
  const ours: Side = { cpu: [], wall: [], rss: [] };
  const ref: Side = { cpu: [], wall: [], rss: [] };
  for (let i = 0; i < RUNS; i++) {
    const a = runAction(stream, dir);
    const b = runReference(stream, dir);
    if (a.tests !== b.tests) throw new Error(`the action saw ${a.tests} tests, subunit2junitxml ${b.tests}`);
    for (const [side, m] of [
      [ours, a],
      [ref, b],
    ] as const) {
      side.cpu.push(m.cpuMs);
      side.wall.push(m.wallMs);
      side.rss.push(m.maxRssKb * 1024);
    }
  }
  return { ours, ref };
}

function main(): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tempest-bench-'));
  try {
    const streams = [
      { file: path.join(dir, 'single.subunit'), tests: TESTS },
      { file: path.join(dir, 'double.subunit'), tests: 2 * TESTS },
    ].map((s) => ({ ...s, bytes: generate(s.file, s.tests, LOG_BYTES) }));
    console.log(
      `tempest report mode (dist/tempest on Node 24) vs subunit2junitxml, ${RUNS} runs each, alternating`,
    );
    const results = streams.map((stream) => {
      console.log(`\nload average before: ${load()} on ${os.cpus().length} CPUs`);
      console.log(`stream: ${stream.tests} tests (1 in 20 failing with a traceback), ${mb(stream.bytes)}`);
      const r = compare(stream.file, dir);
      console.log('                       CPU best  CPU median  wall best  wall median  peak RSS (max)');
      for (const [name, side] of [
        ['subunit2junitxml', r.ref],
        ['tempest action', r.ours],
      ] as const)
        console.log(
          `${name.padEnd(22)} ${s(best(side.cpu)).padStart(8)}  ${s(median(side.cpu)).padStart(10)}  ${s(best(side.wall)).padStart(9)}  ${s(median(side.wall)).padStart(11)}  ${mb(Math.max(...side.rss)).padStart(14)}`,
        );
      console.log(
        `ratio (subunit2junitxml / action): CPU ${(best(r.ref.cpu) / best(r.ours.cpu)).toFixed(1)}× best, ${(median(r.ref.cpu) / median(r.ours.cpu)).toFixed(1)}× median; wall ${(best(r.ref.wall) / best(r.ours.wall)).toFixed(1)}× best, ${(median(r.ref.wall) / median(r.ours.wall)).toFixed(1)}× median`,
      );
      console.log(`load average after: ${load()}`);
      return r;
    });
    const [single, double] = results.map((r) => Math.max(...r.ours.rss));
    console.log(
      `\naction peak RSS: ${mb(single)} at ${mb(streams[0].bytes)}, ${mb(double)} at ${mb(streams[1].bytes)}: ${(double / single).toFixed(2)}× for the doubled stream (goal ≤ 1.2×, and ≤ 100 MB at 64 MB)`,
    );
    const row = emitBenchRow;
    const seconds = (ms: number[]) => Number((median(ms) / 1000).toFixed(3));
    row({
      id: 'tempest-64mb',
      ours: seconds(results[0].ours.cpu),
      peer: seconds(results[0].ref.cpu),
      unit: 's CPU (median)',
      peerName: 'subunit2junitxml',
      better: 'lower',
    });
    row({ id: 'tempest-rss-64mb', ours: Number((single / 1024 / 1024).toFixed(1)), unit: 'MB' });
    row({ id: 'tempest-rss-2x', ours: Number((double / single).toFixed(2)), unit: '×' });
    const [refSingle, refDouble] = results.map((r) => Math.max(...r.ref.rss));
    console.log(
      `subunit2junitxml peak RSS: ${mb(refSingle)}, ${mb(refDouble)} (${(refDouble / refSingle).toFixed(2)}×)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args[0] === '--generate') console.log(`${args[1]}: ${mb(generate(args[1], TESTS, LOG_BYTES))}`);
else main();
