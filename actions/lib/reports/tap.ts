import { Parser, type Result } from 'tap-parser';

export interface TapTest {
  id: number;
  name: string;
  status: 'passed' | 'failed' | 'skipped' | 'todo';
  /** The SKIP/TODO reason. */
  reason?: string;
  /** Failure output: the TAP13 YAML block's message, or the `#` comment lines that follow a failure. */
  diagnostics?: string;
  /** Where bats says the failure happened: `(in test file tests/x.bats, line 7)`. */
  file?: string;
  line?: number;
}

export interface TapReport {
  tests: TapTest[];
  plan?: { start: number; end: number };
  bailOut?: string;
}

const BATS_LOCATION = /in test file (.+?), line (\d+)\)/g;

/** Reads TAP 12/13 as bats-core writes it (`--formatter tap` or `tap13`). */
export function parseTap(text: string): TapReport {
  const parser = new Parser({ strict: false });
  const tests: TapTest[] = [];
  const report: TapReport = { tests };
  let lastFailure: TapTest | undefined;

  parser.on(
    'plan',
    (plan: { start: number; end: number }) => (report.plan = { start: plan.start, end: plan.end }),
  );
  parser.on('bailout', (reason: string) => (report.bailOut = reason || 'bail out'));
  parser.on('assert', (result: Result) => {
    const test = toTest(result);
    tests.push(test);
    lastFailure = test.status === 'failed' ? test : undefined;
  });
  parser.on('comment', (comment: string) => {
    if (!lastFailure) return;
    const line = comment.replace(/^#\s?/, '').replace(/\n$/, '');
    lastFailure.diagnostics = lastFailure.diagnostics ? `${lastFailure.diagnostics}\n${line}` : line;
    locate(lastFailure);
  });
  parser.end(text);
  return report;
}

function toTest(result: Result): TapTest {
  const test: TapTest = { id: result.id ?? 0, name: result.name, status: result.ok ? 'passed' : 'failed' };
  // bats' TAP13 writes a skip as `not ok N name # SKIP reason`: a skip is a skip, whatever its ok.
  if (result.skip !== false) {
    test.status = 'skipped';
    if (typeof result.skip === 'string' && result.skip) test.reason = result.skip;
  } else if (result.todo !== false) {
    test.status = 'todo';
    if (typeof result.todo === 'string' && result.todo) test.reason = result.todo;
  }
  const diag = result.diag as Record<string, unknown> | null;
  if (diag && test.status === 'failed') {
    const message = typeof diag.message === 'string' ? diag.message : JSON.stringify(diag);
    test.diagnostics = message.replace(/\n$/, '');
    locate(test);
  }
  return test;
}

function locate(test: TapTest): void {
  const matches = [...(test.diagnostics ?? '').matchAll(BATS_LOCATION)];
  const last = matches.at(-1);
  if (last) {
    test.file = last[1];
    test.line = Number(last[2]);
  }
}
