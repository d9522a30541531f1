import { XMLParser } from 'fast-xml-parser';
import { create } from 'xmlbuilder2';

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

export function toJUnitXml(suites: readonly JUnitSuite[], name = 'taco'): string {
  const all = suites.flatMap((s) => s.cases);
  const total = countCases(all);
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name,
    tests: total.tests,
    failures: total.failures,
    errors: total.errors,
    skipped: total.skipped,
    time: seconds(suites.reduce((sum, s) => sum + (s.timeSeconds ?? sumTime(s.cases)), 0)),
  });
  for (const suite of suites) {
    const counts = countCases(suite.cases);
    const el = root.ele('testsuite', {
      name: clean(suite.name),
      tests: counts.tests,
      failures: counts.failures,
      errors: counts.errors,
      skipped: counts.skipped,
      time: seconds(suite.timeSeconds ?? sumTime(suite.cases)),
      ...(suite.timestamp ? { timestamp: suite.timestamp } : {}),
    });
    const properties = Object.entries(suite.properties ?? {});
    if (properties.length) {
      const props = el.ele('properties');
      for (const [key, value] of properties) props.ele('property', { name: key, value: clean(value) });
    }
    for (const test of suite.cases) {
      const tc = el.ele('testcase', {
        name: clean(test.name),
        classname: clean(test.classname ?? suite.name),
        time: seconds(test.timeSeconds),
        ...(test.file ? { file: test.file } : {}),
        ...(test.line ? { line: test.line } : {}),
      });
      if (test.status === 'failed' || test.status === 'error') {
        const tag = test.status === 'failed' ? 'failure' : 'error';
        const outcome = tc.ele(tag, { message: clean(test.message ?? tag), type: tag });
        if (test.details) outcome.txt(clean(test.details));
      } else if (test.status === 'skipped') {
        tc.ele('skipped', test.message ? { message: clean(test.message) } : {});
      }
      if (test.systemOut) tc.ele('system-out').txt(clean(test.systemOut));
      if (test.systemErr) tc.ele('system-err').txt(clean(test.systemErr));
    }
  }
  return root.end({ prettyPrint: true });
}

function sumTime(cases: readonly JUnitCase[]): number {
  return cases.reduce((sum, c) => sum + (c.timeSeconds ?? 0), 0);
}

type XmlNode = Record<string, unknown>;
const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const text = (value: unknown): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return ((value as XmlNode)['#text'] as string | undefined) ?? '';
  return String(value);
};
const attr = (node: unknown, name: string): string | undefined =>
  typeof node === 'object' && node !== null
    ? ((node as XmlNode)[`@_${name}`] as string | undefined)
    : undefined;

/**
 * Reads JUnit XML as the common producers write it (bats, Rally, subunit2junitxml, pytest, Jenkins'
 * schema): a <testsuites> root or a single <testsuite>, nested suites flattened.
 */
export function parseJUnitXml(xml: string): JUnitSuite[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    isArray: (name) => ['testsuite', 'testcase', 'property', 'failure', 'error', 'skipped'].includes(name),
  });
  const doc = parser.parse(xml) as XmlNode;
  const roots = doc.testsuites
    ? asArray((doc.testsuites as XmlNode).testsuite as XmlNode[])
    : asArray(doc.testsuite as XmlNode[]);
  const suites: JUnitSuite[] = [];
  const visit = (node: XmlNode) => {
    const name = attr(node, 'name') ?? '';
    const properties: Record<string, string> = {};
    for (const p of asArray(((node.properties as XmlNode | undefined)?.property ?? []) as XmlNode[])) {
      properties[attr(p, 'name') ?? ''] = attr(p, 'value') ?? text(p) ?? '';
    }
    const cases = asArray(node.testcase as XmlNode[]).map((tc) => readCase(tc));
    const time = attr(node, 'time');
    suites.push({
      name,
      cases,
      ...(attr(node, 'timestamp') ? { timestamp: attr(node, 'timestamp') } : {}),
      ...(time !== undefined ? { timeSeconds: Number(time) } : {}),
      ...(Object.keys(properties).length ? { properties } : {}),
    });
    for (const child of asArray(node.testsuite as XmlNode[])) visit(child);
  };
  for (const root of roots) visit(root);
  return suites;
}

function readCase(tc: XmlNode): JUnitCase {
  const failure = asArray(tc.failure as unknown[])[0];
  const error = asArray(tc.error as unknown[])[0];
  const skipped = asArray(tc.skipped as unknown[])[0];
  const outcome = failure ?? error;
  const status: JUnitCase['status'] =
    failure !== undefined
      ? 'failed'
      : error !== undefined
        ? 'error'
        : skipped !== undefined
          ? 'skipped'
          : 'passed';
  const time = attr(tc, 'time');
  const line = attr(tc, 'line');
  const result: JUnitCase = { name: attr(tc, 'name') ?? '', status };
  const classname = attr(tc, 'classname');
  if (classname) result.classname = classname;
  if (time !== undefined && time !== '') result.timeSeconds = Number(time);
  if (attr(tc, 'file')) result.file = attr(tc, 'file');
  if (line) result.line = Number(line);
  const message = attr(outcome ?? skipped, 'message');
  if (message) result.message = message;
  const details = text(outcome);
  if (details) result.details = details;
  const out = text(tc['system-out']);
  const err = text(tc['system-err']);
  if (out) result.systemOut = out;
  if (err) result.systemErr = err;
  return result;
}
