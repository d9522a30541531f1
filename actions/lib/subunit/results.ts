import type { LocatedPacket, TestStatus } from './packet.js';
import { timeToMs } from './packet.js';

/** How a test ended. `unfinished`: it started (or sent output) but the stream has no final status for it. */
export type TestOutcome = Exclude<TestStatus, 'exists' | 'inprogress'> | 'unfinished';

export interface Attachment {
  name: string;
  mimeType?: string;
  text: string;
  /** Bytes dropped from the start to keep memory bounded (0 when complete). */
  droppedBytes: number;
}

export interface TestResult {
  /** The test id as in the stream, e.g. `tempest.api.compute.x.T.test_y[id-…,smoke]` or `setUpClass (tempest.api.x.T)`. */
  id: string;
  outcome: TestOutcome;
  /** Outcomes of earlier runs of the same id in the stream (a rerun), oldest first. */
  previous: TestOutcome[];
  startMs?: number;
  endMs?: number;
  durationMs?: number;
  tags: string[];
  routeCode?: string;
  /** Kept for outcomes worth reading (fail, uxsuccess, unfinished; a skip's reason); others dropped. */
  attachments: Attachment[];
}

export interface StreamInfo {
  bytes: number;
  packets: number;
  /** Tests announced with `exists` (enumeration) — including ones that never ran. */
  enumerated: number;
  nonSubunitBytes: number;
  /** The last bytes of non-Subunit text in the stream (what a test printed to stdout). */
  nonSubunitTail: string;
  /** Why reading stopped early; everything before `offset` is in the results. */
  error?: { message: string; offset: number };
}

export interface SubunitRun {
  tests: TestResult[];
  stream: StreamInfo;
  startMs?: number;
  endMs?: number;
}

export interface CollectorOptions {
  /** Bytes kept per attachment (the tail — a traceback's last lines matter most). Default 64 KiB. */
  maxAttachmentBytes?: number;
  /** Keep attachments of passing tests too (off: memory stays flat on long streams). */
  keepPassingAttachments?: boolean;
}

interface PendingFile {
  name: string;
  mimeType?: string;
  chunks: Uint8Array[];
  bytes: number;
  dropped: number;
}

interface Pending {
  id: string;
  started: boolean;
  firstMs?: number;
  lastMs?: number;
  /** Distinct, in order of arrival (a test has one or two). */
  tags: string[];
  routeCode?: string;
  /** In order of arrival (a test has a handful). */
  files: PendingFile[];
}

const TAIL_BYTES = 4096;

/** Turns decoded packets into per-test results, the way testtools' StreamToDict groups them. */
export class ResultCollector {
  private readonly pending = new Map<string, Pending>();
  private readonly done = new Map<string, TestResult>();
  private readonly maxAttachmentBytes: number;
  private readonly keepPassing: boolean;
  private packets = 0;
  private enumerated = new Set<string>();
  private nonSubunitBytes = 0;
  private nonSubunitTail = Buffer.alloc(0);
  private startMs: number | undefined;
  private endMs: number | undefined;

  constructor(options: CollectorOptions = {}) {
    this.maxAttachmentBytes = options.maxAttachmentBytes ?? 65_536;
    this.keepPassing = options.keepPassingAttachments ?? false;
  }

  readonly packet = (packet: LocatedPacket): void => {
    this.packets++;
    let ms: number | undefined;
    if (packet.timestamp) {
      ms = timeToMs(packet.timestamp);
      if (this.startMs === undefined || ms < this.startMs) this.startMs = ms;
      if (this.endMs === undefined || ms > this.endMs) this.endMs = ms;
    }
    const id = packet.testId;
    if (id === undefined) return;
    if (packet.status === 'exists') {
      this.enumerated.add(id);
      return;
    }
    let test = this.pending.get(id);
    if (!test) {
      test = {
        id,
        started: false,
        firstMs: undefined,
        lastMs: undefined,
        tags: [],
        routeCode: undefined,
        files: [],
      };
      this.pending.set(id, test);
    }
    if (ms !== undefined) {
      test.firstMs ??= ms;
      test.lastMs = ms;
    }
    if (packet.tags) for (const tag of packet.tags) if (!test.tags.includes(tag)) test.tags.push(tag);
    if (packet.routeCode !== undefined) test.routeCode = packet.routeCode;
    if (packet.file) this.addFile(test, packet.file.name, packet.file.content, packet.mimeType);
    if (packet.status === 'inprogress') test.started = true;
    else if (packet.status !== undefined) this.finish(test, packet.status);
  };

  readonly nonSubunit = (bytes: Uint8Array): void => {
    this.nonSubunitBytes += bytes.length;
    const joined = Buffer.concat([this.nonSubunitTail, bytes]);
    this.nonSubunitTail = Buffer.from(joined.subarray(Math.max(0, joined.length - TAIL_BYTES)));
  };

  private addFile(test: Pending, name: string, content: Uint8Array, mimeType: string | undefined): void {
    let file: PendingFile | undefined;
    for (const f of test.files) if (f.name === name) file = f;
    if (!file) {
      file = { name, mimeType: undefined, chunks: [], bytes: 0, dropped: 0 };
      test.files.push(file);
    }
    if (mimeType) file.mimeType = mimeType;
    // A view, not a copy: the decoder never reuses its buffers, and only a test's own chunks are held
    // (and only while it runs, or for the few outcomes that keep them).
    file.chunks.push(content);
    file.bytes += content.length;
    while (file.bytes - file.chunks[0].length >= this.maxAttachmentBytes) {
      const first = file.chunks.shift()!;
      file.bytes -= first.length;
      file.dropped += first.length;
    }
  }

  private finish(test: Pending, outcome: TestOutcome): void {
    this.pending.delete(test.id);
    const keep =
      outcome === 'fail' || outcome === 'uxsuccess' || outcome === 'unfinished' || this.keepPassing;
    const attachments: Attachment[] = [];
    for (const file of test.files) {
      const name = file.name;
      if (!keep && !(outcome === 'skip' && name === 'reason')) continue;
      let bytes = Buffer.concat(file.chunks, file.bytes);
      let dropped = file.dropped;
      if (bytes.length > this.maxAttachmentBytes) {
        dropped += bytes.length - this.maxAttachmentBytes;
        bytes = bytes.subarray(bytes.length - this.maxAttachmentBytes);
      }
      attachments.push({
        name,
        mimeType: file.mimeType,
        text: bytes.toString('utf8'),
        droppedBytes: dropped,
      });
    }
    const timed = test.firstMs !== undefined && test.lastMs !== undefined;
    const result: TestResult = {
      id: test.id,
      outcome,
      previous: [],
      startMs: test.firstMs,
      endMs: test.lastMs,
      durationMs: timed ? test.lastMs! - test.firstMs! : undefined,
      tags: test.tags.length > 1 ? test.tags.sort() : test.tags,
      routeCode: test.routeCode,
      attachments,
    };
    const earlier = this.done.get(test.id);
    if (earlier) {
      result.previous = [...earlier.previous, earlier.outcome];
      this.done.delete(test.id);
    }
    this.done.set(test.id, result);
  }

  /** The results so far; tests still pending become `unfinished`. */
  result(stream: { bytes: number; error?: { message: string; offset: number } }): SubunitRun {
    for (const test of [...this.pending.values()]) this.finish(test, 'unfinished');
    return {
      tests: [...this.done.values()],
      stream: {
        bytes: stream.bytes,
        packets: this.packets,
        enumerated: this.enumerated.size,
        nonSubunitBytes: this.nonSubunitBytes,
        nonSubunitTail: this.nonSubunitTail.toString('utf8'),
        ...(stream.error ? { error: stream.error } : {}),
      },
      ...(this.startMs !== undefined ? { startMs: this.startMs, endMs: this.endMs } : {}),
    };
  }
}
