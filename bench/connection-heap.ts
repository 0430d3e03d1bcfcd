// Where an idle connection's memory goes, in process: starts chatd (embedded defaults) in this process,
// opens N WebSocket clients from a child process (open, authenticate, subscribe to one of 10 rooms),
// then compares the JS heap after a full GC (bun:jsc heapStats) before and after: bytes and objects
// per connection, and the object types that grew by at least 0.1 per connection. Not a load scenario
// (no baseline; the figures are this process's, not a compiled server's RSS).
// `bun bench/connection-heap.ts [connections]` (default 5,000, at most 18,000).
import { heapStats } from "bun:jsc";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../src/app/server";
import { defaultConfig } from "../src/config";
import { createLogger } from "../src/log";
import { createRoom, createUsers, joinRoom, mapLimit, runPrefix } from "./lib/fixtures";

type Spec = { token: string; roomId: string };

/** The child: opens the clients, 64 handshakes at a time, prints READY, then holds them. */
async function clients(url: string, specs: Spec[], count: number) {
  let ready = 0;
  let next = 0;
  const held: WebSocket[] = [];
  await new Promise<void>((resolve) => {
    const open = () => {
      while (next - ready < 64 && next < count) {
        const spec = specs[next++ % specs.length]!;
        const ws = new WebSocket(`${url}/v1/ws?token=${encodeURIComponent(spec.token)}`);
        held.push(ws);
        ws.onopen = () => ws.send(JSON.stringify({ type: "subscribe", ref: "sub", room_id: spec.roomId }));
        ws.onmessage = (event) => {
          if (!String(event.data).startsWith('{"type":"subscribed"')) return;
          if (++ready === count) resolve();
          else open();
        };
      }
    };
    open();
  });
  console.log(`READY ${held.length}`);
  setTimeout(() => process.exit(0), 120_000);
}

async function settledHeap() {
  Bun.gc(true);
  await Bun.sleep(200);
  Bun.gc(true);
  return heapStats();
}

async function measure(count: number) {
  const dataDir = mkdtempSync(join(tmpdir(), "chatd-heap-"));
  const config = defaultConfig({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    jwtSecret: crypto.randomUUID().repeat(2),
    // Cheap hashing for the signups, as in the load scenarios.
    passwordMemoryKib: 8192,
    passwordTimeCost: 1,
  });
  const server = await startServer(config, createLogger("silent"));
  try {
    const users = await createUsers(server.url, runPrefix(), 110);
    const specs: Spec[] = [];
    for (let room = 0; room < 10; room++) {
      const roomId = await createRoom(server.url, users[room * 11]!, `heap-${room}`);
      const members = users.slice(room * 11 + 1, room * 11 + 11);
      await mapLimit(members, 4, (user) => joinRoom(server.url, user, roomId));
      for (const user of members) specs.push({ token: user.token, roomId });
    }
    const specFile = join(dataDir, "specs.json");
    await Bun.write(specFile, JSON.stringify(specs));
    const before = await settledHeap();
    const cpu = process.cpuUsage();
    const child = Bun.spawn(
      [process.execPath, import.meta.path, "--child", server.url.replace(/^http/, "ws"), specFile, String(count)],
      {
        stdout: "pipe",
        stderr: "inherit",
      },
    );
    let out = "";
    const reader = child.stdout.getReader();
    while (!out.includes("READY")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the client process ended before its clients were ready");
      out += new TextDecoder().decode(value);
    }
    const used = process.cpuUsage(cpu);
    await Bun.sleep(1000);
    const after = await settledHeap();
    const per = (a: number, b: number) => (b - a) / count;
    console.log(`${count} idle connections`);
    console.log(`  JS heap per connection: ${per(before.heapSize, after.heapSize).toFixed(0)} B`);
    console.log(`  objects per connection: ${per(before.objectCount, after.objectCount).toFixed(2)}`);
    console.log(
      `  server CPU per connection (this process, while connecting): ${((used.user + used.system) / count).toFixed(0)} µs`,
    );
    const grown = Object.entries(after.objectTypeCounts)
      .map(([type, n]) => [type, per(before.objectTypeCounts[type] ?? 0, n)] as const)
      .filter(([, n]) => n >= 0.1)
      .sort((a, b) => b[1] - a[1]);
    console.log(`  by type: ${grown.map(([type, n]) => `${type} ${n.toFixed(2)}`).join(", ")}`);
    child.kill();
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  const [url, specFile, count] = process.argv.slice(3);
  await clients(url!, JSON.parse(await Bun.file(specFile!).text()), Number(count));
} else {
  const count = Number(process.argv[2] ?? 5000);
  if (!Number.isInteger(count) || count < 1 || count > 18_000) {
    console.error("usage: bun bench/connection-heap.ts [connections 1..18000]");
    process.exit(2);
  }
  await measure(count);
  process.exit(0);
}
