import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3, the one Subunit v2 uses) of `data[start, end)`.
 *
 * zlib's native CRC (Node ≥ 20.15 / 22.2) is the fastest per byte but costs a fixed call overhead of
 * roughly the time to checksum a couple of hundred bytes in JavaScript; many Subunit packets are that
 * small (status packets), so those are checksummed here with slice-by-8 tables.
 */
export function crc32(data: Uint8Array, start: number, end: number): number {
  return end - start >= NATIVE_FROM && nativeCrc32 !== undefined
    ? // A plain view, not `subarray`: a Buffer's subarray is a Buffer, made by a slower constructor.
      nativeCrc32(new Uint8Array(data.buffer, data.byteOffset + start, end - start))
    : crc32Js(data, start, end);
}

/** Packet size from which the native CRC beats the JavaScript one (Node 24, Maglev-compiled code: ~150–200 bytes). */
const NATIVE_FROM = 192;

// `import { crc32 } from 'node:zlib'` would fail to link on a Node without it, so look it up.
const nativeCrc32: ((data: Uint8Array) => number) | undefined =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (zlib as unknown as { crc32: (data: Uint8Array) => number }).crc32
    : undefined;

/** 8 tables of 256 entries: T[k][b] is the CRC of byte b followed by k zero bytes. */
const TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** The table-driven CRC (exported for the tests that hold it to a bit-by-bit reference). */
export function crc32Js(data: Uint8Array, start: number, end: number): number {
  const t = TABLES;
  let crc = -1;
  let i = start;
  for (const last8 = end - 8; i <= last8; i += 8) {
    const a = crc ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    crc =
      t[1792 + (a & 0xff)] ^
      t[1536 + ((a >>> 8) & 0xff)] ^
      t[1280 + ((a >>> 16) & 0xff)] ^
      t[1024 + (a >>> 24)] ^
      t[768 + data[i + 4]] ^
      t[512 + data[i + 5]] ^
      t[256 + data[i + 6]] ^
      t[data[i + 7]];
  }
  for (; i < end; i++) crc = t[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
