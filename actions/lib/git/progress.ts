/**
 * git's progress lines (`Receiving objects:  45% (13500/30000)`), which it writes to stderr with
 * carriage returns, turned into log lines a reader can follow: the first line of each phase, then
 * at most one every `intervalMs`, and each phase's last line (`…, done.`).
 */
export function gitProgress(
  emit: (line: string) => void,
  { intervalMs = 5_000, now = Date.now }: { intervalMs?: number; now?: () => number } = {},
): (chunk: string) => void {
  let pending = '';
  let phase = '';
  let lastEmit = -Infinity;
  const line = (text: string) => {
    const trimmed = text.trim();
    if (!trimmed) return;
    const current = /^(?:remote: )?([A-Za-z ]+):/.exec(trimmed)?.[1] ?? '';
    const finished = /, done\.$/.test(trimmed);
    if (current !== phase || finished || now() - lastEmit >= intervalMs) {
      phase = current;
      lastEmit = now();
      emit(trimmed);
    }
  };
  return (chunk) => {
    const parts = (pending + chunk).split(/[\r\n]/);
    pending = parts.pop() ?? '';
    for (const part of parts) line(part);
  };
}
