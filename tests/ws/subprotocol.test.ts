// Socket authentication without the token in the URL: the subprotocols `chatd.v1, bearer.<token>`
// (for browsers), answered with `chatd.v1`; refused at the upgrade like the other two ways.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { upgradeRequest } from "../support/raw-ws";
import { startTestServer, type TestServer } from "../support/server";
import { WsClient } from "../support/ws";

let server: TestServer;
let ana: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  ana = await newUser(server.url, "proto");
});
afterAll(() => server.close());

/** A raw upgrade request, to read the status and headers a WebSocket client hides. */
const upgrade = (protocols: string | null, query = "", extra: Record<string, string> = {}) =>
  upgradeRequest(server.url, query, {
    ...(protocols === null ? {} : { "sec-websocket-protocol": protocols }),
    ...extra,
  });

describe("subprotocol authentication", () => {
  test("a browser-style client offering chatd.v1 and bearer.<token> gets hello and the chatd.v1 protocol", async () => {
    const client = await WsClient.connect(server.url, ana.api.token!, "subprotocol");
    try {
      expect(client.socket.protocol).toBe("chatd.v1");
      expect(client.frames[0]).toMatchObject({ type: "hello", user: { id: ana.id, username: ana.username } });
      const room = (await ana.api.post("/v1/rooms", { name: "proto", type: "public" })).body.id;
      await client.subscribe(room);
      expect((await client.request({ type: "message.send", room_id: room, content: "hi" })).type).toBe("ack");
    } finally {
      await client.close();
    }
  });

  test("the answer is chatd.v1 whatever the order offered, never the bearer entry", async () => {
    const response = await upgrade(`bearer.${ana.api.token}, chatd.v1`, "", { "x-request-id": "upgrade-1" });
    expect(response.status).toBe(101);
    expect(response.headers.get("sec-websocket-protocol")).toBe("chatd.v1");
    expect(response.headers.get("x-request-id")).toBe("upgrade-1");
  });

  test("a bad or missing token in the subprotocol is refused with 401 at the upgrade", async () => {
    for (const offered of ["chatd.v1, bearer.not-a-token", "chatd.v1", "chatd.v1, bearer."]) {
      const response = await upgrade(offered);
      expect(response.status).toBe(401);
      expect(((await response.json()) as any).error.code).toBe("unauthorized");
    }
    const refused = new WebSocket(`${server.url.replace("http", "ws")}/v1/ws`, ["chatd.v1", "bearer.garbage"]);
    const code = await new Promise<number>((resolve) => refused.addEventListener("close", (e) => resolve(e.code)));
    expect(code).not.toBe(1000);
  });

  test("subprotocols without chatd.v1 are refused with 400, even with a valid token", async () => {
    const response = await upgrade(`bearer.${ana.api.token}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error).toMatchObject({ code: "validation_failed" });
    expect((await upgrade("graphql-ws", `?token=${ana.api.token}`)).status).toBe(400);
  });

  test("the query token still works, and offering chatd.v1 with it selects chatd.v1", async () => {
    expect((await upgrade(null, `?token=${ana.api.token}`)).status).toBe(101);
    const response = await upgrade("chatd.v1", `?token=${ana.api.token}`);
    expect(response.status).toBe(101);
    expect(response.headers.get("sec-websocket-protocol")).toBe("chatd.v1");
  });
});
