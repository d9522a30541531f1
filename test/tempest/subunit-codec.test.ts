import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodePacket,
  type LocatedPacket,
  MAX_VARINT,
  readSubunit,
  readVarint,
  STATUSES,
  SubunitDecoder,
  SubunitParseError,
  type SubunitPacket,
  varintLength,
  writeVarint,
} from '../../actions/lib/subunit/index.js';

function decodeAll(
  bytes: Uint8Array,
  chunkSizes: number[] = [bytes.length],
): { packets: LocatedPacket[]; text: Buffer[] } {
  const packets: LocatedPacket[] = [];
  const text: Buffer[] = [];
  const decoder = new SubunitDecoder({
    packet: (p) =>
      packets.push({
        ...p,
        ...(p.file ? { file: { name: p.file.name, content: Buffer.from(p.file.content) } } : {}),
      }),
    nonSubunit: (b) => text.push(Buffer.from(b)),
  });
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const size = Math.max(1, chunkSizes[i++ % chunkSizes.length]);
    decoder.push(bytes.subarray(at, at + size));
    at += size;
  }
  decoder.end();
  return { packets, text };
}

const strip = ({ offset: _o, length: _l, ...rest }: LocatedPacket) => rest;

const safeString = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\0'));
const packetArb: fc.Arbitrary<SubunitPacket> = fc.record(
  {
    status: fc.constantFrom(...STATUSES.filter((s) => s !== undefined)),
    testId: safeString,
    timestamp: fc.record({
      seconds: fc.integer({ min: 0, max: 0xffffffff }),
      nanos: fc.integer({ min: 0, max: 999_999_999 }),
    }),
    tags: fc.array(safeString, { minLength: 1, maxLength: 4 }),
    runnable: fc.boolean(),
    mimeType: safeString.filter((s) => s.length > 0),
    file: fc.record({ name: safeString, content: fc.uint8Array({ maxLength: 20_000 }) }),
    eof: fc.boolean(),
    routeCode: safeString,
  },
  { requiredKeys: ['runnable', 'eof'] },
);

describe('variable-length numbers', () => {
  it('round-trip at every size boundary and use the smallest encoding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_VARINT }), (value) => {
        const buffer = new Uint8Array(4);
        const end = writeVarint(buffer, 0, value);
        expect(varintLength(buffer[0])).toBe(end);
        expect(readVarint(buffer, 0)).toBe(value);
        expect(end).toBe(value < 64 ? 1 : value < 16384 ? 2 : value < 4194304 ? 3 : 4);
      }),
    );
  });
});

describe('encoder and decoder', () => {
  it('encode the README example packet byte for byte', () => {
    // "b3 2901 0c 03666f6f 08555f1b": test foo enumeration, runnable.
    const bytes = encodePacket({ testId: 'foo', status: 'exists', runnable: true, eof: false });
    expect(bytes.toString('hex')).toBe('b329010c03666f6f08555f1b');
  });

  it('decode what they encode, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(packetArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }),
        (packets, chunks) => {
          const stream = Buffer.concat(packets.map(encodePacket));
          const { packets: decoded } = decodeAll(stream, chunks);
          const expected = packets.map((p) => ({
            ...p,
            ...(p.tags && p.tags.length === 0 ? { tags: undefined } : {}),
            ...(p.file ? { file: { name: p.file.name, content: Buffer.from(p.file.content) } } : {}),
          }));
          expect(decoded.map(strip)).toEqual(expected);
          let offset = 0;
          for (const p of decoded) {
            expect(p.offset).toBe(offset);
            offset += p.length;
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('writes the same bytes as python-subunit for the same packet', () => {
    const python = `
import sys, datetime, subunit.v2, subunit.iso8601 as iso
out = subunit.v2.StreamResultToBytes(sys.stdout.buffer)
ts = datetime.datetime(2026, 11, 25, 12, 0, 1, 250000, tzinfo=iso.Utc())
out.status(test_id='tempest.api.compute.T.test_x[id-1,smoke]', test_status='inprogress', timestamp=ts, test_tags={'worker-0'}, route_code='0')
out.status(test_id='tempest.api.compute.T.test_x[id-1,smoke]', file_name='traceback', file_bytes=b'Traceback\\n' * 2000, mime_type='text/x-traceback; charset="utf8"; language="python"', eof=True, timestamp=ts)
out.status(test_id='tempest.api.compute.T.test_x[id-1,smoke]', test_status='fail', timestamp=ts)
`;
    const reference = execFileSync('/usr/bin/python3', ['-c', python]);
    const { packets } = decodeAll(reference, [7]);
    expect(packets).toHaveLength(3);
    expect(packets[0]).toMatchObject({
      status: 'inprogress',
      tags: ['worker-0'],
      routeCode: '0',
      timestamp: { seconds: 1795608001, nanos: 250_000_000 },
    });
    expect(packets[1].file!.content.length).toBe(20_000);
    expect(Buffer.concat(packets.map((p) => encodePacket(strip(p))))).toEqual(reference);
  });
});

describe('damaged streams', () => {
  const good = Buffer.concat([
    encodePacket({ testId: 'a.B.test_one', status: 'inprogress', runnable: true, eof: false }),
    encodePacket({ testId: 'a.B.test_one', status: 'success', runnable: true, eof: false }),
    encodePacket({ testId: 'a.B.test_two', status: 'inprogress', runnable: true, eof: false }),
  ]);
  const secondEnd =
    good.length -
    encodePacket({ testId: 'a.B.test_two', status: 'inprogress', runnable: true, eof: false }).length;

  it('a bad CRC stops reading at that packet, with its offset, keeping what came before', async () => {
    const bad = Buffer.from(good);
    bad[secondEnd + 6] ^= 0xff;
    const run = await readSubunit([bad]);
    expect(run.stream.error).toMatchObject({ offset: secondEnd });
    expect(run.stream.error!.message).toMatch(/bad CRC32.*at byte \d+/);
    expect(run.tests.map((t) => [t.id, t.outcome])).toEqual([['a.B.test_one', 'success']]);
  });

  it('a truncated stream reports where the cut packet starts; a test in progress is unfinished', async () => {
    const cut = good.subarray(0, good.length - 3);
    const run = await readSubunit([cut.subarray(0, 10), cut.subarray(10)]);
    expect(run.stream.error).toEqual({
      offset: secondEnd,
      message: expect.stringMatching(/truncated.*at byte/),
    });
    expect(run.tests.map((t) => t.outcome)).toEqual(['success']);

    const whole = await readSubunit([good]);
    expect(whole.stream.error).toBeUndefined();
    expect(whole.tests.map((t) => [t.id, t.outcome])).toEqual([
      ['a.B.test_one', 'success'],
      ['a.B.test_two', 'unfinished'],
    ]);
  });

  it('an unknown version is an error, not a guess', () => {
    const v1 = Buffer.from(good);
    v1[1] = 0x19;
    const decoder = new SubunitDecoder({ packet: () => undefined });
    expect(() => decoder.push(v1)).toThrow(SubunitParseError);
    expect(() => decoder.push(v1)).toThrow(/version 0x1.*at byte 0/);
  });

  it('passes text between packets through, and 0xB3 inside a UTF-8 character is text', () => {
    // "³" is C2 B3 in UTF-8: the B3 there must not start a packet.
    const text = Buffer.from('print ³ here\n');
    const stream = Buffer.concat([text, good.subarray(0, secondEnd), text]);
    const { packets, text: seen } = decodeAll(stream, [3]);
    expect(packets).toHaveLength(2);
    expect(Buffer.concat(seen).toString()).toBe('print ³ here\nprint ³ here\n');
  });
});
