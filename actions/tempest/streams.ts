import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { UserError } from '../lib/errors.js';
import { encodePacket, filePackets } from '../lib/subunit/encoder.js';
import type { SubunitPacket } from '../lib/subunit/packet.js';
import { msToTime } from '../lib/subunit/packet.js';

/**
 * Stream files named by the `subunit` input: files as given; a directory gives the *.subunit files
 * in it and in its subfolders (download-artifact puts each artifact in a folder of its own); a glob
 * (`shards/**\/*.subunit`) gives the files it matches. From directories and globs this action's
 * `*-raw.subunit` and `*-rerun.subunit` are left out: its combined stream already holds them.
 */
export function expandStreamInputs(items: readonly string[], cwd: string): string[] {
  const files: string[] = [];
  for (const item of items) {
    const full = path.resolve(cwd, item);
    const glob = picomatch.scan(full);
    if (glob.isGlob) {
      const match = picomatch(full);
      const found = existsSync(glob.base) ? streamsUnder(glob.base).filter((f) => match(f)) : [];
      if (found.length === 0) throw new UserError(`Input 'subunit': ${item} matches no *.subunit file`);
      files.push(...found);
    } else if (!existsSync(full)) {
      throw new UserError(`Input 'subunit': ${item} does not exist`);
    } else if (statSync(full).isDirectory()) {
      const found = streamsUnder(full);
      if (found.length === 0)
        throw new UserError(
          `Input 'subunit': directory ${item} has no *.subunit files (searched its subfolders too)`,
        );
      files.push(...found);
    } else {
      files.push(full);
    }
  }
  if (files.length === 0)
    throw new UserError(
      `Input 'subunit' is required in merge and report mode: give stream files, directories or globs`,
    );
  return files;
}

/** The combined *.subunit streams in a directory tree, sorted by path. */
function streamsUnder(dir: string): string[] {
  if (!statSync(dir).isDirectory()) return dir.endsWith('.subunit') ? [dir] : [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return streamsUnder(full);
      return entry.name.endsWith('.subunit') && !/-(raw|rerun)\.subunit$/.test(entry.name) ? [full] : [];
    });
}

/** Skip results for tests the profile never runs, as a Subunit stream: they stay visible in every report. */
export function skipPackets(skips: readonly { id: string; reason: string }[], nowMs: number): Buffer {
  const timestamp = msToTime(nowMs);
  const packets: SubunitPacket[] = [];
  for (const { id, reason } of skips) {
    packets.push({ testId: id, status: 'exists', runnable: true, eof: false, timestamp });
    packets.push(
      ...filePackets(
        { testId: id, runnable: true, timestamp, mimeType: 'text/plain; charset=utf8' },
        'reason',
        Buffer.from(reason),
      ),
    );
    packets.push({ testId: id, status: 'skip', runnable: true, eof: false, timestamp });
  }
  return Buffer.concat(packets.map(encodePacket));
}

/** Starts `target` as a copy of `source` (or empty), so the raw stream stays untouched. */
export function startCombined(target: string, source: string | undefined): void {
  if (source && existsSync(source)) copyFileSync(source, target);
  else writeFileSync(target, '');
}

/** Appends bytes, or a file in 1 MiB pieces (streams can be large). */
export function appendStream(target: string, source: string | Buffer): void {
  if (Buffer.isBuffer(source)) {
    appendFileSync(target, source);
    return;
  }
  if (!existsSync(source)) return;
  const input = openSync(source, 'r');
  const output = openSync(target, 'a');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    let read: number;
    while ((read = readSync(input, buffer, 0, buffer.length, null)) > 0) writeSync(output, buffer, 0, read);
  } finally {
    closeSync(input);
    closeSync(output);
  }
}
