import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Writes what `produce` emits to `file` in pieces of about 64 KiB, so a report of tens of thousands
 * of entries is never one string in memory, nor one write call per entry.
 */
export function writeInPieces(file: string, produce: (write: (text: string) => void) => void): void {
  const fd = openSync(file, 'w');
  try {
    let pending = '';
    produce((text) => {
      pending += text;
      if (pending.length >= 65_536) {
        writeSync(fd, pending);
        pending = '';
      }
    });
    writeSync(fd, pending);
  } finally {
    closeSync(fd);
  }
}
