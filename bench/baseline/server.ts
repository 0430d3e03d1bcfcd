// The baseline: raw Bun.serve with no application logic, to measure what chatd adds on top of Bun.
// WebSocket at /ws: the first frame names a topic, the socket subscribes and gets "subscribed"; every
// later frame is published as is to that topic (not back to the sender). Any other request gets a JSON
// echo: the body of a POST, or the path and query of a GET — except chatd's message routes, which do
// the same work as chatd (same-work.ts; tokens signed with BASELINE_JWT_SECRET, random when unset).
// Run: bun bench/baseline/server.ts [--port N] (0 picks a free port; listens on 127.0.0.1 only).
import { sameWork } from "./same-work";

type Socket = { topic: string | null };

const portArg = process.argv.indexOf("--port");
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;
const messages = sameWork(process.env.BASELINE_JWT_SECRET || crypto.randomUUID());

const server = Bun.serve<Socket>({
  hostname: "127.0.0.1",
  port,
  async fetch(request, server) {
    const url = new URL(request.url);
    if (url.pathname === "/ws") {
      if (server.upgrade(request, { data: { topic: null } })) return;
      return new Response("upgrade required", { status: 426 });
    }
    const same = await messages.handle(request, url);
    if (same) return same;
    if (request.method === "POST") return Response.json({ echo: await request.json() }, { status: 201 });
    return Response.json({ path: url.pathname, query: Object.fromEntries(url.searchParams) });
  },
  websocket: {
    // The same bounds chatd uses by default.
    maxPayloadLength: 65_536 * 4,
    backpressureLimit: 2 * 1_048_576,
    closeOnBackpressureLimit: true,
    idleTimeout: 120,
    publishToSelf: false,
    message(ws, data) {
      if (ws.data.topic === null) {
        ws.data.topic = String(data);
        ws.subscribe(ws.data.topic);
        ws.send("subscribed");
        return;
      }
      ws.publish(ws.data.topic, data);
    },
  },
});

process.stdout.write(`baseline listening on http://127.0.0.1:${server.port}\n`);
const stop = () => {
  server.stop(true);
  messages.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
