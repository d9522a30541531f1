import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countCases, type JUnitCase, type JUnitSuite, toJUnitXml } from '../../actions/lib/reports/junit.js';
import { referenceJUnitXml } from './support/junit-reference-writer.js';

// Text that mixes the characters every escaping rule cares about with ordinary and astral text,
// lone surrogates and the non-characters U+FFFE/U+FFFF.
const tricky = fc.constantFrom(
  '&',
  '<',
  '>',
  '"',
  "'",
  '\n',
  '\r',
  '\t',
  '\x00',
  '\x1b[31m',
  '\x7f',
  '\x85',
  'é',
  '\ud83d\ude00',
  '\ud800',
  '\udfff',
  '\ufffe',
  '\uffff',
  '\ufffd',
  '&amp;',
  ' ',
  'plain text',
);
const text = fc.oneof(
  fc
    .array(fc.oneof(tricky, fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 12 })
    .map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ maxLength: 30 }),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const caseArb: fc.Arbitrary<JUnitCase> = fc
  .record({
    name: text,
    classname: maybe(text),
    timeSeconds: maybe(fc.double({ min: 0, max: 1e5, noNaN: true })),
    status: fc.constantFrom('passed', 'failed', 'error', 'skipped'),
    message: maybe(text),
    details: maybe(text),
    file: maybe(text),
    line: maybe(fc.integer({ min: 0, max: 10_000 })),
    systemOut: maybe(text),
    systemErr: maybe(text),
  })
  .map(
    (c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as unknown as JUnitCase,
  );

const suiteArb: fc.Arbitrary<JUnitSuite> = fc
  .record({
    name: text,
    cases: fc.array(caseArb, { maxLength: 6 }),
    timestamp: maybe(text),
    timeSeconds: maybe(fc.double({ min: 0, max: 1e5, noNaN: true })),
    properties: maybe(fc.dictionary(text, text, { maxKeys: 3 })),
  })
  .map(
    (s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as unknown as JUnitSuite,
  );

describe('JUnit writer escaping fast path', () => {
  it('writes exactly what the replace-chain writer wrote, for any suites', () => {
    fc.assert(
      fc.property(fc.array(suiteArb, { maxLength: 3 }), maybe(text), (suites, name) => {
        expect(toJUnitXml(suites, name)).toBe(referenceJUnitXml(suites, name));
      }),
      { numRuns: 2000 },
    );
  });

  it('escapes what needs it in text and attributes', () => {
    const xml = toJUnitXml([
      {
        name: 's',
        cases: [
          {
            name: 'a "b" <c> & d\te',
            status: 'failed',
            message: 'x\ny',
            details: 'tb <module> & "q"\x1b[0m\ud800',
          },
        ],
      },
    ]);
    expect(xml).toContain('name="a &quot;b&quot; &lt;c&gt; &amp; d&#9;e"');
    expect(xml).toContain('message="x&#10;y"');
    expect(xml).toContain('>tb &lt;module&gt; &amp; "q"\\x1b[0m\\xd800</failure>');
  });
});

describe('JUnit counts', () => {
  it('counts each status once', () => {
    fc.assert(
      fc.property(fc.array(caseArb, { maxLength: 30 }), (cases) => {
        const of = (s: JUnitCase['status']) => cases.filter((c) => c.status === s).length;
        expect(countCases(cases)).toEqual({
          tests: cases.length,
          failures: of('failed'),
          errors: of('error'),
          skipped: of('skipped'),
          passed: of('passed'),
        });
      }),
    );
  });
});
