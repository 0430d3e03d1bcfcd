// Hostile requests against every route of the server's own OpenAPI document, on a server in a process
// of its own while a prober in another one checks /healthz every 50 ms. Each answer is a 4xx in the
// contract's error shape (or a success where the request may be right), never a 5xx, never an echo
// of a long input; the server logs no error and /healthz keeps answering within 100 ms. Seeded:
// every run prints its seed, CHATD_FUZZ_SEED replays it, CHATD_FUZZ_ONLY one case, CHATD_FUZZ_CASES
// sets the cases per route (README, "Hostile input").
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildServer, startChildServer } from "../support/process";
import { Fixtures } from "./support/fixtures";
import { httpCase, type Operation, operationsOf } from "./support/http-cases";
import { minimal, problemsOf, report, send } from "./support/http-run";
import { toBytes } from "./support/json-tree";
import { allowedMs, describeProbes, type Prober, type Span, slowestReport, startProber } from "./support/liveness";
import { casesPerTarget, rngFor, runSeed, selected } from "./support/random";

const seed = runSeed();
const CASES = casesPerTarget(40);
/** Liveness: the bound the issue sets for /healthz while the suite runs. */
const HEALTHZ_MAX_MS = 100;

let child: ChildServer;
let prober: Prober;
let fixtures: Fixtures;
let operations: Operation[];
/** Every case sent, when, for the liveness report. */
const spans: Span[] = [];

beforeAll(async () => {
  console.log(`hostile HTTP suite: seed ${seed} (replay with CHATD_FUZZ_SEED=${seed}), ${CASES} cases per route`);
  child = await startChildServer(
    { RATE_LIMIT_MESSAGES_PER_MINUTE: "1000000", SHUTDOWN_TIMEOUT_SECONDS: "1" },
    { testStore: true },
  );
  prober = await startProber(child.url);
  fixtures = await Fixtures.create(child.url);
  operations = operationsOf((await (await fetch(`${child.url}/docs/json`)).json()) as never);
}, 90_000);
afterAll(async () => {
  await prober?.stop().catch(() => {});
  await child?.stop();
}, 60_000);

/** A case whose success may have deleted, banned or kicked a fixture. */
const mayBreakFixtures = (method: string, status: number) => status < 300 && method !== "GET";

describe("every route of the OpenAPI document, with hostile input", () => {
  test("answers with a bounded 4xx in the contract's shape or a success it may give, never a 5xx", async () => {
    expect(operations.length).toBeGreaterThan(30);
    const failures: string[] = [];
    const tally: string[] = [];
    const started = performance.now();
    for (const op of operations) {
      const target = `${op.method} ${op.template}`;
      const rng = rngFor(seed, target);
      const statuses = new Map<number, number>();
      for (let i = 0; i < CASES; i++) {
        const c = httpCase(op, i, fixtures, rng);
        if (!selected(target, i)) continue;
        const start = Date.now();
        const answer = await send(child.url, c);
        const size = c.body ? toBytes(c.body).length : 0;
        spans.push({ start, end: Date.now(), what: `${target}#${i} ${c.label.slice(0, 100)}, ${size} bytes` });
        const status = "failed" in answer ? 0 : answer.status;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (problemsOf(c, answer).length > 0) {
          const replay = `CHATD_FUZZ_SEED=${seed} CHATD_FUZZ_ONLY="${target}#${i}"`;
          failures.push(report(replay, c, await minimal(child.url, c)));
        }
        if (mayBreakFixtures(c.method, status)) await fixtures.repair();
      }
      const counts = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}x${n}`);
      tally.push(`  ${target}: ${counts.join(" ")}`);
    }
    console.log(
      `hostile HTTP suite: ${operations.length} routes in ${((performance.now() - started) / 1000).toFixed(1)} s\n${tally.join("\n")}`,
    );
    if (failures.length > 0)
      console.error(`hostile HTTP suite: ${failures.length} failing cases (seed ${seed})\n${failures.join("\n")}`);
    expect(failures).toEqual([]);
  }, 300_000);

  test("the server logged no error and is still running", () => {
    const errors = child.logs.filter((line) => line.includes('"level":"error"'));
    expect(errors.map((line) => line.slice(0, 500))).toEqual([]);
    expect(child.exitCode()).toBeNull();
  });

  test(`/healthz answered every probe within ${HEALTHZ_MAX_MS} ms, beyond what the machine's load cost an idle server meanwhile`, async () => {
    const probes = await prober.stop();
    console.log(`hostile HTTP suite: /healthz ${describeProbes(probes)}; slowest:\n${slowestReport(probes, spans)}`);
    expect(probes.failures).toEqual([]);
    expect(probes.count).toBeGreaterThan(10);
    expect(probes.maxMs).toBeLessThanOrEqual(allowedMs(HEALTHZ_MAX_MS, probes));
  }, 30_000);
});
