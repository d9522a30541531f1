/**
 * The Subunit v2 parser against the reference consumer, subunit2junitxml, on a generated stream of
 * 20,000 tempest-like tests with attachments (≥ 50 MB), in one run: both turn the stream into JUnit
 * XML. Then the parser's peak memory on streams of the same tests with ever larger attachments, to
 * show that memory follows the number of tests, not the bytes.
 *
 *   npx tsx bench/tempest.bench.ts [tests]
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toJUnitXml } from '../actions/lib/reports/junit.js';
import { encodePacket, filePackets } from '../actions/lib/subunit/encoder.js';
import type { SubunitPacket } from '../actions/lib/subunit/packet.js';
import { readSubunitFile } from '../actions/lib/subunit/read.js';
import { subunitToJUnit } from '../actions/lib/subunit/junit.js';

const SERVICES = ['compute', 'network', 'volume', 'identity', 'image', 'object_storage'];
const LOG_LINE =
  '2026-11-25 03:14:15.926 1234 INFO tempest.lib.common.rest_client [req-6f1c] Request (ServersTestJSON:test_list): 200 GET https://nova.dev.taco.example/v2.1/servers 0.123s\n';

/** Writes a stream of `tests` tests; every test logs `logBytes` of pythonlogging and some stdout; 1 in 20 fails with a traceback. */
function generate(file: string, tests: number, logBytes: number): number {
  const fd = openSync(file, 'w');
  const log = Buffer.from(LOG_LINE.repeat(Math.ceil(logBytes / LOG_LINE.length)).slice(0, logBytes));
  const stdout = Buffer.from('stdout of the test\n'.repeat(8));
  const tb = Buffer.from(
    `Traceback (most recent call last):\n${'  File "/usr/lib/python3/dist-packages/tempest/lib/common/rest_client.py", line 932, in wait_for_resource_deletion\n    raise exceptions.TimeoutException(message)\n'.repeat(8)}tempest.lib.exceptions.TimeoutException: Request timed out\n`,
  );
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
    const packets: SubunitPacket[] = [
      { ...base, status: 'exists', eof: false },
      { ...base, status: 'inprogress', eof: false, timestamp: at },
      ...filePackets(
        { ...base, timestamp: end, mimeType: 'text/plain; charset="utf8"' },
        "pythonlogging:''",
        log,
      ),
      ...filePackets({ ...base, timestamp: end, mimeType: 'text/plain; charset="utf8"' }, 'stdout', stdout),
      ...(i % 20 === 7
        ? filePackets(
            { ...base, timestamp: end, mimeType: 'text/x-traceback; charset="utf8"; language="python"' },
            'traceback',
            tb,
          )
        : []),
      {
        ...base,
        status: i % 20 === 7 ? 'fail' : i % 50 === 3 ? 'skip' : 'success',
        eof: false,
        timestamp: end,
      },
    ];
    for (const p of packets) batch.push(encodePacket(p));
    if (batch.length > 2000) flush();
  }
  flush();
  closeSync(fd);
  return statSync(file).size;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** In a fresh process: parse the stream, then write JUnit (each `repeat` times, the best counts), report CPU time and peak memory. */
async function child(file: string, out: string, repeat: number): Promise<void> {
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 5);
  let parseMs = Infinity;
  let run: Awaited<ReturnType<typeof readSubunitFile>> | undefined;
  for (let i = 0; i < repeat; i++) {
    run = undefined;
    const started = cpuMs();
    run = await readSubunitFile(file);
    parseMs = Math.min(parseMs, cpuMs() - started);
  }
  // Memory of the parser itself, before the JUnit document (a DOM of every case) is built.
  clearInterval(sampler);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const maxRssKb = process.resourceUsage().maxRSS;
  // The JUnit step (cases, XML text, file) is timed like the parse: best of `repeat`, so that neither
  // side's figure includes the JIT warming up on the first call.
  let junitMs = Infinity;
  for (let i = 0; i < repeat; i++) {
    const started = cpuMs();
    writeFileSync(out, toJUnitXml(subunitToJUnit(run!, { suiteName: 'tempest' }), 'tempest'));
    junitMs = Math.min(junitMs, cpuMs() - started);
  }
  process.stdout.write(
    JSON.stringify({
      parseMs,
      junitMs,
      tests: run!.tests.length,
      maxRssKb,
      peakHeap,
      error: run!.stream.error,
    }),
  );
}

interface ChildResult {
  wallMs: number;
  parseMs: number;
  junitMs: number;
  tests: number;
  maxRssKb: number;
  peakHeap: number;
}

function runChild(file: string, out: string, repeat: number): Promise<ChildResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [...process.execArgv, import.meta.filename, '--child', file, out, String(repeat)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let text = '';
    proc.stdout.on('data', (d) => (text += d));
    proc.on('close', (code) =>
      code === 0
        ? resolve({ ...JSON.parse(text), wallMs: performance.now() - started })
        : reject(new Error(`child exited ${code}`)),
    );
  });
}

/** subunit2junitxml on the stream: CPU (user+sys, from bash's `time`) and wall, best of `repeat`. */
function reference(file: string, out: string, repeat: number): { cpuMs: number; wallMs: number } {
  let best = { cpuMs: Infinity, wallMs: Infinity };
  for (let i = 0; i < repeat; i++) {
    const r = spawnSync(
      'bash',
      ['-c', 'TIMEFORMAT="%U %S %R"; { time subunit2junitxml < "$1" > "$2"; } 2>&1', 'bash', file, out],
      { encoding: 'utf8' },
    );
    const [user, sys, wall] = r.stdout.trim().split('\n').pop()!.split(' ').map(Number);
    if (!Number.isFinite(user)) throw new Error(`subunit2junitxml failed: ${r.stdout}${r.stderr}`);
    if ((user + sys) * 1000 < best.cpuMs) best = { cpuMs: (user + sys) * 1000, wallMs: wall * 1000 };
  }
  return best;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const tests = Number(process.argv[2] ?? 20_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tempest-bench-'));
  try {
    const big = path.join(dir, 'big.subunit');
    const size = generate(big, tests, 2_600);
    console.log(
      `stream: ${tests} tests with pythonlogging/stdout attachments (1 in 20 failing with a traceback), ${mb(size)}`,
    );
    console.log(
      `load average now: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(
          ' ',
        )} on ${os.cpus().length} CPUs (CPU time is compared: it is less disturbed by other work than wall time)\n`,
    );

    const ours = await runChild(big, path.join(dir, 'ours.xml'), 3);
    const ref = reference(big, path.join(dir, 'theirs.xml'), 3);
    console.log('                                   CPU time   wall    (best of 3 each)');
    console.log(`subunit2junitxml (parse + JUnit)   ${s(ref.cpuMs).padStart(8)}   ${s(ref.wallMs)}`);
    console.log(`this parser (parse only)           ${s(ours.parseMs).padStart(8)}`);
    console.log(
      `this parser + JUnit (reports/junit) ${s(ours.parseMs + ours.junitMs).padStart(7)}   ${s(ours.wallMs)} (fresh process: Node + tsx start-up, 3 parses, 3 JUnit)`,
    );
    console.log(
      `\nratio, parsing:        ${(ref.cpuMs / ours.parseMs).toFixed(1)}× faster than subunit2junitxml`,
    );
    console.log(
      `ratio, parse + JUnit:   ${(ref.cpuMs / (ours.parseMs + ours.junitMs)).toFixed(1)}× (of which the JUnit step (reports/junit.ts): ${s(ours.junitMs)})`,
    );

    console.log('\npeak memory of the parser (fresh process each), same tests, growing attachments:');
    console.log('stream size | peak RSS | peak JS heap | parse CPU');
    for (const logBytes of [600, 2_600, 5_600, 11_600]) {
      const file = path.join(dir, `mem-${logBytes}.subunit`);
      const bytes = generate(file, tests, logBytes);
      const r = await runChild(file, path.join(dir, `mem-${logBytes}.xml`), 1);
      console.log(
        `${mb(bytes).padStart(11)} | ${mb(r.maxRssKb * 1024).padStart(8)} | ${mb(r.peakHeap).padStart(12)} | ${s(r.parseMs)}`,
      );
      rmSync(file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], Number(process.argv[5]));
else await main();
