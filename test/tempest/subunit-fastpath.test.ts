import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Js } from '../../actions/lib/subunit/crc32.js';
import {
  encodePacket,
  type LocatedPacket,
  SubunitDecoder,
  SubunitParseError,
  type SubunitPacket,
} from '../../actions/lib/subunit/index.js';

/** CRC-32 bit by bit, straight from the polynomial: the slow, obviously right version. */
function crc32Bitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('CRC32', () => {
  it('the table-driven and the dispatching CRC equal the bit-by-bit CRC on any range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length ? a % (bytes.length + 1) : 0;
        const end = start + (bytes.length - start ? b % (bytes.length - start + 1) : 0);
        const expected = crc32Bitwise(bytes.subarray(start, end));
        expect(crc32Js(bytes, start, end)).toBe(expected);
        expect(crc32(bytes, start, end)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('matches zlib and the check value of the standard', () => {
    expect(crc32Js(Buffer.from('123456789'), 0, 9)).toBe(0xcbf43926);
    const big = Buffer.alloc(5000, 0xa5);
    expect(crc32(big, 3, 4999)).toBe(zlibCrc32(big.subarray(3, 4999)));
  });
});

// Few characters, so that consecutive packets often repeat a string or differ from the last one in
// a single byte of the same length: the cases the decoder's per-field string cache must tell apart.
const word = fc
  .array(fc.constantFrom('a', 'b', 'é', '€', '😀', '.', '[', ' '), { maxLength: 8 })
  .map((c) => c.join(''));
const packetArb: fc.Arbitrary<SubunitPacket> = fc.record(
  {
    status: fc.constantFrom('exists', 'inprogress', 'success', 'fail', 'skip'),
    testId: word,
    tags: fc.array(word, { minLength: 1, maxLength: 3 }),
    runnable: fc.boolean(),
    mimeType: word.filter((s) => s.length > 0),
    file: fc.record({ name: word, content: fc.uint8Array({ maxLength: 40 }) }),
    eof: fc.boolean(),
    routeCode: word,
  },
  { requiredKeys: ['runnable', 'eof'] },
);

function decode(bytes: Uint8Array, chunk: number): LocatedPacket[] {
  const packets: LocatedPacket[] = [];
  const decoder = new SubunitDecoder({ packet: (p) => packets.push(p) });
  for (let at = 0; at < bytes.length; at += chunk) decoder.push(bytes.subarray(at, at + chunk));
  decoder.end();
  return packets;
}

describe('decoder string fields', () => {
  it('decode exactly the strings that were encoded, repeated or not', () => {
    fc.assert(
      fc.property(
        fc.array(packetArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 64 }),
        (packets, chunk) => {
          const stream = Buffer.concat(packets.map(encodePacket));
          const decoded = decode(stream, chunk);
          expect(decoded.map((p) => [p.testId, p.tags, p.mimeType, p.file?.name, p.routeCode])).toEqual(
            packets.map((p) => [p.testId, p.tags, p.mimeType, p.file?.name, p.routeCode]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reject a string with a NUL byte or bytes that are not UTF-8, even after the same-length string was accepted', () => {
    for (const [bad, reason] of [
      [Buffer.from('ab\0d'), /test id contains a NUL byte/],
      [Buffer.from([0x61, 0x62, 0xc3, 0x28]), /test id is not UTF-8/],
    ] as const) {
      const good = encodePacket({ testId: 'abcd', status: 'success', runnable: true, eof: false });
      const evil = encodePacket({ testId: 'abcd', status: 'success', runnable: true, eof: false });
      // Patch the id's bytes and re-seal the packet with a valid CRC.
      const idAt = evil.indexOf('abcd');
      bad.copy(evil, idAt);
      evil.writeUInt32BE(crc32(evil, 0, evil.length - 4), evil.length - 4);
      const seen: LocatedPacket[] = [];
      const decoder = new SubunitDecoder({ packet: (p) => seen.push(p) });
      let error: unknown;
      try {
        decoder.push(Buffer.concat([good, evil]));
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(SubunitParseError);
      expect((error as SubunitParseError).message).toMatch(reason);
      // The offset is where the string starts in the stream (the id follows its one-byte length).
      expect((error as SubunitParseError).offset).toBe(good.length + idAt);
      expect(seen.map((p) => p.testId)).toEqual(['abcd']);
    }
  });
});
