// Real backing services for suites that need them: reachability checks with the project's skip rule
// (skipped loudly on a developer machine, a failure in CI), Cassandra keyspace clean-up and Redis key
// prefixes.
import { describe } from "bun:test";
import { Client } from "cassandra-driver";

/** True when something accepts TCP connections on host:port within `timeoutMs`. */
export async function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const connect = Bun.connect({ hostname: host, port, socket: { data() {} } }).then(
    (socket) => {
      socket.end();
      return true;
    },
    () => false,
  );
  try {
    return await Promise.race([connect, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a suite that needs the service runs. When nothing answers on host:port: in CI (`CI=true`) this
 * throws, so the suite fails; elsewhere it prints a loud warning and hands back `describe.skip`.
 */
export async function requireService(
  name: string,
  host: string,
  port: number,
): Promise<{ up: boolean; describe: typeof describe }> {
  if (await reachable(host, port)) return { up: true, describe };
  const problem = `${name} not reachable on ${host}:${port}`;
  if (process.env.CI === "true") throw new Error(`${problem} (CI=true: the suites that need it must run)`);
  console.warn(`\n*** SKIPPED: ${problem} — run scripts/services/${name} start ***\n`);
  return { up: false, describe: describe.skip };
}

export const REDIS_HOST = "127.0.0.1";
export const REDIS_PORT = 6379;
export const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`;

/** A Redis key prefix no other suite or test run uses. */
export const uniqueKeyPrefix = (name: string) => `chatd-test:${name}:${crypto.randomUUID().slice(0, 8)}:`;

/** Like requireService, for a suite that runs a program itself (e.g. its own nats-server). */
export function requireCommand(name: string): { up: boolean; describe: typeof describe } {
  if (Bun.which(name)) return { up: true, describe };
  const problem = `${name} not found on PATH`;
  if (process.env.CI === "true") throw new Error(`${problem} (CI=true: the suites that need it must run)`);
  console.warn(`\n*** SKIPPED: ${problem} ***\n`);
  return { up: false, describe: describe.skip };
}

export const CASSANDRA_HOST = "127.0.0.1";
export const CASSANDRA_PORT = 9042;
export const CASSANDRA_CONTACT_POINT = `${CASSANDRA_HOST}:${CASSANDRA_PORT}`;

/** A keyspace name no other test run uses. */
export const uniqueKeyspace = (prefix = "chatd_test") =>
  `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;

/** Drops a test keyspace (its own short-lived connection, so it works after the store was closed). */
export async function dropKeyspace(keyspace: string): Promise<void> {
  const client = new Client({
    contactPoints: [CASSANDRA_CONTACT_POINT],
    localDataCenter: "datacenter1",
    socketOptions: { readTimeout: 60_000 },
  });
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS "${keyspace}"`);
  } finally {
    await client.shutdown();
  }
}
