// /metrics moves with what happens on the server: message delivery latency, active rooms, REST 429s by
// limit, process figures, build info; and with METRICS_TOKEN only its bearer may read it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { VERSION } from "../../src/version";
import { Client, newUser, type TestUser, uniqueUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";
import { WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;
const sockets: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 3, loginMaxFailures: 2 });
  ana = await newUser(server.url, "metrics");
});
afterAll(async () => {
  for (const socket of sockets) socket.socket.close();
  await server.close();
});

const scrape = async (base = server.url) => (await fetch(`${base}/metrics`)).text();

/** The value of one sample (`name{labels} value`), or undefined when it is not exported. */
const sample = (text: string, name: string, labels = ""): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
};

const connect = async (user: TestUser) => {
  const client = await WsClient.connect(server.url, user.api.token!);
  sockets.push(client);
  return client;
};

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}

describe("metrics", () => {
  test("active rooms count rooms with local subscribers, up and down", async () => {
    const rooms = [];
    for (const name of ["a", "b"]) rooms.push((await ana.api.post("/v1/rooms", { name, type: "public" })).body.id);
    const before = sample(await scrape(), "chatd_ws_active_rooms")!;
    const [first, second] = [await connect(ana), await connect(ana)];
    await first.subscribe(rooms[0]);
    await second.subscribe(rooms[0]);
    expect(sample(await scrape(), "chatd_ws_active_rooms")).toBe(before + 1);
    await second.subscribe(rooms[1]);
    expect(sample(await scrape(), "chatd_ws_active_rooms")).toBe(before + 2);
    await first.request({ type: "unsubscribe", room_id: rooms[0] });
    expect(sample(await scrape(), "chatd_ws_active_rooms")).toBe(before + 2);
    await second.close();
    await eventually(async () => sample(await scrape(), "chatd_ws_active_rooms") === before);
  });

  test("message delivery latency is observed once per message handed to the room's subscribers", async () => {
    const room = (await ana.api.post("/v1/rooms", { name: "latency", type: "public" })).body.id;
    const client = await connect(ana);
    await client.subscribe(room);
    const before = sample(await scrape(), "chatd_message_delivery_seconds_count") ?? 0;
    expect((await ana.api.post(`/v1/rooms/${room}/messages`, { content: "timed" })).status).toBe(201);
    await client.next((f) => f.type === "message.created" && f.message.content === "timed");
    const text = await scrape();
    expect(sample(text, "chatd_message_delivery_seconds_count")).toBe(before + 1);
    expect(sample(text, "chatd_message_delivery_seconds_bucket", 'le="+Inf"')).toBe(before + 1);
    // A message in a room nobody here subscribes to is not delivered by this process.
    const quiet = (await ana.api.post("/v1/rooms", { name: "quiet", type: "public" })).body.id;
    await ana.api.post(`/v1/rooms/${quiet}/messages`, { content: "unheard" });
    expect(sample(await scrape(), "chatd_message_delivery_seconds_count")).toBe(before + 1);
  });

  test("REST 429s are counted by the limit that refused them", async () => {
    const room = (await ana.api.post("/v1/rooms", { name: "limits", type: "public" })).body.id;
    let status = 0;
    for (let i = 0; i < 10 && status !== 429; i++)
      status = (await ana.api.post(`/v1/rooms/${room}/messages`, { content: `m${i}` })).status;
    expect(status).toBe(429);
    expect(sample(await scrape(), "chatd_http_rate_limited_total", 'limit="messages"')).toBe(1);

    const api = new Client(server.url);
    const user = uniqueUser("limited");
    await api.post("/v1/auth/signup", user);
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await api.post("/v1/auth/login", { login: user.username, password: "wrong password" })).status);
    expect(statuses).toEqual([401, 401, 429, 429]);
    expect(sample(await scrape(), "chatd_http_rate_limited_total", 'limit="login_account"')).toBe(2);
  });

  test("process figures move: CPU time, resident memory, JavaScript heap, open descriptors, event-loop lag", async () => {
    // The test server runs in this process: busy it, grow it, and open sockets on it. Collected
    // first, so the heap figures are live objects, not what earlier tests left to the collector.
    Bun.gc(true);
    const before = await scrape();
    const busyUntil = performance.now() + 400;
    let spin = 0;
    while (performance.now() < busyUntil) spin++;
    const ballast = Buffer.alloc(64 * 1024 * 1024, spin % 251);
    const objects = Array.from({ length: 400_000 }, (_, i) => ({ i, name: `object ${i}` }));
    const extra = await Promise.all([connect(ana), connect(ana), connect(ana)]);
    await Bun.sleep(250); // one lag-timer tick after the busy loop
    Bun.gc(true);
    const after = await scrape();
    expect(sample(after, "chatd_process_cpu_seconds_total")!).toBeGreaterThan(
      sample(before, "chatd_process_cpu_seconds_total")! + 0.2,
    );
    expect(sample(after, "chatd_process_resident_memory_bytes")!).toBeGreaterThan(
      sample(before, "chatd_process_resident_memory_bytes")! + 32 * 1024 * 1024,
    );
    expect(sample(after, "chatd_process_heap_bytes")!).toBeGreaterThan(
      sample(before, "chatd_process_heap_bytes")! + 8 * 1024 * 1024,
    );
    expect(sample(after, "chatd_process_open_fds")!).toBeGreaterThanOrEqual(
      sample(before, "chatd_process_open_fds")! + 3,
    );
    const lag = sample(after, "chatd_event_loop_lag_seconds")!;
    expect(lag).toBeGreaterThan(0.2);
    // The lag is the worst since the previous scrape: after a quiet interval it reads lower again.
    await Bun.sleep(250);
    expect(sample(await scrape(), "chatd_event_loop_lag_seconds")!).toBeLessThan(lag);
    expect(ballast.length + objects.length).toBeGreaterThan(0);
    for (const client of extra) await client.close();
  });

  test("build info names the chatd and Bun versions", async () => {
    expect(sample(await scrape(), "chatd_build_info", `version="${VERSION}",bun="${Bun.version}"`)).toBe(1);
  });
});

describe("METRICS_TOKEN", () => {
  test("when set, /metrics answers only its bearer (401 otherwise); the probes stay open", async () => {
    const token = "metrics-token-0123456789";
    const guarded = await startTestServer({ metricsToken: token });
    try {
      const api = new Client(guarded.url);
      const anonymous = await api.get("/metrics");
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.code).toBe("unauthorized");
      expect((await api.as("metrics-token-0123456780").get("/metrics")).status).toBe(401);
      expect((await api.as("short").get("/metrics")).status).toBe(401);
      const allowed = await api.as(token).get("/metrics");
      expect(allowed.status).toBe(200);
      expect(allowed.body).toContain("chatd_build_info");
      expect((await api.get("/readyz")).status).toBe(200);
      expect((await api.get("/healthz")).status).toBe(200);
    } finally {
      await guarded.close();
    }
  }, 30_000);
});
