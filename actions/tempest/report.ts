import { formatDuration } from '../lib/duration.js';
import { codeBlock, details, escapeMarkdown, markdownTable } from '../lib/reports/markdown.js';
import { attachmentText, failureLine, traceback } from '../lib/subunit/junit.js';
import type { SubunitRun, TestResult } from '../lib/subunit/results.js';
import { slowest, timeByGroup } from '../lib/subunit/summary.js';
import type { KnownFailure } from './known-failures.js';
import { type Classified, serviceOf, type Verdict } from './verdict.js';

export interface ReportContext {
  title: string;
  /** Problems worth a line at the top: a timed-out run, a damaged stream. */
  problems: string[];
  shard?: { index: number; count: number; tests: number; selected: number };
  maxFailuresShown?: number;
}

const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

function knownLabel(known: KnownFailure | undefined): string {
  if (!known) return '';
  const bug = known.bug
    ? /^https?:\/\//.test(known.bug)
      ? `[${escapeMarkdown(bugName(known.bug))}](${known.bug})`
      : escapeMarkdown(known.bug)
    : '';
  return [bug, known.reason && known.reason !== known.bug ? escapeMarkdown(known.reason) : '']
    .filter(Boolean)
    .join(' — ');
}

function bugName(url: string): string {
  const m = /\/\+bug\/(\d+)|\/issues\/(\d+)|[?&]id=(\d+)/.exec(url);
  return m ? `bug ${m[1] ?? m[2] ?? m[3]}` : url.replace(/^https?:\/\//, '');
}

function failureBlock(item: Classified): string {
  const test = item.test;
  const tb = traceback(test);
  const headline =
    test.outcome === 'unfinished'
      ? 'did not finish'
      : test.outcome === 'uxsuccess'
        ? 'unexpected success'
        : tb
          ? failureLine(tb.text)
          : 'failed';
  const others = attachmentText(test, (name) => name !== 'traceback' && name !== 'reason');
  const body = [
    tb ? codeBlock(tb.text.trimEnd(), 'python') : '',
    others ? details('Captured output', codeBlock(others.slice(-20_000))) : '',
  ]
    .filter(Boolean)
    .join('\n');
  return details(`${test.id} — ${headline.slice(0, 200)}`, body || '_no traceback in the stream_');
}

export function renderSummary(run: SubunitRun, verdict: Verdict, context: ReportContext): string {
  return [
    ...headerSection(verdict, context),
    countsTable(run, verdict),
    ...newFailuresSection(verdict, context.maxFailuresShown ?? 50),
    ...knownFailuresSection(verdict),
    ...fixedKnownSection(verdict),
    ...flakySection(verdict),
    ...skippedSection(run, verdict),
    ...timingSections(run),
  ].join('\n');
}

/** The title with a pass or fail mark, the shard, and the problems as cautions. */
function headerSection(verdict: Verdict, context: ReportContext): string[] {
  const ok = verdict.newFailures.length === 0 && context.problems.length === 0;
  const out = [`## ${ok ? '✅' : '❌'} ${escapeMarkdown(context.title)}\n`];
  if (context.shard && context.shard.count > 1) {
    out.push(
      `Shard ${context.shard.index + 1} of ${context.shard.count}: ${context.shard.tests} of ${context.shard.selected} selected tests.\n`,
    );
  }
  for (const problem of context.problems) out.push(`> [!CAUTION]\n> ${escapeMarkdown(problem)}\n`);
  return out;
}

function countsTable(run: SubunitRun, verdict: Verdict): string {
  const { counts } = verdict;
  const wall =
    run.startMs !== undefined && run.endMs !== undefined ? formatDuration(run.endMs - run.startMs) : 'n/a';
  return markdownTable(
    ['Passed', 'Failed', 'New failures', 'Known failures', 'Flaky', 'Skipped', 'Did not finish', 'Time'],
    [
      [
        counts.passed,
        counts.failed,
        verdict.newFailures.length,
        verdict.knownFailures.length,
        verdict.flaky.length,
        counts.skipped,
        verdict.unfinished.length,
        wall,
      ],
    ],
  );
}

function newFailuresSection(verdict: Verdict, limit: number): string[] {
  const failures = verdict.newFailures;
  if (!failures.length) return [];
  return [
    `### New failures (${failures.length})\n`,
    failures.slice(0, limit).map(failureBlock).join('\n'),
    ...(failures.length > limit ? [`… and ${failures.length - limit} more (see the JUnit report).\n`] : []),
  ];
}

function knownFailuresSection(verdict: Verdict): string[] {
  if (!verdict.knownFailures.length) return [];
  return [
    `### Known failures (${verdict.knownFailures.length})\n`,
    markdownTable(
      ['Test', 'Tracked as', 'Error'],
      verdict.knownFailures.map((k) => [
        code(k.test.id),
        knownLabel(k.known),
        escapeMarkdown(failureLine(traceback(k.test)?.text ?? k.test.outcome).slice(0, 160)),
      ]),
    ),
  ];
}

function fixedKnownSection(verdict: Verdict): string[] {
  if (!verdict.fixedKnown.length) return [];
  return [
    `### Known failures that now pass (${verdict.fixedKnown.length}) — remove them from the list\n`,
    markdownTable(
      ['Test', 'Listed as', 'Entry'],
      verdict.fixedKnown.map((k) => [code(k.test.id), knownLabel(k.known), escapeMarkdown(k.known!.source)]),
    ),
  ];
}

function flakySection(verdict: Verdict): string[] {
  if (!verdict.flaky.length) return [];
  return [
    `### Flaky (${verdict.flaky.length}): failed, then passed when run again\n`,
    markdownTable(
      ['Test', 'First error'],
      verdict.flaky.map((f) => [
        code(f.test.id),
        escapeMarkdown(f.test.previous.join(' → ') || 'class setup failed'),
      ]),
    ),
  ];
}

function skippedSection(run: SubunitRun, verdict: Verdict): string[] {
  const skips = skipReasons(run.tests);
  if (!skips.length) return [];
  return [
    details(
      `Skipped (${verdict.counts.skipped}), by reason`,
      markdownTable(
        ['Reason', 'Tests'],
        skips.map(([reason, count]) => [escapeMarkdown(reason), count]),
      ),
    ),
  ];
}

/** The slowest tests and the time per service, folded. */
function timingSections(run: SubunitRun): string[] {
  const out: string[] = [];
  const slow = slowest(run.tests, 10);
  if (slow.length)
    out.push(
      details(
        'Slowest tests',
        markdownTable(
          ['Test', 'Time'],
          slow.map((t) => [code(t.id), formatDuration(t.durationMs!)]),
        ),
      ),
    );
  const services = timeByGroup(run.tests, serviceOf);
  if (services.length) {
    out.push(
      details(
        'Time per service',
        markdownTable(
          ['Service', 'Tests', 'Failed', 'Test time'],
          services.map((s) => [escapeMarkdown(s.group), s.tests, s.failed, formatDuration(s.ms)]),
        ),
      ),
    );
  }
  return out;
}

/** One line per failure for the log, with the error. */
/** Skipped tests counted by their reason (the stream's `reason` attachment; the profile's skips too), most first. */
function skipReasons(tests: readonly TestResult[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const test of tests.filter((t) => t.outcome === 'skip')) {
    const reason =
      (test.attachments.find((a) => a.name === 'reason')?.text ?? '').trim().split('\n')[0].slice(0, 200) ||
      'no reason given';
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function failureLines(items: readonly Classified[]): string[] {
  return items.map(
    ({ test }: { test: TestResult }) =>
      `${test.id}: ${test.outcome === 'unfinished' ? 'did not finish' : test.outcome === 'uxsuccess' ? 'unexpected success' : failureLine(traceback(test)?.text ?? test.outcome)}`,
  );
}
