/**
 * Decodes the Kubernetes protobuf encoding of the objects real helm writes through client-go's typed
 * clients (which send `application/vnd.kubernetes.protobuf`): the `k8s\0` magic, a runtime.Unknown
 * envelope (typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2), and inside it a Secret
 * (metadata = 1, data = 2 map<string, bytes>, type = 3, stringData = 4, immutable = 5) with its
 * ObjectMeta (name = 1, generateName = 2, namespace = 3, uid = 5, resourceVersion = 6,
 * labels = 11, annotations = 12), field numbers from k8s.io/api's generated.proto. Only Secrets are
 * decoded: any other kind fails loudly.
 */
import type { Json } from './kube-resources.js';

type Field = { number: number; value: bigint | Buffer };

function varint(buf: Buffer, at: { pos: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const byte = buf[at.pos++];
    result |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return result;
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  const at = { pos: 0 };
  while (at.pos < buf.length) {
    const tag = Number(varint(buf, at));
    const wire = tag & 7;
    if (wire === 0) out.push({ number: tag >> 3, value: varint(buf, at) });
    else if (wire === 2) {
      const length = Number(varint(buf, at));
      out.push({ number: tag >> 3, value: buf.subarray(at.pos, at.pos + length) });
      at.pos += length;
    } else if (wire === 1 || wire === 5) at.pos += wire === 1 ? 8 : 4;
    else throw new Error(`protobuf: wire type ${wire} is not supported`);
  }
  return out;
}

const text = (f: Field) => (f.value as Buffer).toString('utf8');

function mapEntry(f: Field): [string, Buffer] {
  const entry = fields(f.value as Buffer);
  const key = entry.find((e) => e.number === 1);
  const value = entry.find((e) => e.number === 2);
  return [key ? text(key) : '', (value?.value as Buffer | undefined) ?? Buffer.alloc(0)];
}

function objectMeta(buf: Buffer): Json {
  const meta: Json = {};
  const names: Record<number, string> = {
    1: 'name',
    2: 'generateName',
    3: 'namespace',
    5: 'uid',
    6: 'resourceVersion',
  };
  for (const f of fields(buf)) {
    if (names[f.number]) meta[names[f.number]] = text(f);
    else if (f.number === 11 || f.number === 12) {
      const [key, value] = mapEntry(f);
      ((meta[f.number === 11 ? 'labels' : 'annotations'] ??= {}) as Json)[key] = value.toString('utf8');
    }
  }
  return meta;
}

function secret(buf: Buffer): Json {
  const object: Json = { apiVersion: 'v1', kind: 'Secret', metadata: {} };
  for (const f of fields(buf)) {
    if (f.number === 1) object.metadata = objectMeta(f.value as Buffer);
    else if (f.number === 2 || f.number === 4) {
      const [key, value] = mapEntry(f);
      const field = f.number === 2 ? 'data' : 'stringData';
      (object[field] ??= {})[key] = f.number === 2 ? value.toString('base64') : value.toString('utf8');
    } else if (f.number === 3) object.type = text(f);
    else if (f.number === 5) object.immutable = f.value === 1n;
  }
  return object;
}

const MAGIC = Buffer.from('k8s\0');

/** The object in a protobuf request body, as the JSON the API would have received. */
export function decodeKubeProtobuf(body: Buffer): Json {
  if (!body.subarray(0, 4).equals(MAGIC)) throw new Error('protobuf: no k8s magic');
  const unknown = fields(body.subarray(4));
  const typeMeta = unknown.find((f) => f.number === 1);
  const raw = unknown.find((f) => f.number === 2);
  const kind = typeMeta && fields(typeMeta.value as Buffer).find((f) => f.number === 2);
  if (!kind || !raw || text(kind) !== 'Secret')
    throw new Error(`protobuf: the fake decodes Secrets only, got ${kind ? text(kind) : 'no kind'}`);
  return secret(raw.value as Buffer);
}
