import { isUtf8 } from 'node:buffer';
import {
  Flag,
  type LocatedPacket,
  MAX_PACKET_LENGTH,
  SIGNATURE,
  STATUSES,
  type TestStatus,
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

export interface ScannerHandlers {
  /** Called per packet with the scanner's one reusable view: read what you need, copy what you keep. */
  packet(packet: PacketView): void;
  /**
   * Bytes between packets that are not Subunit, e.g. a test printing straight to stdout under
   * `python -m subunit.run`. The reference tools pass these through; so do we. A view valid only
   * during the call.
   */
  nonSubunit?(bytes: Uint8Array, offset: number): void;
}

export interface DecoderHandlers {
  packet(packet: LocatedPacket): void;
  nonSubunit?(bytes: Uint8Array, offset: number): void;
}

const EMPTY = Buffer.alloc(0);
/** Values remembered besides the last one, for fields whose values take turns (a few workers). */
const RECENT_VALUES = 8;

/** The checked bytes of one field value, and its decoded form once someone asked for it. */
interface FieldValue<T> {
  bytes: Buffer;
  length: number;
  value: T | undefined;
}

function sameBytes<T>(entry: FieldValue<T>, data: Buffer, start: number, end: number): boolean {
  const size = end - start;
  if (size !== entry.length) return false;
  const bytes = entry.bytes;
  for (let i = 0; i < size; i++) if (bytes[i] !== data[start + i]) return false;
  return true;
}

/**
 * The last value of one string field (test id, tags, MIME type, file name, route code): its bytes,
 * already checked, and its text once someone asked for it. Consecutive packets mostly repeat these,
 * so most packets decode no string at all. Fields whose values take turns (the tags and route code
 * of interleaved workers, a test's attachment names) also remember the few values before the last,
 * so a value seen recently is neither checked nor decoded again and stays the same object.
 */
class FieldCache<T> {
  private current: FieldValue<T> = { bytes: Buffer.allocUnsafeSlow(256), length: -1, value: undefined };
  private readonly recent: FieldValue<T>[] = [];

  constructor(
    private readonly decode: (bytes: Buffer, start: number, end: number) => T,
    private readonly remember = 0,
  ) {}

  /** True when `data[start, end)` equals the last value; otherwise the caller tries `recall`, then checks and `store`s. */
  matches(data: Buffer, start: number, end: number): boolean {
    return sameBytes(this.current, data, start, end);
  }

  /** Makes a recently seen value the current one again; false when it is not among them. */
  recall(data: Buffer, start: number, end: number): boolean {
    const recent = this.recent;
    for (let i = 0; i < recent.length; i++) {
      if (!sameBytes(recent[i], data, start, end)) continue;
      const found = recent[i];
      recent[i] = this.current;
      this.current = found;
      return true;
    }
    return false;
  }

  store(data: Buffer, start: number, end: number): void {
    const size = end - start;
    let next = this.current;
    if (this.remember > 0 && next.length >= 0) {
      // The current value joins the recent ones; the oldest one's buffer is reused.
      this.recent.unshift(next);
      next =
        this.recent.length > this.remember
          ? this.recent.pop()!
          : { bytes: Buffer.allocUnsafeSlow(256), length: -1, value: undefined };
    }
    if (next.bytes.length < size) next.bytes = Buffer.allocUnsafeSlow(Math.max(size, 2 * next.bytes.length));
    // A loop, not `set(data.subarray(…))`: no Buffer object per changed value, and the strings are short.
    const bytes = next.bytes;
    for (let i = 0; i < size; i++) bytes[i] = data[start + i];
    next.length = size;
    next.value = undefined;
    this.current = next;
  }

  get(): T {
    const current = this.current;
    return (current.value ??= this.decode(current.bytes, 0, current.length));
  }
}

/** UTF-8 that was checked already (ASCII decodes faster as Latin-1, which is the same there). */
function decodeText(bytes: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) if (bytes[i] > 0x7f) return bytes.toString('utf8', start, end);
  return bytes.toString('latin1', start, end);
}

/** The tags part of a packet (count, then each tag): checked when scanned. */
function decodeTags(bytes: Buffer, start: number): readonly string[] {
  let pos = start;
  const count = readVarint(bytes, pos);
  pos += varintLength(bytes[pos]);
  const tags: string[] = [];
  for (let i = 0; i < count; i++) {
    const size = readVarint(bytes, pos);
    pos += varintLength(bytes[pos]);
    tags.push(decodeText(bytes, pos, pos + size));
    pos += size;
  }
  return Object.freeze(tags);
}

/**
 * One packet, as the scanner hands it out: numbers read, string fields checked but decoded only
 * when read (and then once per distinct value). The scanner reuses this object and the bytes it
 * points into: it is valid only during the `packet` call.
 */
export class PacketView {
  /** Stream offset of the packet and its length (signature to CRC). */
  offset = 0;
  length = 0;
  flags = 0;
  /** The timestamp, when `hasTimestamp`. */
  seconds = 0;
  nanos = 0;
  /** The bytes the packet sits in: a file chunk is `data[fileStart, fileEnd)`. */
  data: Buffer = EMPTY;
  fileStart = 0;
  fileEnd = 0;

  /** @internal */ constructor(private readonly fields: PacketFields) {}

  get status(): TestStatus | undefined {
    return STATUSES[this.flags & Flag.statusMask];
  }
  get runnable(): boolean {
    return (this.flags & Flag.runnable) !== 0;
  }
  get eof(): boolean {
    return (this.flags & Flag.eof) !== 0;
  }
  get hasTimestamp(): boolean {
    return (this.flags & Flag.timestamp) !== 0;
  }
  get hasFile(): boolean {
    return (this.flags & Flag.fileContent) !== 0;
  }
  get testId(): string | undefined {
    return this.flags & Flag.testId ? this.fields.testId.get() : undefined;
  }
  /** The same (frozen) array for as long as consecutive packets carry the same tags. */
  get tags(): readonly string[] | undefined {
    return this.flags & Flag.tags ? this.fields.tags.get() : undefined;
  }
  get mimeType(): string | undefined {
    return this.flags & Flag.mimeType ? this.fields.mimeType.get() : undefined;
  }
  get fileName(): string | undefined {
    return this.flags & Flag.fileContent ? this.fields.fileName.get() : undefined;
  }
  get routeCode(): string | undefined {
    return this.flags & Flag.routeCode ? this.fields.routeCode.get() : undefined;
  }
}

interface PacketFields {
  testId: FieldCache<string>;
  tags: FieldCache<readonly string[]>;
  mimeType: FieldCache<string>;
  fileName: FieldCache<string>;
  routeCode: FieldCache<string>;
}

// Signature, two flag bytes and the first length byte tell how long the header is.
const MIN_PREFIX = 4;
// Bytes taken to complete a held header: more than the longest header (6 bytes).
const HEADER_PEEK = 64;

/**
 * An incremental Subunit v2 reader: push chunks as they arrive, get a view of each packet. A chunk
 * is not kept after `push` returns (a packet cut between chunks is copied into the scanner's own
 * buffer), so the caller may reuse it; memory is bounded by the largest packet (< 4 MiB).
 */
export class SubunitScanner {
  /** A packet (or header) cut at the end of a chunk, waiting for the rest. */
  private carry: Buffer = Buffer.allocUnsafe(1 << 16);
  private carryLength = 0;
  /** Bytes the carried packet needs before it can be decoded (0 while its length is unknown). */
  private needed = 0;
  /** Stream offset of the first carried byte, or of the next byte pushed when nothing is carried. */
  private offset = 0;
  /** UTF-8 continuation bytes still expected inside non-Subunit text: 0xB3 there is text. */
  private utf8Pending = 0;
  private failed: SubunitParseError | undefined;
  private readonly fields: PacketFields = {
    testId: new FieldCache(decodeText),
    tags: new FieldCache(decodeTags, RECENT_VALUES),
    mimeType: new FieldCache(decodeText, RECENT_VALUES),
    fileName: new FieldCache(decodeText, RECENT_VALUES),
    routeCode: new FieldCache(decodeText, RECENT_VALUES),
  };
  private readonly view = new PacketView(this.fields);

  constructor(private readonly handlers: ScannerHandlers) {}

  /** Bytes consumed so far (complete packets and non-Subunit text). */
  get bytesRead(): number {
    return this.offset;
  }

  push(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    const data = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    try {
      // Complete a carried packet with just the bytes it lacks, so a large chunk is never copied whole.
      while (this.carryLength > 0 && pos < data.length) {
        const want = this.needed > 0 ? this.needed - this.carryLength : HEADER_PEEK;
        const take = Math.min(want, data.length - pos);
        this.appendCarry(data, pos, pos + take);
        pos += take;
        if (take < want && this.needed > 0) return;
        const length = this.carryLength;
        this.carryLength = 0;
        this.needed = 0;
        this.consume(this.carry, 0, length);
      }
      if (pos < data.length) this.consume(data, pos, data.length);
    } catch (err) {
      if (err instanceof SubunitParseError) this.failed = err;
      throw err;
    }
  }

  /** Call at the end of the stream: a packet cut short is an error. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.carryLength === 0) return;
    const expected = this.needed > 0 ? ` of ${this.needed}` : '';
    this.failed = new SubunitParseError(
      `stream truncated: the last packet has only ${this.carryLength}${expected} bytes`,
      this.offset,
    );
    throw this.failed;
  }

  private appendCarry(data: Buffer, start: number, end: number): void {
    const size = this.carryLength + end - start;
    if (this.carry.length < size) {
      const grown = Buffer.allocUnsafe(Math.max(size, 2 * this.carry.length));
      this.carry.copy(grown, 0, 0, this.carryLength);
      this.carry = grown;
    }
    data.copy(this.carry, this.carryLength, start, end);
    this.carryLength = size;
  }

  /** Keeps `data[from, end)` for the next chunk (it may be the carry buffer itself). */
  private hold(data: Buffer, from: number, end: number, needed: number): void {
    if (data === this.carry) {
      this.carry.copyWithin(0, from, end);
      this.carryLength = end - from;
    } else {
      this.carryLength = 0;
      this.appendCarry(data, from, end);
    }
    this.needed = needed;
  }

  private consume(data: Buffer, start: number, end: number): void {
    let pos = start;
    while (pos < end) {
      if (data[pos] !== SIGNATURE || this.utf8Pending > 0) {
        pos = this.skipText(data, pos, end);
        continue;
      }
      if (end - pos < MIN_PREFIX) return this.hold(data, pos, end, 0);
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
      if (end - pos < 3 + lengthSize) return this.hold(data, pos, end, 0);
      const packetLength = readVarint(data, pos + 3);
      if (packetLength < 3 + lengthSize + 4 || packetLength > MAX_PACKET_LENGTH) {
        throw new SubunitParseError(`impossible packet length ${packetLength}`, this.offset);
      }
      if (end - pos < packetLength) return this.hold(data, pos, end, packetLength);
      this.scanPacket(data, pos, packetLength, flags, 3 + lengthSize);
      this.handlers.packet(this.view);
      pos += packetLength;
      this.offset += packetLength;
    }
  }

  private skipText(data: Buffer, from: number, end: number): number {
    let pos = from;
    let pending = this.utf8Pending;
    for (; pos < end; pos++) {
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

  // Field reading state of the packet being scanned (fields, not objects: this runs per packet).
  private data: Buffer = EMPTY;
  private pos = 0;
  private packetEnd = 0;
  /** Add to a position in `data` to get the stream offset. */
  private base = 0;

  /** Checks the CRC and every field, and points the view at them. */
  private scanPacket(data: Buffer, start: number, length: number, flags: number, headerLength: number): void {
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
    const view = this.view;
    view.offset = offset;
    view.length = length;
    view.flags = flags;
    view.data = data;
    if (flags & Flag.timestamp) {
      if (this.pos + 4 > this.packetEnd) this.overrun('timestamp');
      view.seconds = u32(data, this.pos);
      this.pos += 4;
      view.nanos = this.readNumber('timestamp');
    }
    if (flags & Flag.testId) this.scanString(this.fields.testId, 'test id');
    if (flags & Flag.tags) this.scanTags();
    if (flags & Flag.mimeType) this.scanString(this.fields.mimeType, 'MIME type');
    if (flags & Flag.fileContent) {
      this.scanString(this.fields.fileName, 'file name');
      const size = this.readNumber('file length');
      if (this.pos + size > this.packetEnd)
        this.overrun(`file ${JSON.stringify(this.fields.fileName.get())}`);
      view.fileStart = this.pos;
      view.fileEnd = this.pos += size;
    }
    if (flags & Flag.routeCode) this.scanString(this.fields.routeCode, 'route code');
    if (this.pos !== this.packetEnd) {
      throw new SubunitParseError(
        `corrupt packet: ${this.packetEnd - this.pos} bytes left over after the fields its flags announce`,
        this.pos + this.base,
      );
    }
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

  /** Moves past one string, checking it unless it repeats the field's last value. */
  private scanString(cache: FieldCache<string>, what: string): void {
    const at = this.skipString(what);
    const end = this.pos;
    if (!cache.matches(this.data, at, end) && !cache.recall(this.data, at, end)) {
      this.checkText(at, end, what);
      cache.store(this.data, at, end);
    }
  }

  /** The tags part (count, then the strings) is cached as one value: checked only when it changed. */
  private scanTags(): void {
    const start = this.pos;
    const count = this.readNumber('tag count');
    const first = this.pos;
    for (let i = 0; i < count; i++) this.skipString(i === 0 ? 'tag' : 'other tag');
    const tags = this.fields.tags;
    if (tags.matches(this.data, start, this.pos) || tags.recall(this.data, start, this.pos)) return;
    const end = this.pos;
    this.pos = first;
    for (let i = 0; i < count; i++) {
      const what = i === 0 ? 'tag' : 'other tag';
      const at = this.skipString(what);
      this.checkText(at, this.pos, what);
    }
    tags.store(this.data, start, end);
  }

  /** Moves past a string; returns where its bytes start. */
  private skipString(what: string): number {
    const size = this.readNumber(what);
    const at = this.pos;
    if (at + size > this.packetEnd) this.overrun(what);
    this.pos = at + size;
    return at;
  }

  /** Subunit strings are UTF-8 without NUL. */
  private checkText(at: number, end: number, what: string): void {
    const data = this.data;
    let ascii = true;
    for (let i = at; i < end; i++) {
      const byte = data[i];
      if (byte === 0)
        throw new SubunitParseError(`corrupt packet: ${what} contains a NUL byte`, at + this.base);
      if (byte > 0x7f) ascii = false;
    }
    if (!ascii && !isUtf8(data.subarray(at, end)))
      throw new SubunitParseError(`corrupt packet: ${what} is not UTF-8`, at + this.base);
  }
}

/**
 * The scanner with a plain object per packet (for merges, progress lines and tests): strings
 * decoded, file content copied, so a packet may be kept. The results collector reads views instead.
 */
export class SubunitDecoder {
  private readonly scanner: SubunitScanner;

  constructor(handlers: DecoderHandlers) {
    this.scanner = new SubunitScanner({
      packet: (view) => handlers.packet(toPacket(view)),
      ...(handlers.nonSubunit ? { nonSubunit: handlers.nonSubunit } : {}),
    });
  }

  get bytesRead(): number {
    return this.scanner.bytesRead;
  }

  push(chunk: Uint8Array): void {
    this.scanner.push(chunk);
  }

  end(): void {
    this.scanner.end();
  }
}

/** A packet object from a view: every field present, in one order (one object shape for all packets). */
function toPacket(view: PacketView): LocatedPacket {
  const tags = view.tags;
  return {
    offset: view.offset,
    length: view.length,
    status: view.status,
    testId: view.testId,
    timestamp: view.hasTimestamp ? { seconds: view.seconds, nanos: view.nanos } : undefined,
    tags: tags === undefined ? undefined : [...tags],
    runnable: view.runnable,
    mimeType: view.mimeType,
    file: view.hasFile
      ? { name: view.fileName!, content: Buffer.from(view.data.subarray(view.fileStart, view.fileEnd)) }
      : undefined,
    eof: view.eof,
    routeCode: view.routeCode,
  };
}

function u32(data: Uint8Array, at: number): number {
  return ((data[at] << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3]) >>> 0;
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}
