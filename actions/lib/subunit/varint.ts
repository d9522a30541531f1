/**
 * Subunit v2 variable-length numbers: the top two bits of the first byte say how many bytes follow
 * (00 → 1 byte, 01 → 2, 10 → 3, 11 → 4); the rest is the value, most significant byte first.
 */
export const MAX_VARINT = 0x3fffffff;

export function varintSize(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_VARINT) {
    throw new RangeError(`Subunit numbers must be integers from 0 to ${MAX_VARINT}, got ${value}`);
  }
  return value < 0x40 ? 1 : value < 0x4000 ? 2 : value < 0x400000 ? 3 : 4;
}

/** Writes `value` at `at` and returns the position after it. */
export function writeVarint(buffer: Uint8Array, at: number, value: number): number {
  const size = varintSize(value);
  switch (size) {
    case 1:
      buffer[at] = value;
      break;
    case 2:
      buffer[at] = 0x40 | (value >>> 8);
      buffer[at + 1] = value & 0xff;
      break;
    case 3:
      buffer[at] = 0x80 | (value >>> 16);
      buffer[at + 1] = (value >>> 8) & 0xff;
      buffer[at + 2] = value & 0xff;
      break;
    default:
      buffer[at] = 0xc0 | (value >>> 24);
      buffer[at + 1] = (value >>> 16) & 0xff;
      buffer[at + 2] = (value >>> 8) & 0xff;
      buffer[at + 3] = value & 0xff;
  }
  return at + size;
}

/** The number of bytes a varint starting with `first` occupies. */
export function varintLength(first: number): number {
  return (first >>> 6) + 1;
}

/** Reads a varint at `at` (the caller has checked that `varintLength` bytes are there). */
export function readVarint(buffer: Uint8Array, at: number): number {
  const first = buffer[at];
  const value = first & 0x3f;
  switch (first >>> 6) {
    case 0:
      return value;
    case 1:
      return (value << 8) | buffer[at + 1];
    case 2:
      return (value << 16) | (buffer[at + 1] << 8) | buffer[at + 2];
    default:
      return ((value << 24) | (buffer[at + 1] << 16) | (buffer[at + 2] << 8) | buffer[at + 3]) >>> 0;
  }
}
