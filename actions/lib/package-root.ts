import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The checkout of taco/actions this code runs from: found by walking up from this module (source) or
 * from the bundle (dist/<action>/index.js) to the folder that holds profiles/schema.json. The runner
 * downloads the whole action repository, so built-in profiles and helper files are there too.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'profiles', 'schema.json'))) return (cached = dir);
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error('Cannot find the taco/actions checkout (profiles/schema.json) above this module');
    dir = parent;
  }
}
