/** Writes a chart package's files to disk for tools that need a directory (Armada, helm template). */
import { constants } from 'node:fs';
import { mkdir, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { readChartPackage, type ChartPackage } from './package.js';

/**
 * Writes the package's files under `dir/<name>/` and returns that path. Refuses absolute paths,
 * `..`, link entries, and writing through a symbolic link that leads out of `dir/<name>/`.
 */
export async function extractChart(pkg: ChartPackage, dir: string): Promise<string> {
  const what = `chart package ${pkg.name}-${pkg.version}.tgz`;
  const { files, name } = await readChartPackage(pkg.bytes, what);
  const target = path.resolve(dir, name);
  await mkdir(target, { recursive: true });
  const realTarget = await realpath(target);
  if (realTarget !== path.join(await realpath(dir), name)) {
    throw new UserError(
      `${what}: refusing to extract into ${target}: it is a symbolic link to ${realTarget}`,
    );
  }
  for (const [relative, data] of files) {
    if (path.isAbsolute(relative) || relative.split('/').includes('..')) {
      throw new UserError(`${what}: refusing to extract ${JSON.stringify(relative)}`);
    }
    const file = path.join(target, relative);
    await mkdir(path.dirname(file), { recursive: true });
    const realParent = await realpath(path.dirname(file));
    if (realParent !== realTarget && !realParent.startsWith(realTarget + path.sep)) {
      throw new UserError(
        `${what}: refusing to extract ${relative}: ${path.dirname(file)} leads outside ${target}`,
      );
    }
    const handle = await open(
      file,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o644,
    ).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ELOOP')
        throw new UserError(`${what}: refusing to extract ${relative}: ${file} is a symbolic link`);
      throw err;
    });
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
  }
  return target;
}
