import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A stack trace with each frame in a bundle (dist/<name>/index.js, minified) rewritten to the
 * TypeScript file, line and column its index.js.map names. Done only when a bug is reported: a
 * source-map hook registered at start (ncc's sourcemap-register) parses the whole map whenever any
 * library formats a stack, which cost every run a tenth of a second.
 */
export function sourceMappedStack(stack: string): string {
  const maps = new Map<string, SourceMap | undefined>();
  return stack.replace(
    /((?:file:\/\/)?\/[^\s():]+\.js):(\d+):(\d+)/g,
    (frame, file: string, line: string, column: string) => {
      const bundle = file.startsWith('file://') ? fileURLToPath(file) : file;
      if (!maps.has(bundle)) maps.set(bundle, loadMap(bundle));
      const entry = maps.get(bundle)?.findEntry(Number(line) - 1, Number(column) - 1);
      if (!entry || !('originalSource' in entry) || !entry.originalSource) return frame;
      const source = path.resolve(path.dirname(bundle), entry.originalSource.replace(/^file:\/\//, ''));
      return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    },
  );
}

function loadMap(bundle: string): SourceMap | undefined {
  try {
    return new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8')));
  } catch {
    return undefined; // no map beside it (the sources themselves, or a library): the frame stays
  }
}
