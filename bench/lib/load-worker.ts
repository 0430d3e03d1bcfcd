// A load generator process (spawned by pool.ts, one of several): owns its share of the connections or
// virtual users, records latencies into a histogram and reports them, with its own CPU use.
// Deliveries are timed on arrival, before anything else is done with the frame. Runs on Bun (its
// built-in WebSocket) or, bundled by pool.ts, on Node with the `ws` package (`--client node`): what
// most users' clients are built on.
import type { Command, ConnectResult, Progress, Reply, Report, Role, WorkerCpu } from "./commands";
import { virtualUsers } from "./load-http";
import {
  type ConnSpec,
  content,
  isError,
  isReady,
  readDelivery,
  sendFrame,
  sendRef,
  subscribeFrame,
  wsUrl,
} from "./protocol";
import { stagesDuration, targetAt } from "./runner";
import { Histogram } from "./stats";
import type { TargetKind } from "./target";

/** Bun's WebSocket, or the `ws` package's on Node (the same interface for what is used here). */
const Socket: typeof WebSocket =
  typeof Bun === "undefined" ? ((await import("ws")).WebSocket as unknown as typeof WebSocket) : WebSocket;
/**
 * A socket to `url`, bound to `localAddress` when given: `ws` passes it to the TCP connect, so each
 * source address has its own ephemeral ports (Bun's WebSocket has no such option, hence the throw).
 */
function newSocket(url: string, localAddress: string | undefined): WebSocket {
  if (localAddress === undefined) return new Socket(url);
  if (typeof Bun !== "undefined") throw new Error("source addresses need the Node client (--client node)");
  return new (Socket as unknown as new (url: string, options: { localAddress: string }) => WebSocket)(url, {
    localAddress,
  });
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const rawClock = () => performance.timeOrigin + performance.now();
let offsetMs = 0;
/** Milliseconds on the coordinator's clock, so a send and a receipt in two workers compare. */
const clock = () => rawClock() - offsetMs;

type Conn = {
  ws: WebSocket;
  spec: ConnSpec;
  role: Role;
  ready: boolean;
  closing: boolean;
  /** Receivers: the last sequence number seen. Senders: the next one to send. */
  seq: number;
  received: number;
};

const conns: Conn[] = [];
let latency = new Histogram();
let received = 0;
let outOfOrder = 0;
let deliveryBytes = 0;
let closedUnexpectedly = 0;
const sent = new Map<number, number>();
const accepted = new Map<number, number>();
let sendErrors = 0;
const errorSamples: string[] = [];
let cpuStart = process.cpuUsage();
let wallStart = performance.now();

/**
 * Event-loop lag: a timer due every LAG_TICK_MS records how late it fired. A delivery that arrives
 * while the loop is busy waits about that long before it is timed, so a lag near the latency says
 * the worker's own loop, not the server, held it.
 */
const LAG_TICK_MS = 5;
let lag = new Histogram();
let lagDue = performance.now() + LAG_TICK_MS;
setInterval(() => {
  const now = performance.now();
  lag.record(now - lagDue);
  lagDue = now + LAG_TICK_MS;
}, LAG_TICK_MS).unref();

const sample = (text: string) => {
  if (errorSamples.length < 5) errorSamples.push(text.slice(0, 300));
};
const bump = (map: Map<number, number>, key: number) => map.set(key, (map.get(key) ?? 0) + 1);

function cpu(): WorkerCpu {
  const used = process.cpuUsage(cpuStart);
  const seconds = (used.user + used.system) / 1e6;
  const wallSeconds = (performance.now() - wallStart) / 1000;
  const lagMs = { p50: lag.percentile(50), p99: lag.percentile(99), max: lag.max };
  return { pid: process.pid, seconds, wallSeconds, share: seconds / wallSeconds, lagMs };
}

function onDelivery(conn: Conn, frame: string) {
  const now = clock();
  const delivery = readDelivery(frame);
  if (!delivery) return;
  latency.record(now - delivery.sentAt);
  received++;
  conn.received++;
  deliveryBytes += frame.length;
  if (delivery.seq <= conn.seq) outOfOrder++;
  else conn.seq = delivery.seq;
}

function onSenderFrame(kind: TargetKind, frame: string) {
  if (kind !== "chatd") return;
  if (frame.startsWith('{"type":"ack"')) {
    const ref = sendRef(frame);
    if (ref) bump(accepted, ref.room);
  } else if (isError(kind, frame)) {
    sendErrors++;
    sample(frame);
  }
}

function connect(cmd: Extract<Command, { op: "connect" }>): Promise<ConnectResult> {
  const timeToReady = new Histogram();
  const errors: string[] = [];
  const sender = cmd.role === "sender";
  const url = (spec: ConnSpec) => wsUrl(cmd.kind, cmd.urls[spec.gateway ?? 0]!, spec.token);
  let next = 0;
  let inFlight = 0;
  let opened = 0;
  let failed = 0;
  const started = performance.now();
  const stagesEnd = stagesDuration(cmd.stages);
  return new Promise((resolve) => {
    const open = (spec: ConnSpec) => {
      inFlight++;
      const t0 = performance.now();
      const ws = newSocket(url(spec), cmd.localAddresses?.[(next - 1) % cmd.localAddresses.length]);
      const conn: Conn = { ws, spec, role: cmd.role, ready: false, closing: false, seq: -1, received: 0 };
      if (sender) conn.seq = 0;
      let settled = false;
      const settle = (error?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inFlight--;
        if (error === undefined) {
          opened++;
          conn.ready = true;
          timeToReady.record(performance.now() - t0);
          conns.push(conn);
        } else {
          failed++;
          if (errors.length < 5) errors.push(error.slice(0, 300));
          conn.closing = true;
          ws.close();
        }
        pump();
      };
      const timer = setTimeout(() => settle(`no handshake within ${cmd.timeoutMs} ms`), cmd.timeoutMs);
      ws.onopen = () => {
        const frame = subscribeFrame(cmd.kind, spec, sender);
        if (frame !== null) ws.send(frame);
      };
      ws.onmessage = (event) => {
        const frame = event.data as string;
        if (conn.ready) {
          if (sender) onSenderFrame(cmd.kind, frame);
          else onDelivery(conn, frame);
        } else if (isReady(cmd.kind, frame, sender)) settle();
        else if (isError(cmd.kind, frame)) settle(frame);
      };
      // Without a listener `ws` (Node) throws an error event, killing the worker; onclose follows it.
      ws.onerror = () => {};
      ws.onclose = (event) => {
        if (!conn.ready) settle(`closed (${event.code}) before the handshake`);
        else if (!conn.closing) closedUnexpectedly++;
      };
    };
    const pump = () => {
      // The stages pace the opening; once they are over, whatever is left opens.
      const elapsed = performance.now() - started;
      const allowed =
        elapsed >= stagesEnd ? cmd.specs.length : Math.min(cmd.specs.length, targetAt(cmd.stages, elapsed));
      while (next < allowed && inFlight < cmd.maxInFlight) open(cmd.specs[next++]!);
      if (opened + failed === cmd.specs.length) {
        clearInterval(ticker);
        resolve({ opened, failed, errors, timeToReady: timeToReady.toJSON(), elapsedMs: performance.now() - started });
      }
    };
    const ticker = setInterval(pump, 5);
    pump();
  });
}

function measure() {
  latency = new Histogram();
  received = 0;
  outOfOrder = 0;
  deliveryBytes = 0;
  sendErrors = 0;
  sent.clear();
  accepted.clear();
  for (const conn of conns) conn.received = 0;
  cpuStart = process.cpuUsage();
  wallStart = performance.now();
  lag = new Histogram();
}

/** Message n is due at n / rate; sends lag only if this process does (its CPU share tells). */
function send(cmd: Extract<Command, { op: "send" }>, kind: TargetKind) {
  const senders = conns.filter((c) => c.role === "sender");
  if (senders.length === 0) return Promise.resolve({ sent: 0 });
  const perMs = cmd.total / cmd.durationMs;
  const started = performance.now();
  let n = 0;
  return new Promise<{ sent: number }>((resolve) => {
    const tick = () => {
      const due = Math.min(cmd.total, Math.floor((performance.now() - started) * perMs) + 1);
      while (n < due) {
        const conn = senders[n % senders.length]!;
        const seq = conn.seq++;
        conn.ws.send(sendFrame(conn.spec, seq, content(conn.spec.room, seq, clock(), cmd.chars)));
        bump(sent, conn.spec.room);
        // The baseline has no acknowledgement: a message handed to the socket counts as accepted.
        if (kind === "baseline") bump(accepted, conn.spec.room);
        n++;
      }
      if (n >= cmd.total) resolve({ sent: n });
      else setTimeout(tick, 1);
    };
    tick();
  });
}

const total = (map: Map<number, number>) => [...map.values()].reduce((a, b) => a + b, 0);

function progress(): Progress {
  return { received, sent: total(sent), acked: total(accepted), sendErrors };
}

function report(): Report {
  const rooms: Report["rooms"] = {};
  for (const conn of conns) {
    if (conn.role !== "receiver") continue;
    const room = rooms[conn.spec.room] ?? { connections: 0, received: 0 };
    rooms[conn.spec.room] = room;
    room.connections++;
    room.received += conn.received;
  }
  return {
    ...progress(),
    latency: latency.toJSON(),
    outOfOrder,
    rooms,
    accepted: Object.fromEntries(accepted),
    deliveryBytes,
    errorSamples,
    closedUnexpectedly,
    cpu: cpu(),
  };
}

async function close() {
  for (const conn of conns) {
    conn.closing = true;
    conn.ws.close();
  }
  const deadline = Date.now() + 10_000;
  while (conns.some((c) => c.ws.readyState !== Socket.CLOSED) && Date.now() < deadline) await sleep(20);
  const closed = conns.length;
  conns.length = 0;
  return { closed };
}

let kind: TargetKind = "chatd";

async function run(cmd: Command): Promise<unknown> {
  switch (cmd.op) {
    case "sync":
      return { t: rawClock() };
    case "offset":
      offsetMs = cmd.offsetMs;
      return {};
    case "connect":
      kind = cmd.kind;
      return connect(cmd);
    case "measure":
      measure();
      return {};
    case "send":
      return send(cmd, kind);
    case "progress":
      return progress();
    case "report":
      return report();
    case "http":
      return virtualUsers(cmd);
    case "close":
      return close();
    case "exit":
      setTimeout(() => process.exit(0), 10);
      return {};
  }
}

process.on("message", (message: { id: number; cmd: Command }) => {
  run(message.cmd).then(
    (result) => process.send!({ id: message.id, ok: true, result } satisfies Reply),
    (error) => process.send!({ id: message.id, ok: false, error: String(error?.stack ?? error) } satisfies Reply),
  );
});
// The coordinator going away ends the worker too: a benchmark never leaves load running.
process.on("disconnect", () => process.exit(0));
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(0), 500).unref();
// A hard bound on the worker's life, whatever happens to the coordinator.
setTimeout(() => process.exit(3), Number(process.env.BENCH_WORKER_MAX_MS ?? 1_800_000)).unref();
process.send!({ id: 0, ok: true, result: "ready" } satisfies Reply);
