import { ExternalError } from '../errors.js';

/** A registry answered with an error (or not at all). `code` is the first OCI error code, if any. */
export class RegistryError extends ExternalError {
  override readonly name: string = 'RegistryError';
  constructor(
    message: string,
    readonly details: {
      status?: number;
      code?: string;
      method?: string;
      url?: string;
      /** A network-level failure (reset, refused, timeout) rather than an HTTP answer. */
      network?: boolean;
    } = {},
    options?: { cause?: unknown },
  ) {
    super('registry', message, options);
  }
}

/** The `errors` array of an OCI distribution error body: `{"errors":[{"code","message","detail"}]}`. */
export interface RegistryErrorBody {
  errors?: { code?: string; message?: string; detail?: unknown }[];
}

export function parseErrorBody(body: Buffer): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as RegistryErrorBody;
    const first = parsed.errors?.[0];
    if (first) return { code: first.code, message: first.message };
  } catch {
    // not JSON: fall through
  }
  return {};
}
