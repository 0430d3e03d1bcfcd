// The hostile suite's seeded randomness: one seed per run (CHATD_FUZZ_SEED replays a run), and from it
// one independent stream per target (a route, a frame type), so a target's cases depend only on the
// seed and its name, never on what the server answered or on which other targets ran.

/** A small, fast PRNG (mulberry32): the same seed gives the same sequence on every machine. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from nothing");
    return items[this.int(items.length)] as T;
  }

  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    let roll = this.next() * choices.reduce((sum, [weight]) => sum + weight, 0);
    for (const [weight, value] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return choices[choices.length - 1]![1];
  }
}

/** FNV-1a of a text: mixes a target's name into the run's seed. */
const hash = (text: string) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

/** The run's seed: CHATD_FUZZ_SEED when set (a replay), else a fresh one. */
export function runSeed(): number {
  const given = process.env.CHATD_FUZZ_SEED;
  if (given !== undefined && given !== "") {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`bad CHATD_FUZZ_SEED: ${given}`);
    return seed;
  }
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** The case stream of one target. */
export const rngFor = (seed: number, target: string) => new Rng(seed ^ hash(target));

/** Cases per target: CHATD_FUZZ_CASES for hand runs, else the suite's bounded default. */
export function casesPerTarget(fallback: number): number {
  const given = Number(process.env.CHATD_FUZZ_CASES);
  return Number.isInteger(given) && given > 0 ? given : fallback;
}

/**
 * CHATD_FUZZ_ONLY="<target>#<case>" (as a failure prints it) runs that one case; unset runs all.
 * Cases are generated all the same, so the one kept is the one the failing run sent.
 */
export function selected(target: string, index: number): boolean {
  const only = process.env.CHATD_FUZZ_ONLY;
  return !only || only === `${target}#${index}`;
}
