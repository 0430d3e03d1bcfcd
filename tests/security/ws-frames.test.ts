// Hostile frames of every client frame type of src/ws/protocol.ts, and frames of none (binary, not
// JSON, not UTF-8, too large), over real sockets to a server in a process of its own while a prober
// in another one checks /healthz every 50 ms. Each frame gets an error frame with a documented code
// (or the reply it may get), nothing echoes a long input, and a socket closes only as documented:
// 1009 past 4x the payload limit, 1008 at the 21st error within 10 s. Seeded like http-routes.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildServer, startChildServer } from "../support/process";
import { RawWsClient } from "../support/raw-ws";
import { Fixtures } from "./support/fixtures";
import { allowedMs, describeProbes, type Prober, type Span, slowestReport, startProber } from "./support/liveness";
import { casesPerTarget, rngFor, runSeed, selected } from "./support/random";
import { FRAME_TYPES, type FrameCase, rawFrameCase, typedFrameCase } from "./support/ws-cases";
import { FrameRunner, frameReport } from "./support/ws-run";

const seed = runSeed();
const CASES = casesPerTarget(40);
const HEALTHZ_MAX_MS = 100;

let child: ChildServer;
let prober: Prober;
let fixtures: Fixtures;
let runner: FrameRunner;
let port: number;
/** Every frame sent, when, for the liveness report. */
const spans: Span[] = [];

beforeAll(async () => {
  console.log(
    `hostile WebSocket suite: seed ${seed} (replay with CHATD_FUZZ_SEED=${seed}), ${CASES} cases per frame type`,
  );
  child = await startChildServer(
    { RATE_LIMIT_MESSAGES_PER_MINUTE: "1000000", SHUTDOWN_TIMEOUT_SECONDS: "1" },
    { testStore: true },
  );
  port = Number(new URL(child.url).port);
  prober = await startProber(child.url);
  fixtures = await Fixtures.create(child.url);
  runner = new FrameRunner(port, [fixtures.ana.api.token!, fixtures.bob.api.token!]);
}, 90_000);
afterAll(async () => {
  runner?.close();
  await prober?.stop().catch(() => {});
  await child?.stop();
}, 60_000);

const targets: [string, (rng: ReturnType<typeof rngFor>) => FrameCase][] = [
  ...FRAME_TYPES.map(
    (type) =>
      [`frame ${type}`, (rng) => typedFrameCase(type, fixtures, rng)] as [
        string,
        (rng: ReturnType<typeof rngFor>) => FrameCase,
      ],
  ),
  ["frame of no type", (rng) => rawFrameCase(rng)],
];

describe("every client frame type, with hostile frames", () => {
  test("gets an error frame with a documented code or its reply; the socket stays open but as documented", async () => {
    const failures: string[] = [];
    const tally: string[] = [];
    const started = performance.now();
    for (const [target, make] of targets) {
      const rng = rngFor(seed, target);
      const outcomes = new Map<string, number>();
      for (let i = 0; i < CASES; i++) {
        const c = make(rng);
        if (!selected(target, i)) continue;
        const start = Date.now();
        const result = await runner.run(c);
        spans.push({
          start,
          end: Date.now(),
          what: `${target}#${i} ${c.label.slice(0, 100)}, ${c.payload.length} bytes`,
        });
        const outcome =
          result.closeCode !== null
            ? `close ${result.closeCode}`
            : (result.replies.find((f) => f.type === "error")?.code ?? result.replies[0]?.type ?? "nothing");
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (result.problems.length > 0)
          failures.push(frameReport(`CHATD_FUZZ_SEED=${seed} CHATD_FUZZ_ONLY="${target}#${i}"`, c, result));
        // A frame may have left the room (unsubscribe) or sent a message; the fixtures stay valid, bar bans.
      }
      tally.push(`  ${target}: ${[...outcomes].map(([o, n]) => `${o} x${n}`).join(", ")}`);
    }
    console.log(
      `hostile WebSocket suite: ${targets.length} targets over ${runner.sockets} sockets in ${((performance.now() - started) / 1000).toFixed(1)} s\n${tally.join("\n")}`,
    );
    if (failures.length > 0)
      console.error(`hostile WebSocket suite: ${failures.length} failing cases (seed ${seed})\n${failures.join("\n")}`);
    expect(failures).toEqual([]);
  }, 300_000);

  test("the 21st error within 10 s closes the socket with 1008, and only then", async () => {
    const client = await RawWsClient.connect(port, fixtures.ana.api.token!, { answerPings: true });
    for (let i = 0; i < 21; i++) client.sendText("not json");
    await client.until(() => client.closeCode !== null, 10_000, "close");
    // Every invalid frame gets its error; the 21st's is the last thing before the close.
    expect(client.frames.filter((f) => f.type === "error").length).toBe(21);
    expect(client.closeCode).toBe(1008);
  });

  test("the server logged no error and is still running", () => {
    const errors = child.logs.filter((line) => line.includes('"level":"error"'));
    expect(errors.map((line) => line.slice(0, 500))).toEqual([]);
    expect(child.exitCode()).toBeNull();
  });

  test(`/healthz answered every probe within ${HEALTHZ_MAX_MS} ms, beyond what the machine's load cost an idle server meanwhile`, async () => {
    const probes = await prober.stop();
    console.log(
      `hostile WebSocket suite: /healthz ${describeProbes(probes)}; slowest:\n${slowestReport(probes, spans)}`,
    );
    expect(probes.failures).toEqual([]);
    expect(probes.count).toBeGreaterThan(10);
    expect(probes.maxMs).toBeLessThanOrEqual(allowedMs(HEALTHZ_MAX_MS, probes));
  }, 30_000);
});
