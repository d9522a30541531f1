/** pkt-lines as git's wire protocols frame them (gitprotocol-common(5)): a 4-hex-digit length, then the payload. */
export function pktLine(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0')), payload]);
}

/** The payloads (null for a flush packet), or undefined when the data is not whole pkt-lines. */
export function readPktLines(data: Buffer): (Buffer | null)[] | undefined {
  const lines: (Buffer | null)[] = [];
  let at = 0;
  while (at < data.length) {
    const head = data.subarray(at, at + 4).toString('latin1');
    if (!/^[0-9a-f]{4}$/i.test(head)) return undefined;
    const length = Number.parseInt(head, 16);
    if (length === 0) {
      lines.push(null);
      at += 4;
      continue;
    }
    if (length < 4 || at + length > data.length) return undefined;
    lines.push(data.subarray(at + 4, at + length));
    at += length;
  }
  return lines;
}

/** `Authorization: Basic …` (the header line git sends) as a header for an in-process request. */
export function headerFromLine(line: string | undefined): Record<string, string> {
  if (!line) return {};
  const colon = line.indexOf(':');
  return { [line.slice(0, colon).trim()]: line.slice(colon + 1).trim() };
}
