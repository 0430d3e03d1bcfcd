// The roles of a split deployment refuse to run where they would split behaviour: on the in-process
// bus, an api, ws or indexer process would never see the other processes' events; an indexer with no
// search backend (Cassandra storage, no OPENSEARCH_URL) would have nothing to feed.
import { expect, test } from "bun:test";
import { join } from "node:path";

const MAIN = join(import.meta.dir, "../../src/main.ts");

for (const role of ["api", "ws", "indexer"]) {
  test(`--role ${role} without NATS_URL exits 2 with a message naming NATS_URL`, async () => {
    const env: Record<string, string | undefined> = { ...process.env, PORT: "0", DATA_DIR: "/nonexistent/never-used" };
    delete env.NATS_URL;
    const proc = Bun.spawn(["bun", MAIN, "serve", "--role", role], { env, stdout: "pipe", stderr: "pipe" });
    expect(await proc.exited).toBe(2);
    const stderr = await new Response(proc.stderr).text();
    expect(stderr).toContain("NATS_URL");
    expect(stderr).toContain(`role "${role}"`);
  }, 20_000);
}

test("--role indexer without a search backend exits 2 with a message naming OPENSEARCH_URL", async () => {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: "0",
    DATA_DIR: "/nonexistent/never-used",
    NATS_URL: "nats://127.0.0.1:4222",
    CASSANDRA_CONTACT_POINTS: "127.0.0.1:9042",
  };
  delete env.OPENSEARCH_URL;
  const proc = Bun.spawn(["bun", MAIN, "serve", "--role", "indexer"], { env, stdout: "pipe", stderr: "pipe" });
  expect(await proc.exited).toBe(2);
  const stderr = await new Response(proc.stderr).text();
  expect(stderr).toContain("OPENSEARCH_URL");
  expect(stderr).toContain('role "indexer"');
}, 20_000);
