/**
 * Which bats suites prove which image. `tests` (relative to the context) is a directory of
 * `<image>.bats` files, or a glob in which `{image}` stands for the image name
 * (`tests/{image}/*.bats`, `tests/{image}.bats`); a pattern without `{image}` applies to every image.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { UserError } from '../lib/errors.js';

export const IMAGE_PLACEHOLDER = '{image}';

export interface SuiteFinder {
  /** The pattern as resolved (absolute), for messages. */
  pattern: string;
  /** Absolute paths of the suites for `image`, sorted; [] when there are none. */
  suitesFor(image: string): string[];
}

/** Validates the pattern (its fixed directory part must exist) and returns a finder. */
export function suiteFinder(tests: string, context: string, what: string): SuiteFinder {
  let pattern = path.resolve(context, tests);
  if (
    !pattern.includes(IMAGE_PLACEHOLDER) &&
    !picomatch.scan(pattern).isGlob &&
    existsSync(pattern) &&
    statSync(pattern).isDirectory()
  ) {
    pattern = path.join(pattern, `${IMAGE_PLACEHOLDER}.bats`);
  }
  const fixedDir = fixedDirectory(pattern);
  if (!existsSync(fixedDir) || !statSync(fixedDir).isDirectory()) {
    throw new UserError(
      `${what}: the tests directory ${fixedDir} does not exist (tests pattern ${JSON.stringify(tests)}, relative to ${context})`,
    );
  }
  return {
    pattern,
    suitesFor(image) {
      const concrete = pattern.split(IMAGE_PLACEHOLDER).join(image);
      const scan = picomatch.scan(concrete);
      if (!scan.isGlob) return existsSync(concrete) && statSync(concrete).isFile() ? [concrete] : [];
      const base = scan.base || '/';
      if (!existsSync(base)) return [];
      const matches = picomatch(scan.glob, { dot: false });
      return walk(base)
        .filter((file) => matches(path.relative(base, file)))
        .sort();
    },
  };
}

/** The longest leading part of the pattern without `{image}` or glob characters. */
function fixedDirectory(pattern: string): string {
  const parts = pattern.split(path.sep);
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (part.includes(IMAGE_PLACEHOLDER) || picomatch.scan(part).isGlob) break;
    fixed.push(part);
  }
  return fixed.join(path.sep) || path.sep;
}

function walk(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.git' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...walk(full));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}
