/**
 * mirror-sync's bundle on Node 24 (dist/mirror-sync/index.js, run as the runner runs it) against
 * the approach of common mirroring actions (`git clone --mirror` of the upstream, then
 * `git push --mirror`, from scratch every run), on a synthetic upstream of 60,000 commits and 500
 * refs served over HTTP with token auth by `git http-backend`.
 *
 *   node scripts/build.js mirror-sync   # the bundle this measures
 *   npx tsx bench/mirror-sync.bench.ts [--commits 60000] [--branches 79] [--tags 420] [--runs 3]
 *     [--trace] [--cpu-prof dir] [--bundle path/to/index.js]
 *
 * Prints both sides and the ratio naive/mirror-sync for a first sync (empty cache, empty mirror),
 * a no-change sync and a sync after 10 new upstream commits. Each runs `--runs` times (the first
 * sync from an empty cache and empty mirrors every time, 10 new commits every time) and the ratio
 * compares each approach's best run, wall and CPU time apart: on a shared machine the best of
 * several runs is the one least disturbed by other work.
 * `--trace` also counts, per sync, the processes mirror-sync started (`strace -f -e execve`, which
 * slows it down: the times of a traced run are not comparable) and the server's requests.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { httpTokenEnv } from '../actions/lib/git/auth.js';
import { runChecked } from '../actions/lib/process.js';
import { inputEnvName, nodeBinary, readActionYaml, repoRoot } from '../test/harness/run-action.js';
import { startGitHttpServer } from '../test/support/git-http-server.js';
import { emitBenchRow } from './bench-row.js';

const { values } = parseArgs({
  options: {
    commits: { type: 'string', default: '60000' },
    // master + 79 branches + 420 tags = 500 refs
    branches: { type: 'string', default: '79' },
    tags: { type: 'string', default: '420' },
    runs: { type: 'string', default: '3' },
    trace: { type: 'boolean', default: false },
    // A V8 CPU profile of every mirror-sync run into this directory (node --cpu-prof).
    'cpu-prof': { type: 'string' },
    // Another build of the bundle (e.g. the previous release's) to measure instead.
    bundle: { type: 'string' },
  },
});
const COMMITS = Number(values.commits);
const BRANCHES = Number(values.branches);
const TAGS = Number(values.tags);
const RUNS = Math.max(1, Number(values.runs));
const TOKEN = 'bench-token-0123456789';

/** A fast-import stream: a linear history of small text changes, branches and tags along it. */
function history(
  commits: number,
  branches: number,
  tags: number,
  startMark = 1,
  parent?: string,
  start = 1_700_000_000,
): string {
  const out: string[] = [];
  for (let i = 0; i < commits; i++) {
    const mark = startMark + i;
    const file = `src/module${mark % 97}.py`;
    const content = `# change ${mark}\nVALUE = ${mark}\n`;
    const message = `Change ${mark}\n`;
    out.push(
      `commit refs/heads/master\nmark :${mark}\ncommitter Bench <bench@upstream.example> ${start + mark} +0000\n`,
    );
    out.push(`data ${Buffer.byteLength(message)}\n${message}`);
    if (i === 0 && parent) out.push(`from ${parent}\n`);
    out.push(`M 644 inline ${file}\ndata ${Buffer.byteLength(content)}\n${content}\n`);
  }
  const at = (n: number, of: number) => startMark + Math.floor(((n + 1) * (commits - 1)) / (of + 1));
  for (let b = 0; b < branches; b++)
    out.push(`reset refs/heads/stable/series-${b}\nfrom :${at(b, branches)}\n\n`);
  for (let t = 0; t < tags; t++) {
    const name = `v${Math.floor(t / 10)}.${t % 10}.0`;
    if (t % 3 === 0) {
      const message = `release ${name}\n`;
      out.push(
        `tag ${name}\nfrom :${at(t, tags)}\ntagger Bench <bench@upstream.example> ${start + t} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`,
      );
    } else {
      out.push(`reset refs/tags/${name}\nfrom :${at(t, tags)}\n\n`);
    }
  }
  return out.join('');
}

/** The programs a traced run started, by name: `git ×12, git-remote-http ×3`. */
function processStarts(trace: string): string {
  const counts = new Map<string, number>();
  for (const line of readFileSync(trace, 'utf8').split('\n')) {
    const match = /execve\("([^"]+)", \[(.*?)\](?:\.\.\.)?, /.exec(line);
    if (!match || / = -1 /.test(line)) continue;
    const argv = [...match[2].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    let program = path.basename(match[1]);
    if (program === 'git') {
      let i = 1;
      while (argv[i] === '-c' || argv[i] === '-C') i += 2;
      program = `git ${argv[i] ?? ''}`.trim();
    }
    counts.set(program, (counts.get(program) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return `${total} processes: ${[...counts].map(([p, n]) => `${p} ×${n}`).join(', ')}`;
}

function fastImport(repo: string, stream: string): void {
  execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, input: stream, maxBuffer: 1 << 30 });
}

/**
 * Wall time, and CPU time of this process plus every child it reaped (git, git-remote-http and
 * the server's http-backend/upload-pack/receive-pack). On a busy machine wall time mostly measures
 * waiting for a core; CPU time is the work each approach made the machine do.
 */
interface Cost {
  wallMs: number;
  cpuMs: number;
}

function cpuMs(): number {
  // /proc/self/stat fields 14-17: utime, stime, cutime, cstime in clock ticks (USER_HZ = 100).
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * 10;
}

async function timed(fn: () => Promise<unknown>): Promise<Cost> {
  const cpu = cpuMs();
  const started = process.hrtime.bigint();
  await fn();
  return { wallMs: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: cpuMs() - cpu };
}

const root = mkdtempSync(path.join(os.tmpdir(), 'mirror-sync-bench-'));
const server = await startGitHttpServer({ root, token: TOKEN });
try {
  const upstream = path.join(root, 'upstream.git');
  for (const repo of ['mirror-sync.git', 'naive.git'])
    execFileSync('git', ['init', '--quiet', '--bare', path.join(root, repo)]);
  const started = Date.now();
  // Building the history takes a minute on a busy machine: it is kept in .tmp/ for the next run.
  const fixture = path.join(repoRoot, '.tmp', 'bench', `mirror-sync-${COMMITS}-${BRANCHES}-${TAGS}.git`);
  if (!existsSync(fixture)) {
    const building = `${fixture}.${process.pid}`;
    execFileSync('git', ['init', '--quiet', '--bare', building]);
    fastImport(building, history(COMMITS, BRANCHES, TAGS));
    execFileSync('git', ['repack', '-adq'], { cwd: building });
    renameSync(building, fixture);
  }
  cpSync(fixture, upstream, { recursive: true });
  const refCount = execFileSync('git', ['for-each-ref'], { cwd: upstream, encoding: 'utf8' })
    .trim()
    .split('\n').length;
  const commitCount = execFileSync('git', ['rev-list', '--count', '--all'], {
    cwd: upstream,
    encoding: 'utf8',
  }).trim();
  console.log(
    `upstream: ${commitCount} commits, ${refCount} refs (ready in ${Date.now() - started} ms), served at ${server.url}`,
  );

  const upstreamUrl = `${server.url}/upstream.git`;
  const env = { ...process.env };
  const cacheDir = path.join(root, 'cache');
  const tempDir = path.join(root, 'tmp');
  mkdirSync(tempDir);

  const bundle = path.resolve(values.bundle ?? path.join(repoRoot, 'dist', 'mirror-sync', 'index.js'));
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run node scripts/build.js mirror-sync`);
  // The step's environment as the runner makes it: every input (action.yml defaults, then ours).
  const runner = path.join(root, 'runner');
  mkdirSync(path.join(runner, 'workspace'), { recursive: true });
  for (const file of ['output', 'state', 'summary']) writeFileSync(path.join(runner, file), '');
  const stepEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? root,
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: tempDir,
    GITHUB_WORKSPACE: path.join(runner, 'workspace'),
    GITHUB_OUTPUT: path.join(runner, 'output'),
    GITHUB_STATE: path.join(runner, 'state'),
    GITHUB_STEP_SUMMARY: path.join(runner, 'summary'),
  };
  for (const [name, spec] of Object.entries(readActionYaml('mirror-sync').inputs ?? {}))
    if (spec.default !== undefined && !String(spec.default).includes('${{'))
      stepEnv[inputEnvName(name)] = String(spec.default);
  Object.assign(stepEnv, {
    [inputEnvName('name')]: 'bench',
    [inputEnvName('upstream')]: upstreamUrl,
    [inputEnvName('mirror')]: `${server.url}/mirror-sync.git`,
    [inputEnvName('refs')]: 'refs/heads/**, refs/tags/**',
    [inputEnvName('upstream-token')]: TOKEN,
    [inputEnvName('mirror-token')]: TOKEN,
    [inputEnvName('cache-dir')]: cacheDir,
  });
  let traces = 0;
  const ours = async () => {
    const node = nodeBinary('24');
    const trace = values.trace ? path.join(root, `trace-${++traces}`) : undefined;
    const [command, args] = trace
      ? [
          'strace',
          ['-f', '-qq', '-s', '40', '-e', 'trace=execve', '-e', 'signal=none', '-o', trace, node, bundle],
        ]
      : [
          node,
          values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`, bundle] : [bundle],
        ];
    const child = spawn(command, args, {
      cwd: stepEnv.GITHUB_WORKSPACE,
      env: stepEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`mirror-sync failed (exit ${code}):\n${output}`);
    if (trace) console.log(`  mirror-sync started ${processStarts(trace)}`);
  };
  // The same credentials through the same mechanism, so only the method differs.
  const auth = httpTokenEnv(TOKEN, { baseEnv: env });
  const naive = async () => {
    const work = mkdtempSync(path.join(root, 'naive-clone-'));
    try {
      const gitEnv = { ...env, ...auth.env };
      await runChecked('git', ['clone', '--quiet', '--mirror', upstreamUrl, work], {
        env: gitEnv,
        secrets: auth.secrets,
      });
      await runChecked('git', ['push', '--quiet', '--mirror', `${server.url}/naive.git`], {
        cwd: work,
        env: gitEnv,
        secrets: auth.secrets,
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  };
  const check = () => {
    const refs = (repo: string) =>
      execFileSync('git', ['for-each-ref', '--format=%(refname) %(objectname)'], {
        cwd: path.join(root, repo),
        encoding: 'utf8',
      });
    if (refs('mirror-sync.git') !== refs('upstream.git') || refs('naive.git') !== refs('upstream.git'))
      throw new Error('a mirror differs from the upstream');
  };

  const rows: { label: string; ours: Cost; naive: Cost }[] = [];
  const scenario = async (label: string, prepare?: () => void) => {
    prepare?.();
    const naiveCost = await timed(naive);
    const requests = server.requests.length;
    const oursCost = await timed(ours);
    if (values.trace)
      console.log(
        `  the server answered ${server.requests.length - requests} requests: ${server.requests
          .slice(requests)
          .map((r) => `${r.method} ${r.service ?? ''}${r.command ? ` ${r.command}` : ''}`)
          .join(', ')}`,
      );
    check();
    rows.push({ label, ours: oursCost, naive: naiveCost });
    const ms = (n: number) => `${n.toFixed(0).padStart(7)} ms`;
    console.log(
      `${label.padEnd(24)} wall: mirror-sync ${ms(oursCost.wallMs)}, clone+push --mirror ${ms(naiveCost.wallMs)} (${(naiveCost.wallMs / oursCost.wallMs).toFixed(1)}×)` +
        `   cpu: ${ms(oursCost.cpuMs)} vs ${ms(naiveCost.cpuMs)} (${(naiveCost.cpuMs / Math.max(oursCost.cpuMs, 10)).toFixed(1)}×)`,
    );
  };

  // A first sync again and again: empty cache (and its state), empty mirrors.
  const emptyEverything = () => {
    rmSync(cacheDir, { recursive: true, force: true });
    for (const repo of ['mirror-sync.git', 'naive.git']) {
      rmSync(path.join(root, repo), { recursive: true, force: true });
      execFileSync('git', ['init', '--quiet', '--bare', path.join(root, repo)]);
    }
  };
  for (let run = 1; run <= RUNS; run++)
    await scenario(`first sync #${run}`, run > 1 ? emptyEverything : undefined);
  for (let run = 1; run <= RUNS; run++) await scenario(`no-change sync #${run}`);
  let added = 0;
  for (let run = 1; run <= RUNS; run++) {
    await scenario(`10 new commits #${run}`, () => {
      const tip = execFileSync('git', ['rev-parse', 'refs/heads/master'], {
        cwd: upstream,
        encoding: 'utf8',
      }).trim();
      fastImport(upstream, history(10, 0, 0, COMMITS + 1 + added, tip));
      added += 10;
    });
  }

  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `\nratio = clone+push --mirror / mirror-sync, best of ${RUNS} run(s) each (higher is better for mirror-sync); load average ${load} on ${os.cpus().length} cores`,
  );
  const ratio = (prefix: string, key: 'wallMs' | 'cpuMs') => {
    const picked = rows.filter((r) => r.label.startsWith(prefix));
    const best = (side: 'ours' | 'naive') => Math.min(...picked.map((r) => r[side][key]));
    return (best('naive') / Math.max(best('ours'), 10)).toFixed(1);
  };
  const bestWall = (prefix: string, side: 'ours' | 'naive') =>
    Math.min(...rows.filter((r) => r.label.startsWith(prefix)).map((r) => r[side].wallMs)) / 1000;
  for (const [label, prefix, target, id] of [
    ['first sync', 'first sync', '  (goal ≥ 1.0×)', 'mirror-first'],
    ['no-change sync', 'no-change', '  (goal ≥ 35×)', 'mirror-no-change'],
    ['10-new-commits sync', '10 new commits', '  (goal ≥ 15×)', 'mirror-10-new'],
  ]) {
    console.log(
      `${label.padEnd(20)} wall ${ratio(prefix, 'wallMs')}×   cpu ${ratio(prefix, 'cpuMs')}×${target}`,
    );
    emitBenchRow({
      id,
      ours: Number(bestWall(prefix, 'ours').toFixed(3)),
      peer: Number(bestWall(prefix, 'naive').toFixed(3)),
      unit: 's',
      peerName: 'git clone --mirror + git push --mirror',
      better: 'lower',
      load: Number(load.split(' ')[0]),
    });
  }
} finally {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
