// Runs chatd from source in a child process, for tests that need the server on an event loop of its
// own (a server that blocks its loop must not also block the test that measures it).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_JWT_SECRET } from "./server";

export type ChildServer = { url: string; stop(): Promise<void> };

const root = join(import.meta.dir, "..", "..");

export async function startChildServer(env: Record<string, string> = {}): Promise<ChildServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "chatd-child-"));
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
        ...env,
      },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "inherit",
    },
  );
  // The "chatd listening" log line carries the port the OS picked.
  const reader = proc.stdout.getReader();
  let seen = "";
  const deadline = Date.now() + 20_000;
  while (!/"chatd listening".*?:(\d+)"/.test(seen)) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${seen}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${seen}`);
    seen += new TextDecoder().decode(value);
  }
  const port = /"chatd listening".*?:(\d+)"/.exec(seen)![1];
  // Keep draining stdout so the child never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done);
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
