/** The stage's results as a job summary, annotations and JUnit. */
import path from 'node:path';
import type { ActionContext } from '../lib/context.js';
import { type JUnitCase, type JUnitSuite, toJUnitXml } from '../lib/reports/junit.js';
import { STATUS_ICON, codeBlock, details, escapeMarkdown, markdownTable } from '../lib/reports/markdown.js';
import type { SuiteRun } from './bats.js';

/** `planned`: a dry run's image, neither built nor tested. */
export type ImageStatus = 'passed' | 'build-failed' | 'test-failed' | 'untested' | 'push-failed' | 'planned';

export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

export interface ImageResult {
  name: string;
  reference: string;
  status: ImageStatus;
  /** One line: why the image did not pass. */
  reason?: string;
  /** The build output's tail, for a failed build. */
  buildLogTail?: string;
  /** The Dockerfile (dockerfile mode), for annotations. */
  dockerfile?: string;
  suites: SuiteRun[];
  pushed: boolean;
  digest?: string;
}

export function countTests(suites: readonly SuiteRun[]): TestCounts {
  const tests = suites.flatMap((s) => s.tests);
  return {
    passed: tests.filter((t) => t.status === 'passed').length,
    failed: tests.filter((t) => t.status === 'failed').length + suites.filter((s) => s.error).length,
    skipped: tests.filter((t) => t.status === 'skipped' || t.status === 'todo').length,
  };
}

/**
 * Why an image's bats suites do not prove it, or undefined when they do: a failed test, a suite
 * that ran no test, or suites whose every test skipped (nothing was tested).
 */
export function suitesFailure(suites: readonly SuiteRun[]): string | undefined {
  const counts = countTests(suites);
  if (counts.failed > 0) return `${counts.failed} bats test${counts.failed === 1 ? '' : 's'} failed`;
  if (counts.passed === 0) return `no bats test ran (${counts.skipped} skipped)`;
  return undefined;
}

function relative(workspace: string, file: string): string {
  const rel = path.relative(workspace, file);
  return rel.startsWith('..') ? file : rel;
}

export function toJUnitSuites(images: readonly ImageResult[], workspace: string): JUnitSuite[] {
  return images
    .filter((image) => image.status !== 'untested' || image.suites.length)
    .map((image) => {
      const cases: JUnitCase[] = [];
      if (image.status === 'build-failed') {
        cases.push({
          name: 'build',
          classname: image.name,
          status: 'error',
          message: image.reason,
          details: image.buildLogTail,
        });
      }
      for (const suite of image.suites) {
        const classname = `${image.name}.${path.basename(suite.suite, '.bats')}`;
        const file = relative(workspace, suite.suite);
        for (const test of suite.tests) {
          cases.push({
            name: test.name,
            classname,
            status: test.status === 'todo' ? 'skipped' : test.status,
            message: test.status === 'failed' ? firstLine(test.diagnostics) : test.reason,
            details: test.status === 'failed' ? test.diagnostics : undefined,
            file,
            line: test.line,
            timeSeconds: undefined,
          });
        }
        if (suite.error) {
          cases.push({
            name: `${path.basename(suite.suite)} (suite)`,
            classname,
            status: 'error',
            message: suite.error,
            details: suite.output,
            file,
          });
        }
      }
      return { name: image.name, cases, properties: { image: image.reference } };
    });
}

export function junitXml(images: readonly ImageResult[], workspace: string): string {
  return toJUnitXml(toJUnitSuites(images, workspace), 'kolla-bats');
}

function firstLine(text: string | undefined): string | undefined {
  return text
    ?.split('\n')
    .find((line) => line.trim() !== '')
    ?.trim();
}

/** Failed tests at their .bats file and line; failed builds at the Dockerfile. */
export function annotate(
  ctx: Pick<ActionContext, 'error'>,
  images: readonly ImageResult[],
  workspace: string,
): void {
  for (const image of images) {
    if (image.status === 'build-failed') {
      ctx.error(
        `Image ${image.name} failed to build: ${image.reason ?? ''}${image.buildLogTail ? `\n${image.buildLogTail}` : ''}`,
        {
          title: `kolla-bats: ${image.name} build failed`,
          ...(image.dockerfile ? { file: relative(workspace, image.dockerfile) } : {}),
        },
      );
    }
    if (image.status === 'push-failed')
      ctx.error(`Image ${image.name} passed but was not pushed: ${image.reason}`, {
        title: `kolla-bats: ${image.name} push failed`,
      });
    for (const suite of image.suites) {
      for (const test of suite.tests.filter((t) => t.status === 'failed')) {
        const file = relative(
          workspace,
          test.file ? path.resolve(path.dirname(suite.suite), test.file) : suite.suite,
        );
        ctx.error(`${image.name}: ${test.name}${test.diagnostics ? `\n${test.diagnostics}` : ''}`, {
          title: `bats: ${image.name}`,
          file,
          ...(test.line ? { startLine: test.line } : {}),
        });
      }
      if (suite.error)
        ctx.error(`${image.name}: suite ${path.basename(suite.suite)} ${suite.error}`, {
          title: `bats: ${image.name}`,
          file: relative(workspace, suite.suite),
        });
    }
  }
}

const STATUS_TEXT: Record<ImageStatus, string> = {
  passed: `${STATUS_ICON.passed} passed`,
  'build-failed': `${STATUS_ICON.error} build failed`,
  'test-failed': `${STATUS_ICON.failed} tests failed`,
  untested: '⚠️ no bats suite',
  'push-failed': `${STATUS_ICON.error} push failed`,
  planned: '📝 planned (dry run)',
};

export function summaryMarkdown(
  images: readonly ImageResult[],
  tag: string,
  workspace: string,
  push: boolean,
): string {
  const passed = images.filter((i) => i.status === 'passed').length;
  const parts = [
    `### kolla-bats: ${passed} of ${images.length} image${images.length === 1 ? '' : 's'} passed (tag \`${escapeMarkdown(tag)}\`)\n`,
  ];
  parts.push(
    markdownTable(
      ['Image', 'Result', 'Tests (passed / failed / skipped)', push ? 'Pushed as' : 'Reference'],
      images.map((image) => {
        const counts = countTests(image.suites);
        const where = image.pushed
          ? `\`${image.reference}\`<br>\`${image.digest ?? ''}\``
          : push
            ? '—'
            : `\`${image.reference}\``;
        return [
          image.name,
          STATUS_TEXT[image.status],
          `${counts.passed} / ${counts.failed} / ${counts.skipped}`,
          where,
        ];
      }),
    ),
  );
  for (const image of images) {
    if (image.status === 'build-failed') {
      parts.push(
        details(`${image.name}: build log (tail)`, codeBlock(image.buildLogTail ?? image.reason ?? '')),
      );
    }
    const rows = image.suites.flatMap((suite) =>
      suite.tests.map((test) => {
        const file = relative(
          workspace,
          test.file ? path.resolve(path.dirname(suite.suite), test.file) : suite.suite,
        );
        return [
          escapeMarkdown(test.name),
          `${STATUS_ICON[test.status]} ${test.status}`,
          `${escapeMarkdown(file)}${test.line ? `:${test.line}` : ''}`,
          escapeMarkdown(
            test.status === 'failed' ? (firstLine(test.diagnostics) ?? '') : (test.reason ?? ''),
          ),
        ];
      }),
    );
    if (rows.length)
      parts.push(
        details(
          `${image.name}: ${rows.length} bats test${rows.length === 1 ? '' : 's'}`,
          markdownTable(['Test', 'Result', 'Where', 'Detail'], rows),
        ),
      );
  }
  return parts.join('\n');
}
