// The SDK as a Node user runs it: bundled to plain ESM (no dependencies to install), imported by a
// Node script that logs in, subscribes, sends and receives over the platform's fetch and WebSocket
// (Node 22+; Node 20 with --experimental-websocket). Skipped, loudly, where there is no Node 20+.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeClients, sdkUser } from "../support/sdk";
import { startTestServer, type TestServer } from "../support/server";

const node = Bun.which("node");
const major = node ? Number(Bun.spawnSync([node, "--version"]).stdout.toString().replace(/^v/, "").split(".")[0]) : 0;
const runs = major >= 20;
if (!runs) console.warn("\n*** SKIPPED: the SDK on Node needs node 20 or later on PATH ***\n");

let server: TestServer;
let work: string;

beforeAll(async () => {
  if (!runs) return;
  server = await startTestServer({ messagesPerMinute: 10_000 });
  work = await mkdtemp(join(tmpdir(), "chatd-sdk-node-"));
  const built = await Bun.build({
    entrypoints: [join(import.meta.dir, "../../clients/js/src/index.ts")],
    outdir: work,
    target: "node",
    format: "esm",
  });
  if (!built.success) throw new AggregateError(built.logs, "SDK build failed");
});
afterAll(async () => {
  closeClients();
  if (!runs) return;
  await server.close();
  await rm(work, { recursive: true, force: true });
});

const script = `
import { ChatClient } from "./index.js";
const [baseUrl, login, password, room] = process.argv.slice(2);
const client = await ChatClient.login({ baseUrl }, login, password);
const created = new Promise((resolve) => client.on("message.created", resolve));
client.connect();
await client.subscribe(room);
const sent = await client.send(room, "hello from node");
const event = await created;
const me = await client.api.users.me();
console.log(JSON.stringify({ user: me.username, sent: sent.content, event: event.message.content, seq: event.seq }));
client.close();
`;

describe.if(runs)("the SDK on Node", () => {
  test("logs in, subscribes, sends and receives, with no dependency beyond fetch and WebSocket", async () => {
    const ana = await sdkUser(server.url, "node");
    const room = await ana.client.api.rooms.create({ name: "node", type: "public" });
    await writeFile(join(work, "run.mjs"), script);
    const flags = major < 22 ? ["--experimental-websocket"] : [];
    const run = Bun.spawn([node!, ...flags, "run.mjs", server.url, ana.username, ana.password, room.id], {
      cwd: work,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([
      new Response(run.stdout).text(),
      new Response(run.stderr).text(),
      run.exited,
    ]);
    expect({ code, err: err.replace(/.*ExperimentalWarning.*\n?|.*--trace-warnings.*\n?/g, "") }).toEqual({
      code: 0,
      err: "",
    });
    const result = JSON.parse(out.trim());
    expect(result).toMatchObject({ user: ana.username, sent: "hello from node", event: "hello from node" });
    expect(result.seq).toBeGreaterThan(0);
  }, 30_000);
});
