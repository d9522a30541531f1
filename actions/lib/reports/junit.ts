import { writeInPieces } from './write-in-pieces.js';

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

/**
 * A suite whose cases are made one at a time as they are written (a report of tens of thousands of
 * cases then never holds them all): its counts and time are given up front.
 */
export interface JUnitSuiteSource extends Omit<JUnitSuite, 'cases' | 'timeSeconds'> {
  counts: JUnitCounts;
  timeSeconds: number;
  cases: Iterable<JUnitCase>;
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
  const out: string[] = [];
  junitLines(suites, name, (line) => out.push(line));
  // The trailing '' ends the document with a newline; joining once keeps the result one flat string.
  out.push('');
  return out.join('\n');
}

/**
 * Writes the document `toJUnitXml` returns to `file` in pieces of about 64 KiB, so a report of tens
 * of thousands of cases is never one string in memory.
 */
export function writeJUnitXml(
  file: string,
  suites: readonly (JUnitSuite | JUnitSuiteSource)[],
  name = 'taco',
): void {
  writeInPieces(file, (write) => junitLines(suites, name, (line) => write(`${line}\n`)));
}

/** The document line by line (a test case with its failure is one "line" of several). */
function junitLines(
  suites: readonly (JUnitSuite | JUnitSuiteSource)[],
  name: string,
  emit: (line: string) => void,
): void {
  const heads = suites.map((suite) =>
    'counts' in suite
      ? { counts: suite.counts, time: suite.timeSeconds }
      : { counts: countCases(suite.cases), time: suite.timeSeconds ?? sumTime(suite.cases) },
  );
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0, passed: 0 };
  for (const { counts: c } of heads)
    for (const key of Object.keys(total) as (keyof JUnitCounts)[]) total[key] += c[key];
  const totalTime = heads.reduce((sum, h) => sum + h.time, 0);
  emit('<?xml version="1.0" encoding="UTF-8"?>');
  emit(`<testsuites${xmlAttr('name', name)}${counts(total)}${xmlAttr('time', seconds(totalTime))}>`);
  suites.forEach((suite, i) => {
    emit(
      `  <testsuite${xmlAttr('name', suite.name)}${counts(heads[i].counts)}${xmlAttr(
        'time',
        seconds(heads[i].time),
      )}${xmlAttr('timestamp', suite.timestamp)}>`,
    );
    const properties = Object.entries(suite.properties ?? {});
    if (properties.length) {
      emit('    <properties>');
      for (const [key, value] of properties)
        emit(`      <property${xmlAttr('name', key)}${xmlAttr('value', value)}/>`);
      emit('    </properties>');
    }
    for (const test of suite.cases) emit(testcase(test, suite.name));
    emit('  </testsuite>');
  });
  emit('</testsuites>');
}

function counts(c: JUnitCounts): string {
  return `${xmlAttr('tests', c.tests)}${xmlAttr('failures', c.failures)}${xmlAttr('errors', c.errors)}${xmlAttr('skipped', c.skipped)}`;
}

function testcase(test: JUnitCase, suiteName: string): string {
  // Numbers never need escaping and are never empty: written as they are.
  const head = `    <testcase${xmlAttr('name', test.name)}${xmlAttr('classname', test.classname ?? suiteName)} time="${seconds(
    test.timeSeconds,
  )}"${xmlAttr('file', test.file)}${test.line === undefined ? '' : ` line="${test.line}"`}`;
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
