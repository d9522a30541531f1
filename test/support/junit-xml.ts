/**
 * A JUnit XML reader for the tests: they read back the reports the actions write (and reference
 * tools' output) to compare them. The actions only write JUnit, so fast-xml-parser is a
 * devDependency and stays out of the bundles.
 */
import { XMLParser } from 'fast-xml-parser';
import type { JUnitCase, JUnitSuite } from '../../actions/lib/reports/junit.js';

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
  // subunit2junitxml writes a skip's reason as the element's text, others as its message.
  const message =
    attr(outcome ?? skipped, 'message') ?? (outcome === undefined ? text(skipped) || undefined : undefined);
  if (message) result.message = message;
  const details = text(outcome);
  if (details) result.details = details;
  const out = text(tc['system-out']);
  const err = text(tc['system-err']);
  if (out) result.systemOut = out;
  if (err) result.systemErr = err;
  return result;
}
