/**
 * Rally's own per-iteration log lines (`Task <uuid> | ITER: 12 START`, `… | ITER: 12 END: OK`,
 * `… END: Error KeyError: …`, from rally/task/runner.py) counted into progress lines: the first
 * finished iteration, then at most one line every `intervalMs`, and the total at the end
 * (`progress: 40 iterations finished: 38 ok, 2 failed`). Two lines per iteration would bury the
 * rest of Rally's output; rally.log keeps them.
 */
const ITERATION = /\| ITER: \d+ (?:START|END: (OK|Error\b))/;

export class RallyProgress {
  private ok = 0;
  private failed = 0;
  private lastLogged = -1;
  private lastLoggedAt = -Infinity;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly options: { intervalMs?: number; now?: () => number } = {},
  ) {}

  /** Counts an iteration line and says so (the caller then leaves it out of the log). */
  take(line: string): boolean {
    const match = ITERATION.exec(line);
    if (!match) return false;
    if (match[1] === 'OK') this.ok++;
    else if (match[1]) this.failed++;
    else return true; // START
    const now = (this.options.now ?? Date.now)();
    if (now - this.lastLoggedAt >= (this.options.intervalMs ?? 10_000)) this.log(now);
    return true;
  }

  /** The total, unless the last line already said it. */
  finish(): void {
    if (this.ok + this.failed !== this.lastLogged) this.log((this.options.now ?? Date.now)());
  }

  private log(now: number): void {
    this.lastLogged = this.ok + this.failed;
    this.lastLoggedAt = now;
    const n = this.lastLogged;
    this.emit(`progress: ${n} iteration${n === 1 ? '' : 's'} finished: ${this.ok} ok, ${this.failed} failed`);
  }
}
