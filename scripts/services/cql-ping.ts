// Waits until a Cassandra / ScyllaDB node answers CQL: connects with cassandra-driver and runs
// `SELECT release_version FROM system.local`, retrying until a timeout. Prints the release version
// on stdout and exits 0, or prints the last error on stderr and exits 1.
//
//   bun scripts/services/cql-ping.ts [--host 127.0.0.1] [--port 9042] [--timeout SECONDS] [--pid PID]
//
// --timeout 0 makes a single attempt (the default comes from CASSANDRA_WAIT_TIMEOUT, else 180).
// --pid stops waiting early when that process (the node being started) has exited.
import { Client } from "cassandra-driver";

function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key?.startsWith("--") || value === undefined) {
      console.error(`cql-ping: bad arguments: ${argv.join(" ")}`);
      process.exit(2);
    }
    args.set(key.slice(2), value);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const host = args.get("host") ?? process.env.CASSANDRA_HOST ?? "127.0.0.1";
const port = Number(args.get("port") ?? process.env.CASSANDRA_PORT ?? 9042);
const timeoutSeconds = Number(args.get("timeout") ?? process.env.CASSANDRA_WAIT_TIMEOUT ?? 180);
const pidArg = args.get("pid");
const pid = pidArg ? Number(pidArg) : undefined;
if (!Number.isInteger(port) || port <= 0 || !Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) {
  console.error("cql-ping: --port must be a port number and --timeout a number of seconds ≥ 0");
  process.exit(2);
}

function alive(p: number): boolean {
  try {
    process.kill(p, 0);
    return true;
  } catch {
    return false;
  }
}

async function attempt(): Promise<string> {
  const client = new Client({
    contactPoints: [`${host}:${port}`],
    localDataCenter: "datacenter1",
    socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
    // One connection, no reconnection attempts in the background: this is a probe.
    pooling: { coreConnectionsPerHost: { 0: 1, 1: 1, 2: 1 } },
  });
  try {
    await client.connect();
    const result = await client.execute("SELECT release_version FROM system.local");
    return String(result.first()?.get("release_version") ?? "unknown");
  } finally {
    await client.shutdown().catch(() => {});
  }
}

const deadline = Date.now() + timeoutSeconds * 1000;
let lastError = "";
for (;;) {
  try {
    console.log(await attempt());
    process.exit(0);
  } catch (error) {
    lastError = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
  }
  if (pid !== undefined && !alive(pid)) {
    console.error(`cql-ping: process ${pid} exited before CQL answered on ${host}:${port}`);
    break;
  }
  if (Date.now() >= deadline) {
    if (timeoutSeconds > 0) console.error(`cql-ping: no CQL on ${host}:${port} after ${timeoutSeconds} s`);
    break;
  }
  await Bun.sleep(500);
}
console.error(`cql-ping: last error: ${lastError}`);
process.exit(1);
