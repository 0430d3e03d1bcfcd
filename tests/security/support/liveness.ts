// Runs the /healthz prober (healthz-prober.ts) and its idle control server (control-server.ts) beside a
// test, and sums up what they measured: how long chatd took to answer, and how much longer than the
// idle control at the same moment (what chatd's own event loop added to what the machine's load cost).
import { join } from "node:path";

export type Probe = { at: number; ms: number; control: number; failed?: string };

export type Probes = {
  count: number;
  failures: string[];
  maxMs: number;
  p50Ms: number;
  p99Ms: number;
  /** The idle control server's slowest answer: what the machine's load alone cost a probe. */
  controlMaxMs: number;
  /** The most a probe took beyond the control probe sent with it. */
  excessMaxMs: number;
  /** The five probes most beyond their control, worst first. */
  slowest: Probe[];
};

export type Prober = { stop(): Promise<Probes> };

const here = import.meta.dir;

/** Reads a child's stdout: `next()` resolves with what arrived so far once `until` holds. */
function lines(proc: { stdout: ReadableStream<Uint8Array> }) {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const read = async () => {
    const { value, done } = await reader.read();
    if (!done) text += decoder.decode(value, { stream: true });
    return !done;
  };
  return {
    async until(check: (text: string) => boolean) {
      while (!check(text)) if (!(await read())) throw new Error(`a liveness process exited: ${text}`);
      return text;
    },
    async rest() {
      while (await read());
      return text;
    },
  };
}

/** Starts probing `base` and the control; resolves once the first probe answered. */
export async function startProber(base: string): Promise<Prober> {
  const spawn = (script: string, ...args: string[]) =>
    Bun.spawn([process.execPath, join(here, script), ...args], { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
  const control = spawn("control-server.ts");
  const port = (await lines(control).until((t) => t.includes("\n"))).trim();
  const prober = spawn("healthz-prober.ts", base, `http://127.0.0.1:${port}`);
  const output = lines(prober);
  await output.until((t) => t.includes("\n"));
  return {
    async stop() {
      prober.kill("SIGTERM");
      const text = await output.rest();
      await prober.exited;
      control.kill();
      await control.exited;
      const probes = text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Probe);
      const sorted = probes.map((p) => p.ms).sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      const excess = (p: Probe) => p.ms - p.control;
      return {
        count: probes.length,
        failures: probes.filter((p) => p.failed).map((p) => p.failed!),
        maxMs: sorted[sorted.length - 1] ?? 0,
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        controlMaxMs: Math.max(0, ...probes.map((p) => p.control)),
        excessMaxMs: Math.max(0, ...probes.map(excess)),
        slowest: [...probes].sort((a, b) => excess(b) - excess(a)).slice(0, 5),
      };
    },
  };
}

export const describeProbes = (p: Probes) =>
  `${p.count} probes, ${p.failures.length} unanswered, p50 ${p.p50Ms.toFixed(1)} ms, p99 ${p.p99Ms.toFixed(1)} ms, ` +
  `max ${p.maxMs.toFixed(1)} ms; idle control max ${p.controlMaxMs.toFixed(1)} ms; most beyond the control ${p.excessMaxMs.toFixed(1)} ms`;

/** Something the test did, from `start` to `end` (epoch ms). */
export type Span = { start: number; end: number; what: string };

/** The test's spans that overlap a probe, longest first. */
const overlapping = (spans: readonly Span[], probe: Probe) =>
  spans
    .filter((span) => span.end >= probe.at && span.start <= probe.at + probe.ms)
    .sort((a, b) => b.end - b.start - (a.end - a.start))
    .slice(0, 3)
    .map((span) => `${span.what} (${span.end - span.start} ms)`);

/** The slowest probes, each with what the test was doing meanwhile. */
export const slowestReport = (probes: Probes, spans: readonly Span[]) =>
  probes.slowest
    .map(
      (p) =>
        `  ${p.ms.toFixed(1)} ms at ${new Date(p.at).toISOString()}: ${overlapping(spans, p).join("; ") || "nothing"}`,
    )
    .join("\n");

/**
 * The most a probe may take: `boundMs` plus the idle control server's slowest answer in the same run.
 * On a machine busy with other work every process stalls now and then (the control, which does nothing,
 * has been seen at 150+ ms on two loaded cores); what the bound is about is what chatd's own event loop
 * adds, and a stall of the kind the suite exists to find (seconds) passes any such allowance.
 */
export const allowedMs = (boundMs: number, probes: Pick<Probes, "controlMaxMs">) => boundMs + probes.controlMaxMs;
