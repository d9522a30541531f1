/**
 * Reads a chart directory the way Helm's directory loader does: entries in lexical order per
 * directory (Go's filepath.Walk), `.helmignore` applied to directories (skipping their content)
 * and files, symbolic links followed, irregular files refused, UTF-8 BOMs dropped.
 */
import { lstat, readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { ChartFiles } from './chart-yaml.js';
import { HelmIgnore } from './helmignore.js';
import { compareNames, stripBom, type ChartFile } from './load.js';

export async function readChartDir(dir: string): Promise<ChartFile[]> {
  const rules = await readIgnoreRules(dir);
  const files: ChartFile[] = [];
  await walk(dir, '', rules, files, [await realpath(dir)]);
  return files;
}

async function readIgnoreRules(dir: string): Promise<HelmIgnore> {
  const file = path.join(dir, ChartFiles.ignore);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return HelmIgnore.defaults();
    throw err;
  }
  return HelmIgnore.parse(text, file);
}

async function walk(dir: string, prefix: string, rules: HelmIgnore, out: ChartFile[], ancestors: string[]) {
  const names = (await readdir(dir)).sort(compareNames);
  for (const name of names) {
    const full = path.join(dir, name);
    const relative = prefix ? `${prefix}/${name}` : name;
    let info = await lstat(full);
    if (info.isSymbolicLink()) {
      try {
        info = await stat(full);
      } catch {
        throw new UserError(`${full}: symbolic link to a missing target`);
      }
    }
    if (info.isDirectory()) {
      if (rules.ignores(relative, true)) continue;
      const real = await realpath(full);
      if (ancestors.includes(real)) throw new UserError(`${full}: symbolic link loop (back to ${real})`);
      await walk(full, relative, rules, out, [...ancestors, real]);
      continue;
    }
    if (rules.ignores(relative, false)) continue;
    if (!info.isFile()) {
      throw new UserError(`${full}: cannot package an irregular file (device, socket or pipe)`);
    }
    out.push({ name: relative, data: stripBom(await readFile(full)) });
  }
}
