// The upgrade at GET /v1/ws as HTTP sees it: an accepted upgrade is counted and logged like any
// request, and every refused one (401, 400, 426) answers the API's error shape with the headers every
// API response carries (security headers, CORS, the request id), whichever way the request came in.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/log";
import { newUser, type TestUser } from "../support/client";
import { upgradeRequest } from "../support/raw-ws";
import { startTestServer, type TestServer } from "../support/server";
import { WsClient } from "../support/ws";

const ORIGIN = "https://app.example";
const lines: Record<string, unknown>[] = [];
let server: TestServer;
let ana: TestUser;

beforeAll(async () => {
  const log = createLogger("info", {}, (line) => lines.push(JSON.parse(line)));
  server = await startTestServer({ corsOrigins: [ORIGIN] }, { log });
  ana = await newUser(server.url, "upgrade");
});
afterAll(() => server.close());

/** A raw upgrade request from a browser page on ORIGIN, to read what a WebSocket client hides. */
const upgrade = (query: string, extra: Record<string, string> = {}) =>
  upgradeRequest(server.url, query, { origin: ORIGIN, ...extra });

const upgradesCounted = async (status: number) => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`chatd_http_requests_total{method="GET",route="/v1/ws",status="${status}"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
};

/** What every API error carries. */
const expectApiError = async (response: Response, status: number, code: string, requestId: string) => {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toStartWith("application/json");
  expect(response.headers.get("x-request-id")).toBe(requestId);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
};

describe("the upgrade as an HTTP request", () => {
  test("an accepted upgrade answers 101 with the request id, and is counted and logged as GET /v1/ws 200", async () => {
    const before = await upgradesCounted(200);
    const response = await upgrade(`?token=${ana.api.token}`, { "x-request-id": "accepted-1" });
    expect(response.status).toBe(101);
    expect(response.headers.get("x-request-id")).toBe("accepted-1");
    expect(await upgradesCounted(200)).toBe(before + 1);
    expect(lines.find((l) => l.request_id === "accepted-1")).toMatchObject({
      msg: "request",
      method: "GET",
      route: "/v1/ws",
      path: "/v1/ws",
      status: 200,
    });
  });

  test("a missing or invalid token is refused with 401, the API's error and its headers", async () => {
    const before = await upgradesCounted(401);
    const missing = await upgrade("", { "x-request-id": "refused-1" });
    await expectApiError(missing, 401, "unauthorized", "refused-1");
    expect(missing.headers.get("www-authenticate")).toBe("Bearer");
    await expectApiError(
      await upgrade("?token=not-a-token", { "x-request-id": "refused-2" }),
      401,
      "unauthorized",
      "refused-2",
    );
    await expectApiError(
      await upgrade("", { authorization: "Bearer nope", "x-request-id": "refused-3" }),
      401,
      "unauthorized",
      "refused-3",
    );
    expect(await upgradesCounted(401)).toBe(before + 3);
    expect(lines.find((l) => l.request_id === "refused-2")).toMatchObject({ route: "/v1/ws", status: 401 });
  });

  test("an unknown query parameter is refused with 400 even with a valid token", async () => {
    const response = await upgrade(`?token=${ana.api.token}&extra=1`, { "x-request-id": "refused-4" });
    await expectApiError(response, 400, "validation_failed", "refused-4");
  });

  test("subprotocols without chatd.v1 are refused with 400 even with a valid token", async () => {
    const response = await upgrade(`?token=${ana.api.token}`, {
      "sec-websocket-protocol": "graphql-ws",
      "x-request-id": "refused-5",
    });
    await expectApiError(response, 400, "validation_failed", "refused-5");
  });

  test("a plain GET with a valid token is answered 426 upgrade_required", async () => {
    const response = await fetch(`${server.url}/v1/ws?token=${ana.api.token}`, {
      headers: { origin: ORIGIN, "x-request-id": "plain-1" },
    });
    await expectApiError(response, 426, "upgrade_required", "plain-1");
  });

  test("every socket of a user, the first and the later ones, is greeted with the user's name", async () => {
    const first = await WsClient.connect(server.url, ana.api.token!);
    const second = await WsClient.connect(server.url, ana.api.token!, "header");
    try {
      for (const client of [first, second])
        expect(client.frames[0]).toMatchObject({ type: "hello", user: { id: ana.id, username: ana.username } });
    } finally {
      await first.close();
      await second.close();
    }
  });
});
