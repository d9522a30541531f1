import { closeSync, openSync, readSync } from 'node:fs';
import { UserError } from '../errors.js';
import {
  type DecoderHandlers,
  type ScannerHandlers,
  SubunitDecoder,
  SubunitParseError,
  SubunitScanner,
} from './decoder.js';
import type { LocatedPacket } from './packet.js';
import { type CollectorOptions, ResultCollector, type SubunitRun } from './results.js';

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

interface Sink {
  push(chunk: Uint8Array): void;
  end(): void;
  readonly bytesRead: number;
}

/** Feeds a byte source to a scanner or decoder; a parse error is returned, not thrown. */
async function feed(source: ByteSource, sink: Sink): Promise<{ bytes: number; error?: SubunitParseError }> {
  try {
    for await (const chunk of source) sink.push(chunk);
    sink.end();
    return { bytes: sink.bytesRead };
  } catch (err) {
    if (err instanceof SubunitParseError) return { bytes: sink.bytesRead, error: err };
    throw err;
  }
}

/**
 * Feeds a byte source through the decoder (a plain object per packet). Resolves with the parse
 * error (if any) instead of throwing it, so callers keep what was read before it.
 */
export function decodeStream(
  source: ByteSource,
  handlers: DecoderHandlers,
): Promise<{ bytes: number; error?: SubunitParseError }> {
  return feed(source, new SubunitDecoder(handlers));
}

/** Like `decodeStream`, with the scanner's reused view per packet (no allocation per packet). */
export function scanStream(
  source: ByteSource,
  handlers: ScannerHandlers,
): Promise<{ bytes: number; error?: SubunitParseError }> {
  return feed(source, new SubunitScanner(handlers));
}

/** Reads a whole stream into per-test results; a corrupt or truncated stream yields what came before the damage. */
export async function readSubunit(source: ByteSource, options: CollectorOptions = {}): Promise<SubunitRun> {
  const collector = new ResultCollector(options);
  const { bytes, error } = await scanStream(source, collector);
  return collector.result({
    bytes,
    ...(error ? { error: { message: error.message, offset: error.offset } } : {}),
  });
}

const READ_BYTES = 1 << 18;

/**
 * The file in chunks of up to 256 KiB, all read into the same buffer: a chunk is valid until the
 * next one is asked for (the scanner and decoder copy what they keep), so reading takes one buffer
 * whatever the size of the stream. Read synchronously: a stream is read start to end with nothing
 * else to do meanwhile, and a read on the thread pool costs a thread hop and a promise per chunk.
 * A chunk this size is still in the CPU cache when the scanner checksums and parses it.
 */
export function* openStream(file: string): Generator<Uint8Array> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw streamError(file, err);
  }
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      let bytesRead: number;
      try {
        bytesRead = readSync(fd, buffer, 0, READ_BYTES, null);
      } catch (err) {
        throw streamError(file, err);
      }
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    closeSync(fd);
  }
}

function streamError(file: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UserError(`Subunit stream ${file} does not exist`);
  if (code === 'EISDIR') return new UserError(`Subunit stream ${file} is a directory, expected a file`);
  return err;
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
