import { createReadStream } from 'node:fs';
import { UserError } from '../errors.js';
import { type DecoderHandlers, SubunitDecoder, SubunitParseError } from './decoder.js';
import type { LocatedPacket } from './packet.js';
import { type CollectorOptions, ResultCollector, type SubunitRun } from './results.js';

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * Feeds a byte source through the decoder. Resolves with the parse error (if any) instead of
 * throwing it, so callers keep what was read before it.
 */
export async function decodeStream(
  source: ByteSource,
  handlers: DecoderHandlers,
): Promise<{ bytes: number; error?: SubunitParseError }> {
  const decoder = new SubunitDecoder(handlers);
  try {
    for await (const chunk of source) decoder.push(chunk);
    decoder.end();
    return { bytes: decoder.bytesRead };
  } catch (err) {
    if (err instanceof SubunitParseError) return { bytes: decoder.bytesRead, error: err };
    throw err;
  }
}

/** Reads a whole stream into per-test results; a corrupt or truncated stream yields what came before the damage. */
export async function readSubunit(source: ByteSource, options: CollectorOptions = {}): Promise<SubunitRun> {
  const collector = new ResultCollector(options);
  const { bytes, error } = await decodeStream(source, collector);
  return collector.result({
    bytes,
    ...(error ? { error: { message: error.message, offset: error.offset } } : {}),
  });
}

export function openStream(file: string): AsyncIterable<Uint8Array> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  return (async function* () {
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new UserError(`Subunit stream ${file} does not exist`);
      if (code === 'EISDIR') throw new UserError(`Subunit stream ${file} is a directory, expected a file`);
      throw err;
    }
  })();
}

export function readSubunitFile(file: string, options: CollectorOptions = {}): Promise<SubunitRun> {
  return readSubunit(openStream(file), options);
}

/** Calls `onPacket` for every packet of a file (for filters and merges). */
export function forEachPacket(
  file: string,
  onPacket: (packet: LocatedPacket) => void,
  onText?: (bytes: Uint8Array) => void,
) {
  return decodeStream(openStream(file), { packet: onPacket, ...(onText ? { nonSubunit: onText } : {}) });
}
