// Runs chatd from source in a child process, for tests that need the server on an event loop of its
// own (a server that blocks its loop must not also block the test that measures it). With
// `testStore`, its storage follows CHATD_TEST_STORE like startTestServer's (cassandra: a keyspace of
// its own, dropped by stop()).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_JWT_SECRET } from "./server";
import { CASSANDRA_CONTACT_POINT, dropKeyspace, uniqueKeyspace } from "./services";

export type ChildServer = {
  url: string;
  /** The server's log lines so far (JSON, one per line; stdout and stderr, which is also passed on). */
  logs: string[];
  /** The exit code once the process ended, null while it runs. */
  exitCode(): number | null;
  stop(): Promise<void>;
};

export type ChildOptions = { testStore?: boolean };

const root = join(import.meta.dir, "..", "..");

export async function startChildServer(
  env: Record<string, string> = {},
  options: ChildOptions = {},
): Promise<ChildServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "chatd-child-"));
  const keyspace = options.testStore && process.env.CHATD_TEST_STORE === "cassandra" ? uniqueKeyspace() : null;
  const store = keyspace
    ? {
        CASSANDRA_CONTACT_POINTS: CASSANDRA_CONTACT_POINT,
        CASSANDRA_KEYSPACE: keyspace,
        CASSANDRA_LOCAL_DC: "datacenter1",
      }
    : {};
  const proc = Bun.spawn(
    [process.execPath, "src/main.ts", "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        JWT_SECRET: TEST_JWT_SECRET,
        PASSWORD_HASH_MEMORY_KIB: "1024",
        PASSWORD_HASH_TIME_COST: "1",
        LOG_LEVEL: "info",
        HTTP_VALIDATE_RESPONSES: "true",
        ...store,
        ...env,
      },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const logs: string[] = [];
  let partial = "";
  const decoder = new TextDecoder();
  const take = (chunk: Uint8Array) => {
    const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
    partial = lines.pop() ?? "";
    logs.push(...lines.filter(Boolean));
  };
  // Warnings and errors go to stderr: kept with the rest, and shown as before.
  (async () => {
    const errors = new TextDecoder();
    let rest = "";
    for await (const chunk of proc.stderr) {
      process.stderr.write(chunk);
      const lines = (rest + errors.decode(chunk, { stream: true })).split("\n");
      rest = lines.pop() ?? "";
      logs.push(...lines.filter(Boolean));
    }
  })().catch(() => {});
  // The "chatd listening" log line carries the port the OS picked.
  const reader = proc.stdout.getReader();
  const listening = () => logs.map((line) => /"chatd listening".*?:(\d+)"/.exec(line)?.[1]).find(Boolean);
  const deadline = Date.now() + (keyspace ? 60_000 : 20_000);
  while (!listening()) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${logs.join("\n")}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${logs.join("\n")}${partial}`);
    take(value);
  }
  const port = listening();
  // Keep draining stdout so the child never blocks on a full pipe.
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      take(value);
    }
  })().catch(() => {});
  let exitCode: number | null = null;
  void proc.exited.then((code) => {
    exitCode = code;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    logs,
    exitCode: () => exitCode,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      await rm(dataDir, { recursive: true, force: true });
      if (keyspace) await dropKeyspace(keyspace);
    },
  };
}
