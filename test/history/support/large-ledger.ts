/**
 * A synthetic ledger of the size the dashboard must handle (for the benchmark and a paging test):
 * deterministic (a fixed PRNG), shaped like what record-nightly and promotions write.
 */
import { createHash } from 'node:crypto';
import type { HistoryEntry } from '../../../actions/lib/history/index.js';

const digest = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** xorshift32: the same ledger on every run. */
function prng(seed: number) {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

export function largeLedger(options: {
  nights: number;
  images: number;
  releaseEvery?: number;
}): HistoryEntry[] {
  const random = prng(21);
  const releaseEvery = options.releaseEvery ?? 20;
  const start = Date.UTC(2024, 0, 1, 18);
  const tests = Array.from(
    { length: 400 },
    (_, i) => `tempest.api.compute.servers.test_s${i % 40}.ServersTest${Math.floor(i / 40)}.test_case_${i}`,
  );
  const entries: HistoryEntry[] = [];
  let version = 0;
  for (let night = 0; night < options.nights; night++) {
    const candidate = `nightly-${night + 1}`;
    const time = new Date(start + night * 86_400_000).toISOString();
    const failures = tests.filter(() => random() < 0.004).sort();
    const chaosPassed = random() > 0.05;
    const passed = failures.length === 0 && chaosPassed;
    const images = Array.from({ length: options.images }, (_, i) => ({
      name: `kolla/image-${i}`,
      ref: `registry.example/taco/candidates/image-${i}:${candidate}`,
      digest: digest(`${candidate}/${i}`),
    }));
    entries.push({
      schema: 1,
      kind: 'nightly',
      time,
      status: passed ? 'passed' : 'failed',
      profile: 'dev',
      candidate,
      images,
      release: {
        ref: `registry.example/taco/taco-release:${candidate}`,
        digest: digest(`release/${candidate}`),
      },
      runUrl: `https://github.example/taco/ci/actions/runs/${1000 + night}`,
      stages: {
        deploy: 'passed',
        tempest: failures.length ? 'failed' : 'passed',
        chaos: chaosPassed ? 'passed' : 'failed',
      },
      tempest: {
        passed: 1400 - failures.length,
        failed: failures.length,
        skipped: 250,
        durationSeconds: 3000 + Math.round(random() * 600),
        failures,
      },
      chaos: {
        passed: chaosPassed,
        kills: 12,
        workloads: ['keystone-api', 'glance-api', 'nova-api', 'mariadb-server'].map((w) => ({
          workload: `Deployment openstack/${w}`,
          kills: 3,
          maxRecoverySeconds: Math.round(20_000 + random() * 40_000) / 1000,
          meanRecoverySeconds: Math.round(10_000 + random() * 10_000) / 1000,
          recovered: chaosPassed,
          availabilityPercent: 95,
        })),
        reasons: chaosPassed ? [] : ['Deployment openstack/mariadb-server did not recover'],
      },
    });
    if (passed && night % releaseEvery === releaseEvery - 1) {
      version++;
      entries.push({
        schema: 1,
        kind: 'promotion',
        time: new Date(Date.parse(time) + 3_600_000).toISOString(),
        status: 'complete',
        candidate,
        version: `${version}.0.0`,
        images: images.map((i) => ({
          ...i,
          ref: i.ref.replace(`candidates/`, 'release/').replace(candidate, `${version}.0.0`),
          source: i.ref,
        })),
        charts: ['keystone', 'glance', 'nova'].map((c) => ({
          name: c,
          version: `${version}.0.0`,
          ref: `registry.example/taco/charts/${c}:${version}.0.0`,
          digest: digest(`chart/${c}/${version}`),
          source: `registry.example/taco/charts/${c}:2025.1.0-${candidate}`,
        })),
        release: {
          ref: `registry.example/taco/taco-release:${version}.0.0`,
          digest: digest(`rel/${version}`),
        },
        runUrl: `https://github.example/taco/ci/actions/runs/${5000 + version}`,
      });
    }
  }
  return entries;
}
