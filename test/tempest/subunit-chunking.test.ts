/**
 * The scanner and the results collector keep nothing of the chunks they are given (the file reader
 * reuses one buffer): whatever the split points, and even when every chunk is read into the same
 * buffer, a stream gives the same results as in one piece. Also: the report files written in pieces
 * equal the documents built in memory.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JUnitSuite, toJUnitXml, writeJUnitXml } from '../../actions/lib/reports/junit.js';
import {
  encodePacket,
  filePackets,
  readSubunit,
  subunitJUnitSource,
  subunitToJUnit,
  type SubunitPacket,
  type TestResult,
} from '../../actions/lib/subunit/index.js';
import { writeTimings } from '../../actions/tempest/timings.js';

const ids = fc.constantFrom('a.B.test_one', 'a.B.test_two', 'c.D.test_é', 'setUpClass (a.B)');
const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\0'));

/** Packets of a few interleaved tests: progress, attachments in several chunks, final statuses. */
const packetsArb: fc.Arbitrary<SubunitPacket[]> = fc
  .array(
    fc.oneof(
      fc.record({
        testId: ids,
        status: fc.constantFrom('exists', 'inprogress', 'success', 'fail', 'skip', 'uxsuccess', 'xfail'),
        tags: fc.array(fc.constantFrom('worker-0', 'worker-1', 'smoke'), { maxLength: 2 }),
        routeCode: fc.constantFrom('0', '1', '0/1'),
        timestamp: fc.record({ seconds: fc.integer({ min: 0, max: 2000 }), nanos: fc.nat(999_999_999) }),
      }),
      fc.record({
        testId: ids,
        name: fc.constantFrom('traceback', 'stdout', "pythonlogging:''", 'reason'),
        mimeType: fc.constantFrom('text/plain; charset="utf8"', 'text/x-traceback; charset="utf8"'),
        content: text,
        chunkBytes: fc.integer({ min: 1, max: 16 }),
      }),
    ),
    { minLength: 1, maxLength: 30 },
  )
  .map((items) =>
    items.flatMap((item): SubunitPacket[] =>
      'name' in item
        ? filePackets(
            { testId: item.testId, runnable: true, mimeType: item.mimeType },
            item.name,
            Buffer.from(item.content),
            item.chunkBytes,
          )
        : [{ ...item, runnable: true, eof: false }],
    ),
  );

/** Splits `bytes` at `cuts` (positions, any order), copying every piece into one reused buffer as a file reader does. */
function* reusedChunks(bytes: Buffer, cuts: number[]): Generator<Uint8Array> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const buffer = Buffer.alloc(bytes.length);
  let from = 0;
  for (const to of [...points, bytes.length]) {
    if (to <= from) continue;
    bytes.copy(buffer, 0, from, to);
    yield buffer.subarray(0, to - from);
    buffer.fill(0xb3); // whatever was kept of the previous chunk would now read as garbage
    from = to;
  }
}

describe('reading a stream in chunks', () => {
  it('gives the same results at any split points, with every chunk in the same reused buffer', async () => {
    await fc.assert(
      fc.asyncProperty(
        packetsArb,
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.string({ maxLength: 5 }),
        fc.integer({ min: 1, max: 40 }),
        async (packets, cuts, between, maxAttachmentBytes) => {
          // Plain text between packets (a test printing to stdout) must come through the same too.
          const parts = packets.map(encodePacket);
          const stream = Buffer.concat(parts.flatMap((p, i) => (i === 1 ? [Buffer.from(between), p] : [p])));
          const options = { maxAttachmentBytes };
          const whole = await readSubunit([Buffer.from(stream)], options);
          const chunked = await readSubunit(reusedChunks(stream, cuts), options);
          expect(chunked).toEqual(whole);
          expect(whole.stream.error).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the tail of a long attachment and counts the bytes dropped before it', async () => {
    const content = Buffer.from(
      Array.from({ length: 500 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(''),
    );
    const stream = Buffer.concat(
      [
        ...filePackets({ testId: 'a.B.test_x', runnable: true }, 'traceback', content, 7),
        { testId: 'a.B.test_x', status: 'fail', runnable: true, eof: false } as const,
      ].map(encodePacket),
    );
    for (const max of [1, 6, 7, 8, 50, 499, 500, 1000]) {
      const run = await readSubunit(reusedChunks(stream, [3, 40, 41, 300]), { maxAttachmentBytes: max });
      const [attachment] = run.tests[0].attachments;
      const kept = Math.min(max, content.length);
      expect(attachment.text).toBe(content.subarray(content.length - kept).toString());
      expect(attachment.droppedBytes).toBe(content.length - kept);
    }
  });
});

describe('report files written in pieces', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tempest-files-'));

  it('the JUnit file is the document toJUnitXml builds', () => {
    const caseArb = fc.record(
      {
        name: fc.string({ maxLength: 30 }),
        classname: fc.string({ maxLength: 10 }),
        timeSeconds: fc.double({ min: 0, max: 1e4, noNaN: true }),
        status: fc.constantFrom('passed', 'failed', 'error', 'skipped'),
        message: fc.string({ maxLength: 20 }),
        details: fc.string({ maxLength: 3000 }),
        systemOut: fc.string({ maxLength: 30_000 }),
      },
      { requiredKeys: ['name', 'status'] },
    );
    const suiteArb: fc.Arbitrary<JUnitSuite> = fc.record(
      {
        name: fc.string({ maxLength: 10 }),
        cases: fc.array(caseArb, { maxLength: 40 }),
        properties: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
      },
      { requiredKeys: ['name', 'cases'] },
    );
    fc.assert(
      fc.property(fc.array(suiteArb, { maxLength: 3 }), (suites) => {
        const file = path.join(dir, 'junit.xml');
        writeJUnitXml(file, suites, 'tempest');
        expect(readFileSync(file, 'utf8')).toBe(toJUnitXml(suites, 'tempest'));
      }),
      { numRuns: 50 },
    );
  });

  it('a suite made while written equals the one built in memory', async () => {
    await fc.assert(
      fc.asyncProperty(packetsArb, fc.boolean(), async (packets, timed) => {
        const run = await readSubunit([Buffer.concat(packets.map(encodePacket))]);
        if (!timed) delete run.startMs;
        const options = {
          suiteName: 'tempest',
          note: (t: TestResult) => (t.outcome === 'fail' ? 'known failure: bug 1' : undefined),
          properties: { profile: 'dev' },
        };
        const file = path.join(dir, 'source.xml');
        writeJUnitXml(file, [subunitJUnitSource(run, options)], 'tempest');
        expect(readFileSync(file, 'utf8')).toBe(toJUnitXml(subunitToJUnit(run, options), 'tempest'));
      }),
      { numRuns: 100 },
    );
  });

  it('the timings file is the JSON of the durations, sorted by test id, one entry a line', () => {
    // Keys that are array indices would be ordered first by an object; test ids never look like that.
    const id = fc.string({ maxLength: 300 }).filter((s) => !/^(0|[1-9]\d*)$/.test(s));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(id, fc.option(fc.double({ min: 0, max: 1e7, noNaN: true }))), { maxLength: 400 }),
        (items) => {
          const tests = items.map(([id, ms]): TestResult => ({
            id,
            outcome: 'success',
            previous: [],
            tags: [],
            attachments: [],
            ...(ms === null ? {} : { durationMs: ms }),
          }));
          const file = path.join(dir, 'timings.json');
          writeTimings(file, tests);
          // What the writer did before it wrote in pieces.
          const durations = new Map<string, number>();
          for (const t of tests) if (t.durationMs !== undefined) durations.set(t.id, t.durationMs / 1000);
          const sorted = [...durations].sort(([a], [b]) => (a < b ? -1 : 1));
          const expected = `${JSON.stringify(Object.fromEntries(sorted.map(([k, s]) => [k, Math.round(s * 1000) / 1000])), null, 1)}\n`;
          expect(readFileSync(file, 'utf8')).toBe(expected);
        },
      ),
      { numRuns: 100 },
    );
  });
});
