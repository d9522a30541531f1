export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deep merge used for profile inheritance and value overrides: objects merge key by key, anything
 * else (lists included) in `override` replaces what `base` had. Neither input is modified.
 */
export function deepMerge<T>(base: T, override: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(override))
    return (override === undefined ? base : override) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override))
    out[key] = key in out ? deepMerge(out[key], value) : value;
  return out as T;
}
