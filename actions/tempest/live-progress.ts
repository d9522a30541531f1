import { closeSync, openSync, readSync } from 'node:fs';
import { SubunitScanner } from '../lib/subunit/decoder.js';

const FINAL = new Set(['success', 'fail', 'skip', 'xfail', 'uxsuccess']);

/**
 * Reads the Subunit stream tempest is still writing and logs a line every `every` finished tests
 * (`tempest: 50 tests finished: 45 passed, 3 failed, 2 skipped`), so a run of hours is not silent.
 * `poll` reads what was appended since the last call; `finish` reads the rest and logs the total.
 */
export class LiveProgress {
  private offset = 0;
  private readonly counts = { passed: 0, failed: 0, skipped: 0 };
  private finished = 0;
  private lastLogged = 0;
  private broken = false;
  private readonly scanner = new SubunitScanner({
    packet: (packet) => {
      const status = packet.status;
      if (!status || !FINAL.has(status) || !packet.testId) return;
      this.finished++;
      if (status === 'success' || status === 'xfail') this.counts.passed++;
      else if (status === 'skip') this.counts.skipped++;
      else this.counts.failed++;
      if (this.finished - this.lastLogged >= this.every) this.log();
    },
  });

  constructor(
    private readonly file: string,
    private readonly emit: (line: string) => void,
    private readonly every = 50,
  ) {}

  poll(): void {
    if (this.broken) return;
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return; // not created yet
    }
    try {
      const buffer = Buffer.alloc(1 << 20);
      for (;;) {
        const read = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (read === 0) break;
        this.offset += read;
        this.scanner.push(buffer.subarray(0, read));
      }
    } catch {
      // A damaged stream is reported by the reader afterwards; progress lines are best effort.
      this.broken = true;
    } finally {
      closeSync(fd);
    }
  }

  finish(): void {
    this.poll();
    if (this.finished !== this.lastLogged || this.finished === 0) this.log();
  }

  private log(): void {
    this.lastLogged = this.finished;
    const { passed, failed, skipped } = this.counts;
    this.emit(
      `tempest: ${this.finished} tests finished: ${passed} passed, ${failed} failed, ${skipped} skipped`,
    );
  }
}
