import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

/**
 * Takes variables out of this process's environment once their values have been read: out of
 * process.env (no child inherits them, and @actions/core's getInput reads process.env) and out of
 * the copy the kernel shows as /proc/<pid>/environ, which unsetenv() leaves untouched: any
 * process of the same user could read the secrets there. Overwriting that copy through
 * /proc/self/mem is what setproctitle does with argv. Returns false when the kernel copy could
 * not be cleared (no /proc, a kernel that refuses the write); the caller says so in its log.
 *
 * This does not make a process of the same user harmless: it can still read this process's
 * memory. It removes the one place such code finds secrets without trying (docs/security.md).
 */
export function forgetEnvironment(names: readonly string[]): boolean {
  for (const name of names) delete process.env[name];
  if (process.platform !== 'linux') return false;
  try {
    const [start, end] = environArea();
    const fd = openSync('/proc/self/mem', 'r+');
    try {
      const area = Buffer.alloc(end - start);
      readSync(fd, area, 0, area.length, start);
      let offset = 0;
      for (const entry of area.toString('latin1').split('\0')) {
        const at = entry.indexOf('=');
        if (at > 0 && names.includes(entry.slice(0, at)) && entry.length > at + 1) {
          const blank = Buffer.alloc(entry.length - at - 1, 0);
          writeSync(fd, blank, 0, blank.length, start + offset + at + 1);
        }
        offset += entry.length + 1;
      }
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}

/** env_start and env_end, fields 50 and 51 of /proc/self/stat (proc(5)). */
function environArea(): [number, number] {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Field 2 (comm) is in parentheses and may hold spaces: count from after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[50 - 3]);
  const end = Number(fields[51 - 3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start || end - start > 1 << 24)
    throw new Error('no environment area in /proc/self/stat');
  return [start, end];
}
