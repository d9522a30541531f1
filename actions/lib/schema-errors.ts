/** Helpers shared by the two places that turn Ajv errors into located messages (profiles, Armada). */

/** `/tempest/skip/2` → `['tempest', 'skip', 2]`. */
export function instancePathParts(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** A bad value as an error message shows it: JSON, cut at 60 characters. */
export function showValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The words a schema node's `x-expected` annotation gives for what a value must be. */
export function expectedWords(schema: unknown): string | undefined {
  const words = (schema as Record<string, unknown> | undefined)?.['x-expected'];
  return typeof words === 'string' ? words : undefined;
}
