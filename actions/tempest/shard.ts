import { classOf } from '../lib/subunit/junit.js';

/**
 * Splits the selected tests across `count` runners. Whole classes stay together (tempest shares
 * class-level resources, and stestr groups by class the same way), classes are placed
 * longest-first on the least-loaded shard, and every tie is broken by name — so every runner of a
 * matrix computes the same split from the same list, whatever order the list came in.
 *
 * Load is the sum of the tests' previous durations when `timings` are given (tests without a
 * timing count as the median known duration), otherwise the number of tests.
 */
export function splitShards(
  tests: readonly string[],
  count: number,
  timings?: ReadonlyMap<string, number>,
): string[][] {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`shard count must be a positive integer, got ${count}`);
  const unique = [...new Set(tests)].sort();
  const classes = new Map<string, string[]>();
  for (const id of unique) {
    const key = classOf(id) || id;
    let members = classes.get(key);
    if (!members) classes.set(key, (members = []));
    members.push(id);
  }
  const weightOf = testWeight(unique, timings);
  const groups = [...classes].map(([name, members]) => ({
    name,
    members,
    weight: members.reduce((sum, id) => sum + weightOf(id), 0),
  }));
  groups.sort((a, b) => b.weight - a.weight || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const shards = Array.from({ length: count }, () => ({ load: 0, tests: [] as string[] }));
  for (const group of groups) {
    let target = shards[0];
    for (const shard of shards) if (shard.load < target.load) target = shard;
    target.load += group.weight;
    target.tests.push(...group.members);
  }
  return shards.map((shard) => shard.tests.sort());
}

function testWeight(
  tests: readonly string[],
  timings: ReadonlyMap<string, number> | undefined,
): (id: string) => number {
  if (!timings || timings.size === 0) return () => 1;
  const known = tests
    .map((id) => timings.get(id))
    .filter((v): v is number => v !== undefined && Number.isFinite(v) && v >= 0);
  known.sort((a, b) => a - b);
  const median = known.length ? known[Math.floor(known.length / 2)] : 1;
  // A zero-length test still costs its setup; keep every weight positive so empty shards fill first.
  const floor = Math.max(median, 1e-3) / 100;
  return (id) => Math.max(timings.get(id) ?? median, floor);
}
