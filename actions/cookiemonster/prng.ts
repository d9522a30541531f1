/**
 * A small seeded PRNG (mulberry32 over a string-hashed seed) so that a chaos run can be replayed:
 * the same seed against the same cluster state picks the same victims. Each decision point derives
 * its own stream from (seed, labels), so one skipped kill does not shift every later choice.
 */
export class Prng {
  private state: number;

  constructor(seed: string | number) {
    this.state = hashSeed(String(seed));
  }

  /** A child stream for one decision point, e.g. prng.fork('tick', 3, 'openstack/mariadb'). */
  static derive(seed: string, ...labels: (string | number)[]): Prng {
    return new Prng([seed, ...labels].join('\u0000'));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)];
  }
}

/** FNV-1a, then one avalanche round: spreads short seeds such as "1" and "2" apart. */
function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** A fresh seed for a run that did not set one; reported so the run can be replayed. */
export function randomSeed(): string {
  return Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');
}
