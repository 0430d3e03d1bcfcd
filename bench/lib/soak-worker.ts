// A soak load worker (spawned by soak-pool.ts): holds its share of chatd connections, checks every room
// event it gets by room position (`seq`: lost, duplicated, out of order, per connection), closes and
// reopens chosen connections with `since` = the last position they saw, and, as the sender, sends.
import { mapLimit } from "./fixtures";
import { readDelivery, wsUrl } from "./protocol";
import type { SoakCommand, SoakConnSpec, SoakReply, SoakReport } from "./soak-commands";
import { sendPaced } from "./soak-send";
import { Histogram } from "./stats";

const rawClock = () => performance.timeOrigin + performance.now();
let offsetMs = 0;
const clock = () => rawClock() - offsetMs;

type Conn = {
  spec: SoakConnSpec;
  ws: WebSocket | null;
  sender: boolean;
  /** The last room position this connection saw (the `since` of its next subscribe). */
  last: number;
  /** Positions skipped over (a jump in `seq`): lost unless they arrive later (then out of order). */
  missing: Set<number>;
  /** Closed on purpose by a reconnect (its close is not unexpected). */
  closing: boolean;
};

const conns: Conn[] = [];
let urls: string[] = [];
let latency = new Histogram();
const stats = {
  live: 0,
  replayed: 0,
  duplicated: 0,
  outOfOrder: 0,
  gaps: 0,
  reconnects: 0,
  reconnectErrors: 0,
  recoveryIncomplete: 0,
  unexpectedCloses: 0,
  sendErrors: 0,
  sent: 0,
  acked: 0,
};
const errorSamples: string[] = [];
const resubscribe = new Histogram();
/** Sender: the highest position acknowledged per room. */
const heads = new Map<number, number>();
/** Added to `since` on a reconnect: 0, except to show that the checks catch a wrong one. */
let sinceSkew = 0;
let cpuStart = process.cpuUsage();
let wallStart = performance.now();

const sample = (text: string) => {
  if (errorSamples.length < 5) errorSamples.push(text.slice(0, 300));
};

/** One room event at position `seq` reached `conn`. */
function check(conn: Conn, seq: number) {
  if (seq === conn.last + 1) conn.last = seq;
  else if (seq > conn.last + 1) {
    stats.gaps++;
    for (let p = conn.last + 1; p < seq && conn.missing.size < 100_000; p++) conn.missing.add(p);
    conn.last = seq;
  } else if (conn.missing.delete(seq)) stats.outOfOrder++;
  else stats.duplicated++;
}

function onReceiverFrame(conn: Conn, frame: string, arrived: number, since: boolean, ready: () => void) {
  const event = JSON.parse(frame) as { type: string; seq?: number; missed?: { seq: number }[]; recovered?: boolean };
  if (event.type === "subscribed") {
    if (!since) conn.last = event.seq!;
    else {
      for (const missed of event.missed ?? []) {
        check(conn, missed.seq);
        stats.replayed++;
      }
      if (!event.recovered) stats.recoveryIncomplete++;
      // With everything replayed, the connection stands where the server says the replay ends.
      if (event.recovered && conn.last !== event.seq) check(conn, event.seq!);
    }
    ready();
  } else if (event.type === "error") {
    sample(frame);
    ready();
  } else if (typeof event.seq === "number") {
    check(conn, event.seq);
    stats.live++;
    if (event.type === "message.created") {
      const delivery = readDelivery(frame);
      if (delivery) latency.record(arrived - delivery.sentAt);
    }
  }
}

function onSenderFrame(conn: Conn, frame: string) {
  if (frame.startsWith('{"type":"ack"')) {
    const event = JSON.parse(frame) as { message: { seq: number } };
    stats.acked++;
    heads.set(conn.spec.room, Math.max(heads.get(conn.spec.room) ?? 0, event.message.seq));
  } else if (frame.startsWith('{"type":"error"')) {
    stats.sendErrors++;
    sample(frame);
  }
}

/** Opens `conn` (subscribing with `since` when asked); resolves with the time to subscribed, or rejects. */
function open(conn: Conn, since: boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl("chatd", urls[conn.spec.gateway ?? 0]!, conn.spec.token));
    conn.ws = ws;
    conn.closing = false;
    let ready = false;
    const timer = setTimeout(() => fail(`no subscribed within ${timeoutMs} ms`), timeoutMs);
    const done = () => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      resolve(performance.now() - t0);
    };
    function fail(why: string) {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      reject(new Error(why));
    }
    ws.onopen = () => {
      if (conn.sender) return;
      const sinceField = since ? `,"since":${conn.last + sinceSkew}` : "";
      ws.send(`{"type":"subscribe","ref":"sub","room_id":"${conn.spec.roomId}"${sinceField}}`);
    };
    ws.onmessage = (message) => {
      const arrived = clock();
      const frame = message.data as string;
      if (conn.sender) {
        if (frame.startsWith('{"type":"hello"')) done();
        else onSenderFrame(conn, frame);
      } else onReceiverFrame(conn, frame, arrived, since, done);
    };
    ws.onclose = (event) => {
      if (!ready) fail(`closed (${event.code}) before subscribed`);
      else if (!conn.closing && conn.ws === ws) {
        // The server closed it: reconnect like a client would, with `since`, and count it.
        stats.unexpectedCloses++;
        sample(`closed by the server: ${event.code} ${event.reason}`);
        reopen(conn, timeoutMs).catch(() => {});
      }
    };
  });
}

async function reopen(conn: Conn, timeoutMs: number) {
  try {
    resubscribe.record(await open(conn, true, timeoutMs));
    stats.reconnects++;
  } catch (error) {
    stats.reconnectErrors++;
    sample(String(error));
  }
}

async function connect(cmd: Extract<SoakCommand, { op: "connect" }>) {
  urls = cmd.urls;
  const timeToReady = new Histogram();
  let failed = 0;
  const started = performance.now();
  const opening = cmd.specs.map((spec) => ({
    spec,
    ws: null,
    sender: cmd.sender,
    last: 0,
    missing: new Set<number>(),
    closing: false,
  }));
  await mapLimit(opening, cmd.maxInFlight, async (conn: Conn) => {
    try {
      timeToReady.record(await open(conn, false, cmd.timeoutMs));
      conns.push(conn);
    } catch (error) {
      failed++;
      sample(String(error));
    }
  });
  return {
    opened: opening.length - failed,
    failed,
    timeToReady: timeToReady.toJSON(),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Closes the receivers whose index is `slot` mod `mod`, waits `offlineMs`, reopens them with `since`. */
async function reconnect(cmd: Extract<SoakCommand, { op: "reconnect" }>) {
  sinceSkew = cmd.sinceSkew;
  const chosen = conns.filter((c) => !c.sender && c.spec.index % cmd.mod === cmd.slot);
  const before = { reconnects: stats.reconnects, errors: stats.reconnectErrors };
  const started = performance.now();
  await Promise.all(
    chosen.map(
      (conn) =>
        new Promise<void>((resolve) => {
          const ws = conn.ws!;
          conn.closing = true;
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.addEventListener("close", () => resolve());
          ws.close();
        }),
    ),
  );
  await Bun.sleep(cmd.offlineMs);
  await mapLimit(chosen, cmd.maxInFlight, (conn) => reopen(conn, cmd.timeoutMs));
  return {
    closed: chosen.length,
    reconnected: stats.reconnects - before.reconnects,
    errors: stats.reconnectErrors - before.errors,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Counters so far; with `heads` (each room's last acknowledged position), the loss against them. */
function report(finalHeads?: Record<number, number>): SoakReport {
  let lost = 0;
  let behind = 0;
  for (const conn of conns) {
    if (conn.sender) continue;
    lost += conn.missing.size;
    const head = finalHeads?.[conn.spec.room];
    if (head !== undefined && head > conn.last) behind += head - conn.last;
  }
  const used = process.cpuUsage(cpuStart);
  const wallSeconds = (performance.now() - wallStart) / 1000;
  return {
    ...stats,
    lost,
    behind,
    connections: conns.filter((c) => !c.sender).length,
    heads: Object.fromEntries(heads),
    latency: latency.toJSON(),
    resubscribe: resubscribe.toJSON(),
    errorSamples,
    cpu: {
      pid: process.pid,
      seconds: (used.user + used.system) / 1e6,
      wallSeconds,
      share: (used.user + used.system) / 1e6 / wallSeconds,
    },
  };
}

async function run(cmd: SoakCommand): Promise<unknown> {
  switch (cmd.op) {
    case "sync":
      return { t: rawClock() };
    case "offset":
      offsetMs = cmd.offsetMs;
      return {};
    case "connect":
      return connect(cmd);
    case "measure":
      cpuStart = process.cpuUsage();
      wallStart = performance.now();
      latency = new Histogram();
      return {};
    case "reconnect":
      return reconnect(cmd);
    case "send":
      return sendPaced(
        conns.filter((c) => c.sender).map((c) => ({ spec: c.spec, ws: c.ws! })),
        cmd,
        clock,
        () => stats.sent++,
      );
    case "report":
      return report(cmd.heads);
    case "close":
      for (const conn of conns) {
        conn.closing = true;
        conn.ws?.close();
      }
      return { closed: conns.length };
    case "exit":
      setTimeout(() => process.exit(0), 10);
      return {};
  }
}

process.on("message", (message: { id: number; cmd: SoakCommand }) => {
  run(message.cmd).then(
    (result) => process.send!({ id: message.id, ok: true, result } satisfies SoakReply),
    (error) => process.send!({ id: message.id, ok: false, error: String(error?.stack ?? error) } satisfies SoakReply),
  );
});
// The coordinator going away ends the worker too: a soak never leaves load running.
process.on("disconnect", () => process.exit(0));
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(0), 500).unref();
setTimeout(() => process.exit(3), Number(process.env.BENCH_WORKER_MAX_MS ?? 1_800_000)).unref();
process.send!({ id: 0, ok: true, result: "ready" } satisfies SoakReply);
