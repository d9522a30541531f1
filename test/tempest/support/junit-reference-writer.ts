/**
 * The JUnit writer as it was before its escaping fast path (commit d8901a3), kept as the reference
 * the fast writer must match byte for byte: every escape applied by a chain of regex replacements.
 */
import type { JUnitCase, JUnitSuite } from '../../../actions/lib/reports/junit.js';

function countCases(cases: readonly JUnitCase[]) {
  const count = (status: JUnitCase['status']) => cases.filter((c) => c.status === status).length;
  return {
    tests: cases.length,
    failures: count('failed'),
    errors: count('error'),
    skipped: count('skipped'),
    passed: count('passed'),
  };
}

// XML 1.0 cannot carry most control characters, which test output often contains (ANSI colours).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVALID_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const clean = (text: string) =>
  text.replace(INVALID_XML, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
const seconds = (value: number | undefined) => (value ?? 0).toFixed(3);

// Built as text rather than with an XML DOM: a Tempest run has tens of thousands of cases with long
// tracebacks, and a DOM builder spends most of the report's time there.
const escapeText = (text: string) =>
  clean(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (text: string) =>
  escapeText(text)
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
const attrs = (values: Record<string, string | number | undefined>) =>
  Object.entries(values)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => ` ${k}="${escapeAttr(String(v))}"`)
    .join('');

export function referenceJUnitXml(suites: readonly JUnitSuite[], name = 'taco'): string {
  const all = suites.flatMap((s) => s.cases);
  const total = countCases(all);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const totalTime = suites.reduce((sum, s) => sum + (s.timeSeconds ?? sumTime(s.cases)), 0);
  out.push(
    `<testsuites${attrs({ name, tests: total.tests, failures: total.failures, errors: total.errors, skipped: total.skipped, time: seconds(totalTime) })}>`,
  );
  for (const suite of suites) {
    const counts = countCases(suite.cases);
    out.push(
      `  <testsuite${attrs({
        name: suite.name,
        tests: counts.tests,
        failures: counts.failures,
        errors: counts.errors,
        skipped: counts.skipped,
        time: seconds(suite.timeSeconds ?? sumTime(suite.cases)),
        timestamp: suite.timestamp,
      })}>`,
    );
    const properties = Object.entries(suite.properties ?? {});
    if (properties.length) {
      out.push('    <properties>');
      for (const [key, value] of properties) out.push(`      <property${attrs({ name: key, value })}/>`);
      out.push('    </properties>');
    }
    for (const test of suite.cases) {
      const head = `    <testcase${attrs({
        name: test.name,
        classname: test.classname ?? suite.name,
        time: seconds(test.timeSeconds),
        file: test.file,
        line: test.line,
      })}`;
      const body: string[] = [];
      if (test.status === 'failed' || test.status === 'error') {
        const tag = test.status === 'failed' ? 'failure' : 'error';
        const open = `      <${tag}${attrs({ message: test.message ?? tag, type: tag })}`;
        body.push(test.details ? `${open}>${escapeText(test.details)}</${tag}>` : `${open}/>`);
      } else if (test.status === 'skipped') {
        body.push(`      <skipped${attrs({ message: test.message })}/>`);
      }
      if (test.systemOut) body.push(`      <system-out>${escapeText(test.systemOut)}</system-out>`);
      if (test.systemErr) body.push(`      <system-err>${escapeText(test.systemErr)}</system-err>`);
      out.push(body.length ? `${head}>\n${body.join('\n')}\n    </testcase>` : `${head}/>`);
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

function sumTime(cases: readonly JUnitCase[]): number {
  return cases.reduce((sum, c) => sum + (c.timeSeconds ?? 0), 0);
}
