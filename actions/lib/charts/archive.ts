/**
 * The .tgz of a chart package: a tar of regular files (no directory entries) gzipped with Helm's
 * header (no name, MTIME 0, XFL 0, OS 255 "unknown", Helm's extra field and the comment "Helm").
 * Everything that Helm takes from the clock (entry mtimes) is fixed here, so the same files give
 * the same bytes.
 */
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { UserError } from '../errors.js';
import { formatSize } from '../size-limit.js';

/** One regular file of a package: `name` is the full entry name (`<chart>/templates/x.yaml`). */
export interface TarEntry {
  name: string;
  data: Buffer;
  /** Header fields kept verbatim when an existing package is rewritten. */
  header?: TarHeaderFields;
  /** Packages written by other tools may hold directory entries; ours never do. */
  type?: 'file' | 'directory';
}

export interface TarHeaderFields {
  mode: number;
  mtime: Date;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
}

/** Helm writes every file 0644 and no owner; the mtime (Helm: now) is the Unix epoch here. */
export const DEFAULT_HEADER: TarHeaderFields = {
  mode: 0o644,
  mtime: new Date(0),
  uid: 0,
  gid: 0,
  uname: '',
  gname: '',
};

/** Helm's gzip extra field (pkg/chartutil/save.go `headerBytes`). */
const HELM_GZIP_EXTRA = Buffer.from('+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=', 'ascii');
const HELM_GZIP_COMMENT = Buffer.from('Helm\0', 'ascii');
const FEXTRA = 0x04;
const FCOMMENT = 0x10;

export async function packTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    const header = entry.header ?? DEFAULT_HEADER;
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        { name: entry.name, size: entry.data.length, type: entry.type ?? 'file', ...header },
        entry.data,
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** Gzip member exactly as Go's gzip.Writer writes it with Helm's Extra/Comment (RFC 1952). */
export function helmGzip(data: Buffer): Buffer {
  const header = Buffer.alloc(10);
  header[0] = 0x1f;
  header[1] = 0x8b;
  header[2] = 8; // deflate
  header[3] = FEXTRA | FCOMMENT;
  // bytes 4-7: MTIME 0; byte 8: XFL 0 (default level)
  header[9] = 255; // OS unknown, as Go writes
  const xlen = Buffer.alloc(2);
  xlen.writeUInt16LE(HELM_GZIP_EXTRA.length);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(zlib.crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  const body = zlib.deflateRawSync(data, { level: 6 });
  return Buffer.concat([header, xlen, HELM_GZIP_EXTRA, HELM_GZIP_COMMENT, body, trailer]);
}

export async function packTgz(entries: TarEntry[]): Promise<Buffer> {
  return helmGzip(await packTar(entries));
}

/** Helm's default limit on a decompressed chart (`--max-chart-size`, 100 MiB). */
export const MAX_CHART_SIZE = 100 * 1024 * 1024;

export interface RawTarEntry {
  name: string;
  type: string;
  linkname?: string;
  data: Buffer;
  header: TarHeaderFields;
}

/**
 * What a chart and every archive nested in it may hold decompressed, together: one budget for the
 * whole load, so a chart cannot pass 100 MiB of subchart archives to each of its subcharts.
 */
export class ArchiveBudget {
  private used = 0;
  constructor(readonly limit = MAX_CHART_SIZE) {}

  get remaining(): number {
    return Math.max(0, this.limit - this.used);
  }

  /** Counts `bytes` against the budget; throws the limit's UserError when it is spent. */
  take(bytes: number, what: string): void {
    this.used += bytes;
    if (this.used > this.limit) throw this.exceeded(what);
  }

  exceeded(what: string): UserError {
    return new UserError(
      `${what}: a chart with all its subchart archives may hold at most ${formatSize(this.limit)} decompressed (Helm's --max-chart-size); this one holds more`,
    );
  }
}

/**
 * Every entry of a .tgz (or plain .tar) in archive order; throws (plain Error) when it is not one,
 * and the budget's UserError when it decompresses to more than is left of `budget`.
 */
export async function readTgz(
  bytes: Buffer,
  budget = new ArchiveBudget(),
  what = 'chart archive',
): Promise<RawTarEntry[]> {
  let tarBytes = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      // One byte more than is left: reaching it means the budget is spent.
      tarBytes = zlib.gunzipSync(bytes, { maxOutputLength: budget.remaining + 1 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw budget.exceeded(what);
      throw err;
    }
  }
  budget.take(tarBytes.length, what);
  const extract = tar.extract();
  const entries: RawTarEntry[] = [];
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const h = entry.header;
      entries.push({
        name: h.name,
        type: h.type ?? 'file',
        linkname: h.linkname ?? undefined,
        data: Buffer.concat(chunks),
        header: {
          mode: h.mode ?? 0o644,
          mtime: h.mtime ?? new Date(0),
          uid: h.uid ?? 0,
          gid: h.gid ?? 0,
          uname: h.uname ?? '',
          gname: h.gname ?? '',
        },
      });
    }
  })();
  Readable.from([tarBytes]).pipe(extract);
  await reading;
  return entries;
}
