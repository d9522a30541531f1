import { isUtf8 } from 'node:buffer';
import {
  Flag,
  type LocatedPacket,
  MAX_PACKET_LENGTH,
  SIGNATURE,
  STATUSES,
  type SubunitTime,
  VERSION_2,
  VERSION_MASK,
} from './packet.js';
import { crc32 } from './crc32.js';
import { readVarint, varintLength } from './varint.js';

/** A stream that is not valid Subunit v2 from `offset` on. Everything before it was delivered. */
export class SubunitParseError extends Error {
  override readonly name = 'SubunitParseError';
  constructor(
    readonly reason: string,
    /** Byte offset in the stream of the packet (or byte) that could not be read. */
    readonly offset: number,
  ) {
    super(`${reason} (at byte ${offset})`);
  }
}

export interface DecoderHandlers {
  packet(packet: LocatedPacket): void;
  /**
   * Bytes between packets that are not Subunit, e.g. a test printing straight to stdout under
   * `python -m subunit.run`. The reference tools pass these through; so do we.
   */
  nonSubunit?(bytes: Uint8Array, offset: number): void;
}

/** The string fields of a packet, each with its own one-entry cache. */
const Field = { testId: 0, tag: 1, otherTag: 2, mimeType: 3, fileName: 4, routeCode: 5 } as const;
type Field = (typeof Field)[keyof typeof Field];
const FIELD_NAMES = ['test id', 'tag', 'other tag', 'MIME type', 'file name', 'route code'];

// Signature, two flag bytes and the first length byte tell how long the header is.
const MIN_PREFIX = 4;
const EMPTY = Buffer.alloc(0);
// Bytes taken to complete a held header: more than the longest header (6 bytes).
const HEADER_PEEK = 64;

/**
 * An incremental Subunit v2 decoder: push chunks as they arrive, get packets through the handler.
 * Memory is bounded by the largest packet (< 4 MiB), whatever the size of the stream.
 */
export class SubunitDecoder {
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Bytes the held packet needs before it can be decoded (0 while its length is unknown). */
  private needed = 0;
  /** Stream offset of the first held byte, or of the next byte pushed when nothing is held. */
  private offset = 0;
  /** UTF-8 continuation bytes still expected inside non-Subunit text: 0xB3 there is text. */
  private utf8Pending = 0;
  private failed: SubunitParseError | undefined;
  /** The last string seen per field: consecutive packets mostly repeat the test id, tags, MIME type. */
  // Each field's bytes live in a reused buffer: a fresh typed array per new string would cost an
  // off-heap allocation and garbage-collector work for every test.
  private readonly lastBytes: Uint8Array[] = FIELD_NAMES.map(() => new Uint8Array(64));
  private readonly lastLength: number[] = FIELD_NAMES.map(() => -1);
  private readonly lastText: string[] = FIELD_NAMES.map(() => '');

  constructor(private readonly handlers: DecoderHandlers) {}

  /** Bytes consumed so far (complete packets and non-Subunit text). */
  get bytesRead(): number {
    return this.offset;
  }

  push(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    let data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    try {
      // Complete a held packet with just the bytes it lacks, so a large chunk is never copied whole.
      while (this.heldBytes > 0 && data.length > 0) {
        const take = this.needed > 0 ? this.needed - this.heldBytes : Math.min(HEADER_PEEK, data.length);
        if (data.length < take) {
          this.held.push(data);
          this.heldBytes += data.length;
          return;
        }
        const joined = Buffer.concat([...this.held, data.subarray(0, take)], this.heldBytes + take);
        this.held = [];
        this.heldBytes = 0;
        this.needed = 0;
        data = data.subarray(take);
        this.consume(joined);
      }
      if (data.length > 0) this.consume(data);
    } catch (err) {
      if (err instanceof SubunitParseError) this.failed = err;
      throw err;
    }
  }

  /** Call at the end of the stream: a packet cut short is an error. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.heldBytes === 0) return;
    const head = Buffer.concat(this.held, this.heldBytes);
    const expected = this.needed > 0 ? ` of ${this.needed}` : '';
    this.failed = new SubunitParseError(
      `stream truncated: the last packet has only ${head.length}${expected} bytes`,
      this.offset,
    );
    throw this.failed;
  }

  private consume(data: Buffer): void {
    const length = data.length;
    let pos = 0;
    while (pos < length) {
      if (data[pos] !== SIGNATURE || this.utf8Pending > 0) {
        pos = this.skipText(data, pos);
        continue;
      }
      if (length - pos < MIN_PREFIX) return this.hold(data, pos, 0);
      const flags = (data[pos + 1] << 8) | data[pos + 2];
      if ((flags & VERSION_MASK) !== VERSION_2) {
        throw new SubunitParseError(
          `unsupported packet version 0x${((flags & VERSION_MASK) >>> 12).toString(16)} (expected 0x2)`,
          this.offset,
        );
      }
      const lengthSize = varintLength(data[pos + 3]);
      if (lengthSize > 3)
        throw new SubunitParseError(
          'packet length uses 4 bytes (at most 3 are allowed: packets are < 4 MiB)',
          this.offset,
        );
      if (length - pos < 3 + lengthSize) return this.hold(data, pos, 0);
      const packetLength = readVarint(data, pos + 3);
      if (packetLength < 3 + lengthSize + 4 || packetLength > MAX_PACKET_LENGTH) {
        throw new SubunitParseError(`impossible packet length ${packetLength}`, this.offset);
      }
      if (length - pos < packetLength) return this.hold(data, pos, packetLength);
      this.handlers.packet(this.decode(data, pos, packetLength, flags, 3 + lengthSize));
      pos += packetLength;
      this.offset += packetLength;
    }
  }

  private hold(data: Buffer, from: number, needed: number): void {
    const rest = data.subarray(from);
    this.held = [rest];
    this.heldBytes = rest.length;
    this.needed = needed;
  }

  private skipText(data: Buffer, from: number): number {
    let pos = from;
    let pending = this.utf8Pending;
    for (; pos < data.length; pos++) {
      const byte = data[pos];
      if (pending === 0 && byte === SIGNATURE) break;
      if (byte < 0x80) pending = 0;
      else if (byte < 0xc0) pending = pending > 0 ? pending - 1 : 0;
      else if (byte < 0xe0) pending = 1;
      else if (byte < 0xf0) pending = 2;
      else if (byte < 0xf8) pending = 3;
      else pending = 0;
    }
    this.utf8Pending = pending;
    this.handlers.nonSubunit?.(data.subarray(from, pos), this.offset);
    this.offset += pos - from;
    return pos;
  }

  // Field reading state of the packet being decoded (fields, not objects: this runs per packet).
  private data: Buffer = EMPTY;
  private pos = 0;
  private packetEnd = 0;
  /** Add to a position in `data` to get the stream offset. */
  private base = 0;

  private decode(
    data: Buffer,
    start: number,
    length: number,
    flags: number,
    headerLength: number,
  ): LocatedPacket {
    const offset = this.offset;
    const end = start + length - 4;
    const stored = u32(data, end);
    const computed = crc32(data, start, end);
    if (stored !== computed) {
      throw new SubunitParseError(
        `bad CRC32: stored 0x${hex(stored)}, computed 0x${hex(computed)} over ${length - 4} bytes`,
        offset,
      );
    }
    this.data = data;
    this.pos = start + headerLength;
    this.packetEnd = end;
    this.base = offset - start;
    // Every field present, in one order: one object shape for all packets keeps consumers fast.
    const packet: LocatedPacket = {
      offset,
      length,
      status: STATUSES[flags & Flag.statusMask],
      testId: undefined,
      timestamp: undefined,
      tags: undefined,
      runnable: (flags & Flag.runnable) !== 0,
      mimeType: undefined,
      file: undefined,
      eof: (flags & Flag.eof) !== 0,
      routeCode: undefined,
    };
    if (flags & Flag.timestamp) packet.timestamp = this.readTimestamp();
    if (flags & Flag.testId) packet.testId = this.readString(Field.testId);
    if (flags & Flag.tags) {
      const count = this.readNumber('tag count');
      const tags: string[] = [];
      for (let i = 0; i < count; i++) tags.push(this.readString(i === 0 ? Field.tag : Field.otherTag));
      packet.tags = tags;
    }
    if (flags & Flag.mimeType) packet.mimeType = this.readString(Field.mimeType);
    if (flags & Flag.fileContent) {
      const name = this.readString(Field.fileName);
      const size = this.readNumber('file length');
      packet.file = { name, content: this.readFileContent(size, name) };
    }
    if (flags & Flag.routeCode) packet.routeCode = this.readString(Field.routeCode);
    if (this.pos !== this.packetEnd) {
      throw new SubunitParseError(
        `corrupt packet: ${this.packetEnd - this.pos} bytes left over after the fields its flags announce`,
        this.pos + this.base,
      );
    }
    this.data = EMPTY;
    return packet;
  }

  private overrun(what: string): never {
    throw new SubunitParseError(
      `corrupt packet: ${what} runs past the end of the packet`,
      this.pos + this.base,
    );
  }

  private readNumber(what: string): number {
    if (this.pos >= this.packetEnd) this.overrun(what);
    const size = varintLength(this.data[this.pos]);
    if (this.pos + size > this.packetEnd) this.overrun(what);
    const value = readVarint(this.data, this.pos);
    this.pos += size;
    return value;
  }

  private readFileContent(size: number, name: string): Buffer {
    if (this.pos + size > this.packetEnd) this.overrun(`file ${JSON.stringify(name)}`);
    const view = this.data.subarray(this.pos, this.pos + size);
    this.pos += size;
    return view;
  }

  private readString(field: Field): string {
    const what = FIELD_NAMES[field];
    const size = this.readNumber(what);
    const at = this.pos;
    const end = at + size;
    if (end > this.packetEnd) this.overrun(what);
    this.pos = end;
    const data = this.data;
    let last = this.lastBytes[field];
    if (this.lastLength[field] === size) {
      let i = 0;
      while (i < size && last[i] === data[at + i]) i++;
      if (i === size) return this.lastText[field];
    }
    // One pass for the common case: ASCII without NUL, where latin1 decoding is UTF-8 decoding.
    let ascii = true;
    for (let i = at; i < end; i++) {
      const byte = data[i];
      if (byte === 0)
        throw new SubunitParseError(`corrupt packet: ${what} contains a NUL byte`, at + this.base);
      if (byte > 0x7f) ascii = false;
    }
    let text: string;
    if (ascii) text = data.toString('latin1', at, end);
    else if (isUtf8(data.subarray(at, end))) text = data.toString('utf8', at, end);
    else throw new SubunitParseError(`corrupt packet: ${what} is not UTF-8`, at + this.base);
    if (size <= 1024) {
      // A copy, so the cache does not keep the chunk it came from alive.
      if (last.length < size) last = this.lastBytes[field] = new Uint8Array(1024);
      for (let i = 0; i < size; i++) last[i] = data[at + i];
      this.lastLength[field] = size;
      this.lastText[field] = text;
    }
    return text;
  }

  private readTimestamp(): SubunitTime {
    if (this.pos + 4 > this.packetEnd) this.overrun('timestamp');
    const seconds = u32(this.data, this.pos);
    this.pos += 4;
    return { seconds, nanos: this.readNumber('timestamp') };
  }
}

function u32(data: Uint8Array, at: number): number {
  return ((data[at] << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3]) >>> 0;
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}
