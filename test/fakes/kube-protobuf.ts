/**
 * Reads the protobuf bodies kubectl sends for built-in kinds (`Content-Type:
 * application/vnd.kubernetes.protobuf`): the "k8s\0" magic, then a runtime.Unknown {typeMeta = 1
 * {apiVersion = 1, kind = 2}, raw = 2}. Only the fields the fake needs are decoded, by their numbers
 * in k8s.io/api's generated.proto (for the fake Kubernetes API; a real server decodes all of them).
 */
type Fields = Map<number, (Buffer | bigint)[]>;

function varint(buf: Buffer, at: number): [bigint, number] {
  let value = 0n;
  for (let shift = 0n; ; shift += 7n) {
    const byte = buf[at++];
    if (byte === undefined) throw new Error('protobuf: truncated varint');
    value |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [value, at];
  }
}

/** Field number → its values (bytes for length-delimited fields, numbers for varints). */
export function protoFields(buf: Buffer): Fields {
  const fields: Fields = new Map();
  for (let at = 0; at < buf.length;) {
    const [key, next] = varint(buf, at);
    const [field, wire] = [Number(key >> 3n), Number(key & 7n)];
    let value: Buffer | bigint;
    if (wire === 0) [value, at] = varint(buf, next);
    else if (wire === 2) {
      const [length, start] = varint(buf, next);
      value = buf.subarray(start, start + Number(length));
      at = start + Number(length);
    } else if (wire === 1 || wire === 5) {
      value = buf.subarray(next, next + (wire === 1 ? 8 : 4));
      at = next + (wire === 1 ? 8 : 4);
    } else throw new Error(`protobuf: wire type ${wire} is not supported by this fake`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

export const protoString = (fields: Fields, n: number): string | undefined => fields.get(n)?.[0]?.toString();

export const protoMessages = (fields: Fields, n: number): Fields[] =>
  (fields.get(n) ?? []).map((v) => protoFields(v as Buffer));

/** The envelope's apiVersion, kind and the object's own fields. */
export function decodeKubeProtobuf(body: Buffer): { apiVersion?: string; kind?: string; object: Fields } {
  if (body.subarray(0, 4).toString('latin1') !== 'k8s\0') throw new Error('protobuf: no k8s magic');
  const unknown = protoFields(body.subarray(4));
  const [typeMeta] = protoMessages(unknown, 1);
  const raw = (unknown.get(2)?.[0] as Buffer | undefined) ?? Buffer.alloc(0);
  return { apiVersion: protoString(typeMeta, 1), kind: protoString(typeMeta, 2), object: protoFields(raw) };
}
