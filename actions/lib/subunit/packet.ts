/**
 * The Subunit v2 packet model (testing-cabal/subunit README, "Version 2"):
 *
 *   PACKET := SIGNATURE FLAGS PACKET_LENGTH TIMESTAMP? TESTID? TAGS? MIME? FILECONTENT? ROUTING_CODE? CRC32
 *
 * SIGNATURE is 0xB3; FLAGS is 16 bits, network order, version 0x2 in the top nibble; PACKET_LENGTH
 * counts the whole packet (signature to CRC) and is at most 4 MiB - 1; CRC32 covers every byte
 * before it.
 */
export const SIGNATURE = 0xb3;
export const VERSION_2 = 0x2000;
export const VERSION_MASK = 0xf000;
export const MAX_PACKET_LENGTH = 4_194_303;

export const Flag = {
  testId: 0x0800,
  routeCode: 0x0400,
  timestamp: 0x0200,
  runnable: 0x0100,
  tags: 0x0080,
  fileContent: 0x0040,
  mimeType: 0x0020,
  eof: 0x0010,
  /** Must be zero in version 2. */
  reserved: 0x0008,
  statusMask: 0x0007,
} as const;

/** Bits 0-2 of the flags. `undefined` (0) means the packet carries no status (e.g. only a file). */
export const STATUSES = [
  undefined,
  'exists',
  'inprogress',
  'success',
  'uxsuccess',
  'skip',
  'fail',
  'xfail',
] as const;
export type TestStatus = Exclude<(typeof STATUSES)[number], undefined>;

/** Seconds and nanoseconds since the Unix epoch, UTC, exactly as on the wire. */
export interface SubunitTime {
  seconds: number;
  nanos: number;
}

export function timeToMs(time: SubunitTime): number {
  return time.seconds * 1000 + time.nanos / 1e6;
}

export function msToTime(ms: number): SubunitTime {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6)) };
}

export interface SubunitPacket {
  status?: TestStatus;
  testId?: string;
  timestamp?: SubunitTime;
  tags?: string[];
  runnable: boolean;
  mimeType?: string;
  /**
   * A chunk of an attachment. `SubunitDecoder` hands out a copy (the scanner under it reuses its
   * buffers), so a packet may be kept.
   */
  file?: { name: string; content: Uint8Array };
  /** The last chunk of the file named in this packet. */
  eof: boolean;
  routeCode?: string;
}

/** A decoded packet and where it sat in the stream. */
export interface LocatedPacket extends SubunitPacket {
  offset: number;
  length: number;
}
