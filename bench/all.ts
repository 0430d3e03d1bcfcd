// `bun run bench`: the three scenarios with their defaults, one after the other (about 3 minutes),
// then every table again, and the fan-out plot (bench/results/ws-fanout.svg, lib/plot.ts). Exits 1
// when any scenario's thresholds failed.
import { timeBound as connectBound, options as connectOptions, connectScenario } from "./connect";
import { timeBound as httpBound, options as httpOptions, httpScenario } from "./http";
import { parseArgs, parseCommandLine } from "./lib/args";
import { writeFanoutPlot } from "./lib/plot";
import { type Outcome, printOutcome, Resources, runMain } from "./lib/scenario";
import { timeBound as wsBound, wsFanout, options as wsOptions } from "./ws-fanout";

parseCommandLine("all", {});
const ws = parseArgs("ws-fanout", wsOptions, []);
const http = parseArgs("http", httpOptions, []);
const connect = parseArgs("connect", connectOptions, []);

const scenarios: ((resources: Resources) => Promise<Outcome>)[] = [
  (r) => wsFanout(ws, r),
  (r) => httpScenario(http, r),
  (r) => connectScenario(connect, r),
];

await runMain(wsBound(ws) + httpBound(http) + connectBound(connect), async (resources) => {
  const outcomes: Outcome[] = [];
  for (const scenario of scenarios) {
    // Each scenario's servers and workers are gone before the next one starts.
    const own = new Resources();
    resources.defer(() => own.release());
    const outcome = await scenario(own);
    await own.release();
    printOutcome(outcome);
    outcomes.push(outcome);
  }
  process.stdout.write("\n══════════ summary ══════════\n");
  for (const outcome of outcomes) printOutcome(outcome);
  const plot = writeFanoutPlot();
  if (plot) process.stdout.write(`\nplot: ${plot} (the newest ws-fanout run at each connection count)\n`);
  process.stdout.write(`\n${outcomes.every((o) => o.ok) ? "all thresholds passed" : "THRESHOLDS FAILED"}\n`);
  return outcomes;
});
