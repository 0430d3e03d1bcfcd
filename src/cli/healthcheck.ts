// `chatd healthcheck`: asks the local server's GET /readyz and exits 0 when it answers 200, 1 otherwise
// (no answer in time, not ready, bad config), for container health checks without curl. Docker reserves
// exit code 2, so nothing here exits with it. /readyz needs no token, so METRICS_TOKEN plays no part.
import type { Config } from "../config";

const TIMEOUT_MS = 3000;

/** Where to reach a server listening on `host`: the loopback address for the wildcard addresses. */
export function localAddress(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

export async function healthcheck(
  config: Pick<Config, "host" | "port">,
  report: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<0 | 1> {
  if (config.port === 0) {
    report("chatd healthcheck: PORT is 0 (a random port); set the port the server listens on");
    return 1;
  }
  const url = `http://${localAddress(config.host)}:${config.port}/readyz`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "manual" });
    if (response.status === 200) return 0;
    report(`chatd healthcheck: ${url} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  } catch (error) {
    report(`chatd healthcheck: ${url}: ${(error as Error).message}`);
  }
  return 1;
}
