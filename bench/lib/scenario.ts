// Running a scenario as a program: everything it starts is released on success, failure, Ctrl-C or
// when its time bound passes, and the exit code says whether the thresholds held.
import { UsageError } from "./args";
import { renderTable, renderThresholds } from "./report";
import type { ThresholdResult } from "./runner";

export type Outcome = {
  scenario: string;
  ok: boolean;
  file: string;
  title: string;
  /** The table's header; a chatd-vs-baseline table when absent. */
  header?: string[];
  table: string[][];
  thresholds: ThresholdResult[];
  warnings: string[];
};

/** Things to stop or remove, released last-in first-out. */
export class Resources {
  readonly #stack: (() => unknown)[] = [];

  defer(release: () => unknown) {
    this.#stack.push(release);
  }

  async release() {
    while (this.#stack.length > 0) {
      try {
        await this.#stack.pop()!();
      } catch (error) {
        process.stderr.write(`cleanup: ${String(error)}\n`);
      }
    }
  }
}

export const log = (text: string) => process.stderr.write(`[bench] ${text}\n`);

export function printOutcome(outcome: Outcome) {
  process.stdout.write(`${renderTable(outcome.title, outcome.table, outcome.header)}\n`);
  if (outcome.thresholds.length) process.stdout.write(`thresholds:\n${renderThresholds(outcome.thresholds)}\n`);
  for (const warning of outcome.warnings) process.stdout.write(`WARNING: ${warning}\n`);
  process.stdout.write(`result: ${outcome.file}\n`);
}

/**
 * Runs `work` with a fresh Resources, bounded by `maxMs`; exits 0 when every outcome is ok, 1 when a
 * threshold failed or the run broke or timed out, 2 on a usage error, 130 on Ctrl-C.
 */
export async function runMain(maxMs: number, work: (resources: Resources) => Promise<Outcome[]>) {
  const resources = new Resources();
  const bail = async (code: number, why: string) => {
    log(why);
    await resources.release();
    process.exit(code);
  };
  const watchdog = setTimeout(() => bail(1, `time bound of ${Math.round(maxMs / 1000)} s passed: stopping`), maxMs);
  process.on("SIGINT", () => bail(130, "interrupted"));
  process.on("SIGTERM", () => bail(143, "terminated"));
  try {
    const outcomes = await work(resources);
    clearTimeout(watchdog);
    await resources.release();
    process.exit(outcomes.every((o) => o.ok) ? 0 : 1);
  } catch (error) {
    clearTimeout(watchdog);
    if (error instanceof UsageError) await bail(2, error.message);
    else await bail(1, `failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

/** A scenario file run as a program: runs `scenario` once within `timeBound(o)`, prints its outcome. */
export const main = <O>(o: O, timeBound: (o: O) => number, scenario: (o: O, r: Resources) => Promise<Outcome>) =>
  runMain(timeBound(o), async (resources) => {
    const outcome = await scenario(o, resources);
    printOutcome(outcome);
    return [outcome];
  });
