import { closeSync, openSync, writeSync } from 'node:fs';
import { encodePacket } from './encoder.js';
import { forEachPacket } from './read.js';

export interface MergeInput {
  file: string;
  /** Route code prefix for this stream's packets (`0`, `shard-1`…), as a Subunit multiplexer adds. */
  route: string;
}

export interface MergeReport {
  file: string;
  packets: number;
  bytes: number;
  /** Ids of the tests with a final status in this stream. */
  testIds: Set<string>;
  error?: { message: string; offset: number };
}

/**
 * Concatenates Subunit v2 streams into one, re-encoding every packet with its route code prefixed
 * (`route` or `route/original`), so the merged stream says which stream each result came from.
 * Text outside packets is carried over as a `stdout` file packet. A damaged input contributes the
 * packets before the damage and is reported.
 */
export async function mergeStreams(inputs: readonly MergeInput[], output: string): Promise<MergeReport[]> {
  const fd = openSync(output, 'w');
  const reports: MergeReport[] = [];
  try {
    for (const input of inputs) {
      let packets = 0;
      const testIds = new Set<string>();
      const result = await forEachPacket(
        input.file,
        (packet) => {
          packets++;
          if (
            packet.testId !== undefined &&
            packet.status !== undefined &&
            packet.status !== 'exists' &&
            packet.status !== 'inprogress'
          )
            testIds.add(packet.testId);
          const routeCode =
            packet.routeCode === undefined ? input.route : `${input.route}/${packet.routeCode}`;
          const copy = { ...packet, routeCode };
          writeSync(fd, encodePacket(copy));
        },
        (text) =>
          writeSync(
            fd,
            encodePacket({
              runnable: false,
              eof: false,
              routeCode: input.route,
              mimeType: 'text/plain; charset=utf8',
              file: { name: 'stdout', content: text },
            }),
          ),
      );
      reports.push({
        file: input.file,
        packets,
        bytes: result.bytes,
        testIds,
        ...(result.error ? { error: { message: result.error.message, offset: result.error.offset } } : {}),
      });
    }
  } finally {
    closeSync(fd);
  }
  return reports;
}
