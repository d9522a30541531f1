/** One test in the JUnit model shared by every action's report (bats, Rally, Tempest). */
export interface JUnitCase {
  name: string;
  classname?: string;
  timeSeconds?: number;
  status: 'passed' | 'failed' | 'error' | 'skipped';
  /** One line: the failure's or skip's reason. */
  message?: string;
  /** The long text: traceback, assertion output. */
  details?: string;
  file?: string;
  line?: number;
  systemOut?: string;
  systemErr?: string;
}

export interface JUnitSuite {
  name: string;
  cases: JUnitCase[];
  timestamp?: string;
  timeSeconds?: number;
  properties?: Record<string, string>;
}

export interface JUnitCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  passed: number;
}

export function countCases(cases: readonly JUnitCase[]): JUnitCounts {
  const counts = { tests: cases.length, failures: 0, errors: 0, skipped: 0, passed: 0 };
  for (const c of cases) {
    if (c.status === 'failed') counts.failures++;
    else if (c.status === 'error') counts.errors++;
    else if (c.status === 'skipped') counts.skipped++;
    else if (c.status === 'passed') counts.passed++;
  }
  return counts;
}

// XML 1.0 cannot carry most control characters, which test output often contains (ANSI colours).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVALID_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const clean = (text: string) =>
  text.replace(INVALID_XML, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
const seconds = (value: number | undefined) => (value ?? 0).toFixed(3);

// Most values need no escaping at all: printable text without markup characters, surrogates or
// U+FFFE/U+FFFF. Testing for that is one scan; the escaping below runs only when it finds something.
// eslint-disable-next-line no-control-regex -- the classes list the characters that need no work
const TEXT_NEEDS_ESCAPING = /[^\x09\x0A\x0D\x20-\x25\x27-\x3B\x3D\x3F-\uD7FF\uE000-\uFFFD]/;
const ATTR_NEEDS_ESCAPING = /[^\x20\x21\x23-\x25\x27-\x3B\x3D\x3F-\uD7FF\uE000-\uFFFD]/;
const TEXT_MARKUP = /[&<>]/g;
const ATTR_MARKUP = /[&<>"\n\r\t]/g;
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\n': '&#10;',
  '\r': '&#13;',
  '\t': '&#9;',
};
const entity = (c: string) => ENTITIES[c];

// Built as text rather than with an XML DOM: a Tempest run has tens of thousands of cases with long
// tracebacks, and a DOM builder spends most of the report's time there.
const escapeText = (text: string) =>
  TEXT_NEEDS_ESCAPING.test(text) ? clean(text).replace(TEXT_MARKUP, entity) : text;
const escapeAttr = (text: string) =>
  ATTR_NEEDS_ESCAPING.test(text) ? clean(text).replace(ATTR_MARKUP, entity) : text;
/** ` name="value"`, or nothing for a missing or empty value. */
const xmlAttr = (name: string, value: string | number | undefined) =>
  value === undefined || value === '' ? '' : ` ${name}="${escapeAttr(String(value))}"`;

export function toJUnitXml(suites: readonly JUnitSuite[], name = 'taco'): string {
  const all = suites.flatMap((s) => s.cases);
  const total = countCases(all);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const totalTime = suites.reduce((sum, s) => sum + (s.timeSeconds ?? sumTime(s.cases)), 0);
  out.push(`<testsuites${xmlAttr('name', name)}${counts(total)}${xmlAttr('time', seconds(totalTime))}>`);
  for (const suite of suites) {
    out.push(
      `  <testsuite${xmlAttr('name', suite.name)}${counts(countCases(suite.cases))}${xmlAttr(
        'time',
        seconds(suite.timeSeconds ?? sumTime(suite.cases)),
      )}${xmlAttr('timestamp', suite.timestamp)}>`,
    );
    const properties = Object.entries(suite.properties ?? {});
    if (properties.length) {
      out.push('    <properties>');
      for (const [key, value] of properties)
        out.push(`      <property${xmlAttr('name', key)}${xmlAttr('value', value)}/>`);
      out.push('    </properties>');
    }
    for (const test of suite.cases) out.push(testcase(test, suite.name));
    out.push('  </testsuite>');
  }
  // The trailing '' ends the document with a newline; joining once keeps the result one flat string.
  out.push('</testsuites>', '');
  return out.join('\n');
}

function counts(c: JUnitCounts): string {
  return `${xmlAttr('tests', c.tests)}${xmlAttr('failures', c.failures)}${xmlAttr('errors', c.errors)}${xmlAttr('skipped', c.skipped)}`;
}

function testcase(test: JUnitCase, suiteName: string): string {
  const head = `    <testcase${xmlAttr('name', test.name)}${xmlAttr('classname', test.classname ?? suiteName)}${xmlAttr(
    'time',
    seconds(test.timeSeconds),
  )}${xmlAttr('file', test.file)}${xmlAttr('line', test.line)}`;
  let body = '';
  if (test.status === 'failed' || test.status === 'error') {
    const tag = test.status === 'failed' ? 'failure' : 'error';
    const open = `      <${tag}${xmlAttr('message', test.message ?? tag)}${xmlAttr('type', tag)}`;
    body = test.details ? `${open}>${escapeText(test.details)}</${tag}>` : `${open}/>`;
  } else if (test.status === 'skipped') {
    body = `      <skipped${xmlAttr('message', test.message)}/>`;
  }
  if (test.systemOut)
    body += `${body ? '\n' : ''}      <system-out>${escapeText(test.systemOut)}</system-out>`;
  if (test.systemErr)
    body += `${body ? '\n' : ''}      <system-err>${escapeText(test.systemErr)}</system-err>`;
  return body ? `${head}>\n${body}\n    </testcase>` : `${head}/>`;
}

function sumTime(cases: readonly JUnitCase[]): number {
  return cases.reduce((sum, c) => sum + (c.timeSeconds ?? 0), 0);
}
