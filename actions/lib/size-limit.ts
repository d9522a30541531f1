/**
 * Caps on untrusted data (registry answers, downloaded chart tarballs, decompressed archives):
 * bytes are counted as they arrive and reading stops at the limit, so nothing is buffered whole
 * before it is known to fit.
 */

/** `104857600` → `100 MiB` (binary units; exact bytes when not a whole KiB). */
export function formatSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (unit < units.length - 1 && value >= 1024 && value % 1024 === 0) {
    value /= 1024;
    unit++;
  }
  return `${value} ${units[unit]}`;
}

/**
 * Reads `chunks` into one Buffer, or throws `tooLarge()` as soon as more than `limit` bytes came
 * (the caller then destroys the source). `declaredLength` (a Content-Length) is checked first.
 */
export async function collectLimited(
  chunks: AsyncIterable<Uint8Array>,
  limit: number,
  tooLarge: () => Error,
  declaredLength?: number,
): Promise<Buffer> {
  if (declaredLength !== undefined && declaredLength > limit) throw tooLarge();
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > limit) throw tooLarge();
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
  return Buffer.concat(parts, total);
}

/** A Content-Length header as a number, or undefined when absent or malformed. */
export function declaredLength(value: string | string[] | null | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text && /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}
