/**
 * mirror-sync against the approach of common mirroring actions (`git clone --mirror` of the
 * upstream, then `git push --mirror`, from scratch every run), on a synthetic upstream of
 * ≥20,000 commits and ≥500 refs served over HTTP with token auth by `git http-backend`.
 *
 *   npx tsx bench/mirror-sync.bench.ts [--commits 20000] [--branches 100] [--tags 420] [--runs 3]
 *
 * Prints the time of each approach and the ratio naive/mirror-sync for a first sync, a no-change
 * sync and a sync after 10 new upstream commits. The last two run `--runs` times each (10 new
 * commits every time) and the ratio compares each approach's best run, wall and CPU time apart:
 * on a shared machine the best of several runs is the one least disturbed by other work.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { httpTokenEnv } from '../actions/lib/git/auth.js';
import { runChecked } from '../actions/lib/process.js';
import { syncMirror, hasFailures } from '../actions/mirror-sync/sync.js';
import { startGitHttpServer } from '../test/support/git-http-server.js';

const { values } = parseArgs({
  options: {
    commits: { type: 'string', default: '20000' },
    branches: { type: 'string', default: '100' },
    tags: { type: 'string', default: '420' },
    runs: { type: 'string', default: '3' },
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
  for (const repo of ['upstream.git', 'mirror-sync.git', 'naive.git'])
    execFileSync('git', ['init', '--quiet', '--bare', path.join(root, repo)]);
  const started = Date.now();
  fastImport(upstream, history(COMMITS, BRANCHES, TAGS));
  execFileSync('git', ['repack', '-adq'], { cwd: upstream });
  const refCount = execFileSync('git', ['for-each-ref'], { cwd: upstream, encoding: 'utf8' })
    .trim()
    .split('\n').length;
  const commitCount = execFileSync('git', ['rev-list', '--count', '--all'], {
    cwd: upstream,
    encoding: 'utf8',
  }).trim();
  console.log(
    `upstream: ${commitCount} commits, ${refCount} refs (fast-import + repack in ${Date.now() - started} ms), served at ${server.url}`,
  );

  const upstreamUrl = `${server.url}/upstream.git`;
  const env = { ...process.env };
  const cacheDir = path.join(root, 'cache');
  const tempDir = path.join(root, 'tmp');
  mkdirSync(tempDir);
  const quiet = () => undefined;

  const ours = async () => {
    const report = await syncMirror(
      {
        name: 'bench',
        upstream: upstreamUrl,
        mirror: `${server.url}/mirror-sync.git`,
        refs: ['refs/heads/**', 'refs/tags/**'],
        excludeRefs: [],
        gateTimeoutMs: 60_000,
        allowForce: [],
        prune: false,
        failFast: false,
        upstreamToken: TOKEN,
        mirrorToken: TOKEN,
        cacheDir,
        dryRun: false,
        source: 'bench',
        secretEnv: [],
        gateEnv: [],
        gateSandbox: {},
      },
      { env, tempDir, info: quiet, warning: console.warn, debug: quiet },
    );
    if (hasFailures(report)) throw new Error(`mirror-sync failed: ${report.failures.join('; ')}`);
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
    const oursCost = await timed(ours);
    check();
    rows.push({ label, ours: oursCost, naive: naiveCost });
    const ms = (n: number) => `${n.toFixed(0).padStart(7)} ms`;
    console.log(
      `${label.padEnd(24)} wall: mirror-sync ${ms(oursCost.wallMs)}, clone+push --mirror ${ms(naiveCost.wallMs)} (${(naiveCost.wallMs / oursCost.wallMs).toFixed(1)}×)` +
        `   cpu: ${ms(oursCost.cpuMs)} vs ${ms(naiveCost.cpuMs)} (${(naiveCost.cpuMs / Math.max(oursCost.cpuMs, 10)).toFixed(1)}×)`,
    );
  };

  await scenario('first sync');
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
  for (const [label, prefix, target] of [
    ['first sync', 'first sync', ''],
    ['no-change sync', 'no-change', '  (target ≥ 20×)'],
    ['10-new-commits sync', '10 new commits', '  (target ≥ 10×)'],
  ]) {
    console.log(
      `${label.padEnd(20)} wall ${ratio(prefix, 'wallMs')}×   cpu ${ratio(prefix, 'cpuMs')}×${target}`,
    );
  }
} finally {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
