/**
 * A ledger written by the real actions: a docker-registry on 127.0.0.1 holds candidates nightly-1..3
 * (images from skopeo, charts packaged and pushed as helm-rally does); the promote-version bundle on
 * Node 24 writes the candidate releases, records five nightly runs (with Tempest streams from the
 * real subunit producer and cookiemonster reports) and promotes nightly-1 → 1.0.0 and nightly-3 →
 * 2.0.0 with require-nightly, as nightly.yml and promote.yml do.
 *
 * The nights: 1 nightly-1 passes; 2 nightly-1 fails (test_resize_server); 3 nightly-2 fails in
 * chaos (mariadb-server never recovers); 4 nightly-3 passes; 5 nightly-3 fails (test_resize_server
 * again — flaky — and test_reboot_server, new).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type HistoryEntry, readHistory } from '../../../actions/lib/history/index.js';
import { type ActionRun, runAction } from '../../harness/run-action.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import {
  copyCandidates,
  deployedRelease,
  MANIFEST,
  pushCandidateCharts,
} from '../../promote-version/support/release-world.js';
import { pushCandidates } from '../../promote-version/support/world.js';
import { chaosReport, tempestStream, writeTempestModule, type WorkloadPlan } from './nightly-reports.js';

export interface Night {
  candidate: string;
  passed: boolean;
  failing: string[];
  chaos: WorkloadPlan[];
  runId: string;
}

const healthy: WorkloadPlan[] = [
  { workload: 'Deployment openstack/keystone-api', recoveries: [2100, 3900] },
  { workload: 'StatefulSet openstack/mariadb-server', recoveries: [8000] },
];

export const NIGHTS: Night[] = [
  { candidate: 'nightly-1', passed: true, failing: [], chaos: healthy, runId: '101' },
  { candidate: 'nightly-1', passed: false, failing: ['test_resize_server'], chaos: healthy, runId: '102' },
  {
    candidate: 'nightly-2',
    passed: false,
    failing: [],
    chaos: [healthy[0], { workload: 'StatefulSet openstack/mariadb-server', recoveries: [undefined] }],
    runId: '103',
  },
  { candidate: 'nightly-3', passed: true, failing: [], chaos: healthy, runId: '104' },
  {
    candidate: 'nightly-3',
    passed: false,
    failing: ['test_resize_server', 'test_reboot_server'],
    chaos: healthy,
    runId: '105',
  },
];

export interface LedgerWorld {
  registry: TestRegistry;
  dir: string;
  ledger: string;
  profile: string;
  entries: HistoryEntry[];
  stop(): Promise<void>;
}

const runEnv = (runId: string) => ({
  GITHUB_SERVER_URL: 'https://github.example',
  GITHUB_REPOSITORY: 'taco/ci',
  GITHUB_RUN_ID: runId,
});

function ok(run: ActionRun, what: string): ActionRun {
  if (run.exitCode !== 0) throw new Error(`${what} failed (${run.exitCode}):\n${run.stdout}\n${run.stderr}`);
  return run;
}

export async function buildLedgerWorld(): Promise<LedgerWorld> {
  const registry = await startRegistry();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'history-world-'));
  try {
    return await writeLedger(registry, dir);
  } catch (err) {
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function writeLedger(registry: TestRegistry, dir: string): Promise<LedgerWorld> {
  const ledger = path.join(dir, 'ledger.jsonl');
  const profile = path.join(dir, 'profile.yaml');
  writeFileSync(
    profile,
    `name: fixture-dev\nregistry:\n  url: ${registry.host}/site\npromote:\n  history: ${ledger}\n  manifest: ${MANIFEST}\n  images: [candidates/a, candidates/b]\n  charts: [keystone, glance]\n`,
  );
  const tags = ['nightly-1', 'nightly-2', 'nightly-3'];
  await pushCandidates(registry.host, 'taco', tags, { images: ['a', 'b'] });
  await copyCandidates(registry.host, 'site', ['a', 'b'], tags);
  for (const [i, tag] of tags.entries()) await pushCandidateCharts(registry.host, 'site', tag, i + 1);

  const promote = async (inputs: Record<string, string>, what: string, env: Record<string, string> = {}) =>
    ok(
      await runAction('promote-version', { node: '24', inputs: { profile, ...inputs }, env, cwd: dir }),
      what,
    );
  for (const tag of tags)
    await promote({ mode: 'candidate-release', candidate: tag }, `candidate release ${tag}`);

  const module = writeTempestModule(path.join(dir, 'python'));
  const start = Date.UTC(2026, 10, 20, 19);
  const night = async (i: number) => {
    const n = NIGHTS[i];
    const reports = path.join(dir, `night-${i + 1}`);
    mkdirSync(reports, { recursive: true });
    const tempest = tempestStream(module, path.join(reports, 'tempest.subunit'), n.failing);
    const chaos = chaosReport(path.join(reports, 'report.json'), start + i * 86_400_000, n.chaos);
    await promote(
      {
        mode: 'record-nightly',
        candidate: n.candidate,
        deployed: await deployedRelease(registry.host, 'site', n.candidate),
        'deploy-result': 'success',
        'tempest-result': n.failing.length ? 'failure' : 'success',
        'chaos-result': n.chaos.some((w) => w.recoveries.includes(undefined)) ? 'failure' : 'success',
        'tempest-results': tempest,
        'chaos-report': chaos,
      },
      `record night ${i + 1}`,
      runEnv(n.runId),
    );
  };
  const release = (tag: string, runId: string) =>
    promote(
      {
        release: `${registry.host}/site/taco-release:${tag}`,
        'target-prefix': 'release',
        'require-nightly': 'true',
        'github-token': 'ghs_not-used-here',
      },
      `promote ${tag}`,
      runEnv(runId),
    );

  await night(0);
  await night(1);
  await release('nightly-1', '201');
  await night(2);
  await night(3);
  await release('nightly-3', '202');
  await night(4);

  return {
    registry,
    dir,
    ledger,
    profile,
    entries: await readHistory({ kind: 'file', path: ledger }),
    stop: async () => {
      await registry.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
