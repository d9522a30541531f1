import { classOf, isFixtureId } from '../lib/subunit/junit.js';
import type { SubunitRun, TestResult } from '../lib/subunit/results.js';
import { countOutcomes, FAILING, type OutcomeCounts, PASSING } from '../lib/subunit/summary.js';
import { type KnownFailure, matchKnown } from './known-failures.js';

export interface Classified {
  test: TestResult;
  known?: KnownFailure;
}

export interface Verdict {
  counts: OutcomeCounts;
  /** Failing and not on the known list: these fail the step. */
  newFailures: Classified[];
  /** Failing and on the known list. */
  knownFailures: Classified[];
  /** On the known list but passed: the list can shrink. */
  fixedKnown: Classified[];
  /** Failed, then passed when run again. Counted as passed, never hidden. */
  flaky: Classified[];
  /** Ended without a result (part of newFailures or knownFailures as well). */
  unfinished: TestResult[];
}

/**
 * Sorts every result of a (possibly merged, possibly rerun) stream into what an engineer acts on.
 * A class fixture failure (`setUpClass (x.Y)`) that was followed in the stream by a passing test of
 * x.Y — the class set up fine when run again — counts as flaky, not failing.
 */
export function classify(run: SubunitRun, known: readonly KnownFailure[]): Verdict {
  // Only a failed class fixture needs positions: most runs have none.
  let position: Map<string, number> | undefined;
  const passedLaterInClass = (fixture: TestResult): boolean => {
    const cls = classOf(fixture.id);
    position ??= new Map(run.tests.map((t, i) => [t.id, i]));
    const at = position.get(fixture.id)!;
    return run.tests.some(
      (t, i) => i > at && !isFixtureId(t.id) && classOf(t.id) === cls && PASSING.has(t.outcome),
    );
  };
  const verdict: Verdict = {
    counts: countOutcomes(run.tests),
    newFailures: [],
    knownFailures: [],
    fixedKnown: [],
    flaky: [],
    unfinished: [],
  };
  // Most tests pass and land in no list: their item is not made.
  const itemOf = (test: TestResult, entry: KnownFailure | undefined): Classified =>
    entry ? { test, known: entry } : { test };
  for (const test of run.tests) {
    const entry = matchKnown(test.id, known);
    if (FAILING.has(test.outcome)) {
      const item = itemOf(test, entry);
      if (test.outcome === 'unfinished') verdict.unfinished.push(test);
      if (isFixtureId(test.id) && passedLaterInClass(test)) {
        verdict.flaky.push(item);
        verdict.counts.failed--;
        verdict.counts.total--;
        continue;
      }
      (entry ? verdict.knownFailures : verdict.newFailures).push(item);
    } else if (PASSING.has(test.outcome)) {
      if (test.previous.some((o) => FAILING.has(o))) verdict.flaky.push(itemOf(test, entry));
      else if (entry) verdict.fixedKnown.push(itemOf(test, entry));
    }
  }
  return verdict;
}

/** The service a tempest test exercises: tempest.api.<service>…, tempest.scenario…, else the package. */
const API_PREFIX = 'tempest.api.';

export function serviceOf(id: string): string {
  const cls = classOf(id) || id;
  // The common case without splitting every id of a long run into parts.
  if (cls.startsWith(API_PREFIX)) {
    const end = cls.indexOf('.', API_PREFIX.length);
    const service = end === -1 ? cls.slice(API_PREFIX.length) : cls.slice(API_PREFIX.length, end);
    if (service) return service;
  }
  const parts = cls.split('.');
  if (parts[0] === 'tempest' && parts[1] === 'api' && parts[2]) return parts[2];
  if (parts[0] === 'tempest' && parts[1]) return parts[1];
  return parts.slice(0, 2).join('.') || id;
}

/** The test ids to run again: failed tests, and every selected test of a class whose fixture failed. */
export function rerunList(verdictFailures: readonly Classified[], selected: readonly string[]): string[] {
  const ids = new Set<string>();
  const selectedSet = new Set(selected);
  for (const { test } of verdictFailures) {
    if (isFixtureId(test.id)) {
      const cls = classOf(test.id);
      for (const id of selected) if (classOf(id) === cls || id.startsWith(`${cls}.`)) ids.add(id);
    } else if (selectedSet.has(test.id)) {
      ids.add(test.id);
    }
  }
  return [...ids].sort();
}
