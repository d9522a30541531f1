/** Replaces every occurrence of each secret (and its base64 form, as used in auth headers) with ***. */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 3) continue;
    for (const form of [secret, Buffer.from(secret).toString('base64')]) out = out.split(form).join('***');
  }
  return out;
}
