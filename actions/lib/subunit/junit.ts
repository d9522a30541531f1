import type { JUnitCase, JUnitCounts, JUnitSuite, JUnitSuiteSource } from '../reports/junit.js';
import type { Attachment, SubunitRun, TestResult } from './results.js';

/** `setUpClass (pkg.mod.Class)` and friends: unittest's stand-in ids for class and module fixtures. */
const FIXTURE_ID = /^(setUpClass|tearDownClass|setUpModule|tearDownModule) \((.+)\)$/;

/** Every fixture id starts with "setUp" or "tearDown": the regex runs only for those. */
const mayBeFixture = (id: string) => id.startsWith('setUp') || id.startsWith('tearDown');

/** The class (or module) a test id belongs to: `a.b.C.test_x[attrs]` → `a.b.C`; `setUpClass (a.b.C)` → `a.b.C`. */
export function classOf(id: string): string {
  const fixture = mayBeFixture(id) ? FIXTURE_ID.exec(id) : null;
  if (fixture) return fixture[2];
  const bracket = id.indexOf('[');
  const plain = bracket === -1 ? id : id.slice(0, bracket);
  const dot = plain.lastIndexOf('.');
  return dot === -1 ? '' : plain.slice(0, dot);
}

export function isFixtureId(id: string): boolean {
  return FIXTURE_ID.test(id);
}

/** Splits an id the way subunit2junitxml does: fixtures keep the whole id as the name. */
export function junitName(id: string): { classname: string; name: string } {
  if (mayBeFixture(id) && FIXTURE_ID.test(id)) return { classname: '', name: id };
  const classname = classOf(id);
  return { classname, name: classname ? id.slice(classname.length + 1) : id };
}

export function traceback(test: TestResult): Attachment | undefined {
  return (
    test.attachments.find((a) => a.name === 'traceback') ??
    test.attachments.find((a) => /traceback/.test(a.mimeType ?? ''))
  );
}

/**
 * The one line that says what failed: the exception line of the last Python traceback in the text
 * (`testtools.matchers._impl.MismatchError: 1 != 2`), not whatever detail lines follow it (a diff,
 * `Details: {…}`); the last non-blank line when there is no traceback.
 */
export function failureLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  const start = lines.findLastIndex((l) => l.startsWith('Traceback (most recent call last):'));
  if (start >= 0) {
    // Frames are indented (`  File …`, then the source line); the exception line is not.
    const exception = lines.slice(start + 1).find((l) => !/^\s/.test(l));
    if (exception) return exception;
  }
  return lines[lines.length - 1] ?? '';
}

export function attachmentText(test: TestResult, names: (name: string) => boolean): string {
  return test.attachments
    .filter((a) => names(a.name))
    .map(
      (a) =>
        (test.attachments.length > 1 ? `--- ${a.name} ---\n` : '') +
        (a.droppedBytes ? `[… ${a.droppedBytes} bytes dropped …]\n` : '') +
        a.text,
    )
    .join('\n');
}

export interface JUnitOptions {
  suiteName?: string;
  /** Extra words for a test's message (e.g. `known failure: bug 123`). */
  note?: (test: TestResult) => string | undefined;
  properties?: Record<string, string>;
}

export function toJUnitCase(test: TestResult, note?: string): JUnitCase {
  const { classname, name } = junitName(test.id);
  const base: JUnitCase = { name, classname, status: 'passed' };
  if (test.durationMs !== undefined) base.timeSeconds = test.durationMs / 1000;
  const prefix = note ? `[${note}] ` : '';
  // Passing and skipped tests keep no attachments worth reading (see ResultCollector).
  const failing = test.outcome === 'fail' || test.outcome === 'unfinished';
  const tb = failing ? traceback(test) : undefined;
  const other = failing ? attachmentText(test, (n) => n !== 'traceback' && n !== 'reason') : '';
  switch (test.outcome) {
    case 'success':
    case 'xfail':
      if (note) base.systemOut = note;
      return base;
    case 'skip': {
      const reason = test.attachments.find((a) => a.name === 'reason')?.text;
      return {
        ...base,
        status: 'skipped',
        ...(reason || note ? { message: `${prefix}${reason ?? ''}`.trim() } : {}),
      };
    }
    case 'uxsuccess':
      return {
        ...base,
        status: 'failed',
        message: `${prefix}unexpected success: the test passed but was expected to fail`,
      };
    case 'unfinished':
      return {
        ...base,
        status: 'error',
        message: `${prefix}did not finish: the stream has no result for it (killed, timed out or the stream was cut)`,
        ...(tb || other ? { details: [tb?.text, other].filter(Boolean).join('\n') } : {}),
      };
    case 'fail':
      return {
        ...base,
        status: 'failed',
        message: `${prefix}${tb ? failureLine(tb.text) : 'failed'}`,
        ...(tb ? { details: tb.text } : {}),
        ...(other ? { systemOut: other } : {}),
      };
  }
}

/** One JUnit suite holding every test of the stream, in stream order. */
export function subunitToJUnit(run: SubunitRun, options: JUnitOptions = {}): JUnitSuite[] {
  const cases = run.tests.map((test) => toJUnitCase(test, options.note?.(test)));
  return [{ ...suiteHead(run, options), cases }];
}

/** The same suite with its cases made one at a time while they are written (see writeJUnitXml). */
export function subunitJUnitSource(run: SubunitRun, options: JUnitOptions = {}): JUnitSuiteSource {
  const counts: JUnitCounts = { tests: run.tests.length, failures: 0, errors: 0, skipped: 0, passed: 0 };
  let durations = 0;
  for (const test of run.tests) {
    const status = caseStatus(test.outcome);
    if (status === 'failed') counts.failures++;
    else if (status === 'error') counts.errors++;
    else if (status === 'skipped') counts.skipped++;
    else counts.passed++;
    durations += test.durationMs !== undefined ? test.durationMs / 1000 : 0;
  }
  const head = suiteHead(run, options);
  return {
    ...head,
    counts,
    timeSeconds: head.timeSeconds ?? durations,
    cases: (function* () {
      for (const test of run.tests) yield toJUnitCase(test, options.note?.(test));
    })(),
  };
}

/** The JUnit status `toJUnitCase` gives an outcome. */
function caseStatus(outcome: TestResult['outcome']): JUnitCase['status'] {
  if (outcome === 'success' || outcome === 'xfail') return 'passed';
  if (outcome === 'skip') return 'skipped';
  return outcome === 'unfinished' ? 'error' : 'failed';
}

function suiteHead(run: SubunitRun, options: JUnitOptions): Omit<JUnitSuite, 'cases'> {
  return {
    name: options.suiteName ?? 'subunit',
    ...(run.startMs !== undefined
      ? { timestamp: new Date(run.startMs).toISOString().replace(/\.\d+Z$/, 'Z') }
      : {}),
    ...(run.startMs !== undefined && run.endMs !== undefined
      ? { timeSeconds: (run.endMs - run.startMs) / 1000 }
      : {}),
    ...(options.properties ? { properties: options.properties } : {}),
  };
}
