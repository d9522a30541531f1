import type { PacketView } from './decoder.js';
import { type TestStatus, timeToMs } from './packet.js';

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
  previous: readonly TestOutcome[];
  startMs?: number;
  endMs?: number;
  durationMs?: number;
  /** Shared between tests with the same tags: never changed in place. */
  tags: readonly string[];
  routeCode?: string;
  /** Kept for outcomes worth reading (fail, uxsuccess, unfinished; a skip's reason); others dropped. */
  attachments: readonly Attachment[];
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

/**
 * One attachment of a running test: the tail of its bytes, copied out of the stream (the scanner
 * reuses its buffers). Buffers go back to a pool when the test ends, so a long stream allocates
 * only as many as tests run at once.
 */
class PendingFile {
  name = '';
  mimeType: string | undefined = undefined;
  bytes: Buffer = Buffer.allocUnsafe(4096);
  length = 0;
  dropped = 0;

  reset(name: string): this {
    this.name = name;
    this.mimeType = undefined;
    this.length = 0;
    this.dropped = 0;
    return this;
  }

  /** Appends `data[start, end)`, keeping at least the last `max` bytes (the buffer holds at most 2 × max). */
  append(data: Buffer, start: number, end: number, max: number): void {
    const size = end - start;
    if (this.length + size > this.bytes.length && this.bytes.length < 2 * max) {
      const grown = Buffer.allocUnsafe(
        Math.min(2 * max, Math.max(this.length + size, 2 * this.bytes.length)),
      );
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    if (this.length + size > this.bytes.length) {
      if (size >= max) {
        this.dropped += this.length + size - max;
        data.copy(this.bytes, 0, end - max, end);
        this.length = max;
        return;
      }
      const keep = max - size;
      this.dropped += this.length - keep;
      this.bytes.copyWithin(0, this.length - keep, this.length);
      this.length = keep;
    }
    data.copy(this.bytes, this.length, start, end);
    this.length += size;
  }

  /** The last `max` bytes as text, and how many bytes before them were dropped. */
  attachment(max: number): Attachment {
    const from = Math.max(0, this.length - max);
    return {
      name: this.name,
      mimeType: this.mimeType,
      text: this.bytes.toString('utf8', from, this.length),
      droppedBytes: this.dropped + from,
    };
  }
}

interface Pending {
  /** Order in which tests started: unfinished tests are reported in it. */
  seq: number;
  started: boolean;
  firstMs?: number;
  lastMs?: number;
  /** Distinct, in order of arrival (a test has one or two). */
  tags: string[];
  /** The scanner's tags array last merged in (it stays the same while the tags repeat). */
  lastTags: readonly string[] | undefined;
  /** How many different scanner arrays were merged (mostly one per test). */
  tagSources: number;
  routeCode?: string;
  /** In order of arrival (a test has a handful). */
  files: PendingFile[];
}

/** Everything known about one test id: one map lookup per change of test id, not one per packet and purpose. */
interface TestEntry {
  id: string;
  enumerated: boolean;
  /** The run in progress, if any. */
  pending: Pending | undefined;
  /** Where its latest result is in the collector's results (-1: none yet). */
  doneAt: number;
}

const TAIL_BYTES = 4096;
/** One frozen empty list for the many results without previous runs or kept attachments. */
const NONE: readonly never[] = Object.freeze([]);
/** Attachment buffers kept for reuse (a few per test running at once). */
const POOL_SIZE = 64;

/** Turns scanned packets into per-test results, the way testtools' StreamToDict groups them. */
export class ResultCollector {
  private readonly entries = new Map<string, TestEntry>();
  /** Results in the order tests ended; a test's earlier result is cleared when it ends again. */
  private readonly done: (TestResult | undefined)[] = [];
  private running = 0;
  private startCount = 0;
  /** The entry of the last packet's test id: consecutive packets mostly belong to one test. */
  private lastId: string | undefined;
  private lastEntry: TestEntry | undefined;
  private readonly maxAttachmentBytes: number;
  private readonly keepPassing: boolean;
  private readonly pool: PendingFile[] = [];
  /** One array per distinct set of tags (a run has a handful: the workers), not one per test. */
  private readonly tagSets = new Map<string, readonly string[]>();
  private packets = 0;
  private enumerated = 0;
  private nonSubunitBytes = 0;
  private nonSubunitTail = Buffer.alloc(0);
  private startMs: number | undefined;
  private endMs: number | undefined;

  constructor(options: CollectorOptions = {}) {
    this.maxAttachmentBytes = options.maxAttachmentBytes ?? 65_536;
    this.keepPassing = options.keepPassingAttachments ?? false;
  }

  readonly packet = (packet: PacketView): void => {
    this.packets++;
    let ms: number | undefined;
    if (packet.hasTimestamp) {
      ms = timeToMs(packet);
      if (this.startMs === undefined || ms < this.startMs) this.startMs = ms;
      if (this.endMs === undefined || ms > this.endMs) this.endMs = ms;
    }
    const id = packet.testId;
    if (id === undefined) return;
    const entry = this.entryOf(id);
    const status = packet.status;
    if (status === 'exists') {
      if (!entry.enumerated) this.enumerated++;
      entry.enumerated = true;
      return;
    }
    const test = entry.pending ?? this.start(entry);
    if (ms !== undefined) {
      test.firstMs ??= ms;
      test.lastMs = ms;
    }
    const tags = packet.tags;
    if (tags !== undefined && tags !== test.lastTags) {
      for (const tag of tags) if (!test.tags.includes(tag)) test.tags.push(tag);
      test.lastTags = tags;
      test.tagSources++;
    }
    const routeCode = packet.routeCode;
    if (routeCode !== undefined) test.routeCode = routeCode;
    if (packet.hasFile) this.addFile(test, packet);
    if (status === 'inprogress') test.started = true;
    else if (status !== undefined) this.finish(entry, status);
  };

  readonly nonSubunit = (bytes: Uint8Array): void => {
    this.nonSubunitBytes += bytes.length;
    const joined = Buffer.concat([this.nonSubunitTail, bytes]);
    this.nonSubunitTail = Buffer.from(joined.subarray(Math.max(0, joined.length - TAIL_BYTES)));
  };

  private entryOf(id: string): TestEntry {
    if (id === this.lastId) return this.lastEntry!;
    let entry = this.entries.get(id);
    if (!entry) {
      entry = { id, enumerated: false, pending: undefined, doneAt: -1 };
      this.entries.set(id, entry);
    }
    this.lastId = id;
    this.lastEntry = entry;
    return entry;
  }

  private start(entry: TestEntry): Pending {
    this.running++;
    return (entry.pending = {
      seq: this.startCount++,
      started: false,
      firstMs: undefined,
      lastMs: undefined,
      tags: [],
      lastTags: undefined,
      tagSources: 0,
      routeCode: undefined,
      files: [],
    });
  }

  private addFile(test: Pending, packet: PacketView): void {
    const name = packet.fileName!;
    let file: PendingFile | undefined;
    for (const f of test.files) if (f.name === name) file = f;
    if (!file) {
      file = (this.pool.pop() ?? new PendingFile()).reset(name);
      test.files.push(file);
    }
    const mimeType = packet.mimeType;
    if (mimeType) file.mimeType = mimeType;
    file.append(packet.data, packet.fileStart, packet.fileEnd, this.maxAttachmentBytes);
  }

  private finish(entry: TestEntry, outcome: TestOutcome): void {
    const test = entry.pending!;
    entry.pending = undefined;
    this.running--;
    const keep =
      outcome === 'fail' || outcome === 'uxsuccess' || outcome === 'unfinished' || this.keepPassing;
    let attachments: readonly Attachment[] = NONE;
    for (const file of test.files) {
      if (keep || (outcome === 'skip' && file.name === 'reason'))
        attachments = [...attachments, file.attachment(this.maxAttachmentBytes)];
      if (this.pool.length < POOL_SIZE) this.pool.push(file);
    }
    const timed = test.firstMs !== undefined && test.lastMs !== undefined;
    const result: TestResult = {
      id: entry.id,
      outcome,
      previous: NONE,
      startMs: test.firstMs,
      endMs: test.lastMs,
      durationMs: timed ? test.lastMs! - test.firstMs! : undefined,
      tags: this.resultTags(test),
      routeCode: test.routeCode,
      attachments,
    };
    if (entry.doneAt >= 0) {
      const earlier = this.done[entry.doneAt]!;
      result.previous = [...earlier.previous, earlier.outcome];
      this.done[entry.doneAt] = undefined;
    }
    entry.doneAt = this.done.length;
    this.done.push(result);
  }

  /** Distinct and sorted; the scanner's own (frozen, shared) array when it already is that. */
  private resultTags(test: Pending): readonly string[] {
    const only = test.tagSources === 1 ? test.lastTags! : undefined;
    if (only && only.every((tag, i) => i === 0 || only[i - 1] < tag)) return only;
    return this.sharedTags(test.tags.length > 1 ? test.tags.sort() : test.tags);
  }

  private sharedTags(tags: string[]): readonly string[] {
    const key = tags.join('\u0000');
    let shared = this.tagSets.get(key);
    if (!shared) this.tagSets.set(key, (shared = Object.freeze(tags)));
    return shared;
  }

  /** The results so far; tests still pending become `unfinished`, in the order they started. */
  result(stream: { bytes: number; error?: { message: string; offset: number } }): SubunitRun {
    if (this.running > 0) {
      const unfinished = [...this.entries.values()].filter((e) => e.pending !== undefined);
      unfinished.sort((a, b) => a.pending!.seq - b.pending!.seq);
      for (const entry of unfinished) this.finish(entry, 'unfinished');
    }
    const tests: TestResult[] = [];
    for (const result of this.done) if (result !== undefined) tests.push(result);
    return {
      tests,
      stream: {
        bytes: stream.bytes,
        packets: this.packets,
        enumerated: this.enumerated,
        nonSubunitBytes: this.nonSubunitBytes,
        nonSubunitTail: this.nonSubunitTail.toString('utf8'),
        ...(stream.error ? { error: stream.error } : {}),
      },
      ...(this.startMs !== undefined ? { startMs: this.startMs, endMs: this.endMs } : {}),
    };
  }
}
