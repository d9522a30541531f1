import { crc32 } from './crc32.js';
import { Flag, MAX_PACKET_LENGTH, SIGNATURE, STATUSES, type SubunitPacket, VERSION_2 } from './packet.js';
import { varintSize, writeVarint } from './varint.js';

const encoder = new TextEncoder();

/** Encodes one packet as Subunit v2 bytes (signature to CRC32). */
export function encodePacket(packet: SubunitPacket): Buffer {
  let flags = VERSION_2;
  const parts: { kind: 'string' | 'number' | 'bytes' | 'u32'; value: Uint8Array | number }[] = [];
  const string = (text: string) => {
    const bytes = encoder.encode(text);
    parts.push({ kind: 'number', value: bytes.length }, { kind: 'bytes', value: bytes });
  };
  if (packet.timestamp) {
    flags |= Flag.timestamp;
    parts.push(
      { kind: 'u32', value: packet.timestamp.seconds },
      { kind: 'number', value: packet.timestamp.nanos },
    );
  }
  if (packet.testId !== undefined) {
    flags |= Flag.testId;
    string(packet.testId);
  }
  if (packet.tags && packet.tags.length > 0) {
    flags |= Flag.tags;
    parts.push({ kind: 'number', value: packet.tags.length });
    for (const tag of packet.tags) string(tag);
  }
  if (packet.runnable) flags |= Flag.runnable;
  if (packet.mimeType) {
    flags |= Flag.mimeType;
    string(packet.mimeType);
  }
  if (packet.file) {
    flags |= Flag.fileContent;
    string(packet.file.name);
    parts.push(
      { kind: 'number', value: packet.file.content.length },
      { kind: 'bytes', value: packet.file.content },
    );
  }
  if (packet.eof) flags |= Flag.eof;
  if (packet.routeCode !== undefined) {
    flags |= Flag.routeCode;
    string(packet.routeCode);
  }
  flags |= STATUSES.indexOf(packet.status);

  const body = parts.reduce(
    (sum, p) =>
      sum +
      (p.kind === 'number'
        ? varintSize(p.value as number)
        : p.kind === 'u32'
          ? 4
          : (p.value as Uint8Array).length),
    0,
  );
  // The length counts itself, so its own size depends on the total.
  const base = 1 + 2 + body + 4;
  const lengthSize = base + 1 < 0x40 ? 1 : base + 2 < 0x4000 ? 2 : 3;
  const total = base + lengthSize;
  if (total > MAX_PACKET_LENGTH)
    throw new RangeError(`Subunit packet of ${total} bytes exceeds the 4 MiB limit: split the file content`);
  const out = Buffer.allocUnsafe(total);
  out[0] = SIGNATURE;
  out.writeUInt16BE(flags, 1);
  let at = writeVarint(out, 3, total);
  if (at !== 3 + lengthSize) throw new Error('length size mismatch');
  for (const part of parts) {
    if (part.kind === 'number') at = writeVarint(out, at, part.value as number);
    else if (part.kind === 'u32') at = out.writeUInt32BE(part.value as number, at);
    else {
      out.set(part.value as Uint8Array, at);
      at += (part.value as Uint8Array).length;
    }
  }
  out.writeUInt32BE(crc32(out, 0, at), at);
  return out;
}

/** Largest file chunk that keeps a packet under the limit whatever else it carries (test id etc.). */
export const FILE_CHUNK_BYTES = 65_536;

/**
 * Packets for one attachment, split into chunks; the last one has `eof`. An empty file is one
 * empty packet with `eof`, as the reference writer does.
 */
export function filePackets(
  base: Omit<SubunitPacket, 'file' | 'eof' | 'status'>,
  name: string,
  content: Uint8Array,
  chunkBytes = FILE_CHUNK_BYTES,
): SubunitPacket[] {
  const packets: SubunitPacket[] = [];
  for (let at = 0; at < content.length || packets.length === 0; at += chunkBytes) {
    const last = at + chunkBytes >= content.length;
    packets.push({ ...base, file: { name, content: content.subarray(at, at + chunkBytes) }, eof: last });
  }
  return packets;
}
