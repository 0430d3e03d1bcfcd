// A liveness prober in a process of its own (so nothing the test does delays it): every 50 ms until
// SIGTERM, GET <url>/healthz and, at the same moment, GET <control>/ on an idle server (control-server.ts),
// and one JSON line per probe on stdout: {"at","ms","control"} (when it started, epoch ms; how long
// chatd took; how long the control took), plus "failed" when chatd did not answer 200 ok.
// Run: bun tests/security/support/healthz-prober.ts http://127.0.0.1:PORT http://127.0.0.1:CONTROL
const [base, control] = process.argv.slice(2);
if (!base || !control) throw new Error("usage: healthz-prober.ts <chatd base url> <control base url>");

const INTERVAL_MS = 50;
/** A probe that takes longer than this counts as unanswered. */
const TIMEOUT_MS = 5000;

let running = true;
process.on("SIGTERM", () => {
  running = false;
});

async function timed(url: string): Promise<{ ms: number; failed?: string }> {
  const start = performance.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = await response.text();
    const ms = performance.now() - start;
    return response.status === 200 && body.includes('"ok"')
      ? { ms }
      : { ms, failed: `${response.status} ${body.slice(0, 100)}` };
  } catch (error) {
    return { ms: performance.now() - start, failed: String(error) };
  }
}

while (running) {
  const at = Date.now();
  const [probe, idle] = await Promise.all([timed(`${base}/healthz`), timed(`${control}/`)]);
  process.stdout.write(`${JSON.stringify({ at, ...probe, control: idle.ms })}\n`);
  await Bun.sleep(Math.max(1, INTERVAL_MS - Math.max(probe.ms, idle.ms)));
}

export {};
