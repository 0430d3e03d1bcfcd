// Response checks: on in tests (every HTTP test's responses are checked against their schemas), off in
// production (HTTP_VALIDATE_RESPONSES unset), where the schemas still document every route.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Elysia, t } from "elysia";
import { skipResponseValidation } from "../../src/http/response-validation";
import type { Store } from "../../src/ports/store";
import { Client, newUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";

/** A route whose answer breaks its own response schema. */
const brokenRoute = () =>
  new Elysia().get("/broken", () => ({ count: "not a number" }) as unknown as { count: number }, {
    response: { 200: t.Object({ count: t.Integer() }) },
  });

describe("response checks", () => {
  test("a response that breaks its schema is refused while responses are checked", async () => {
    const response = await brokenRoute().handle(new Request("http://localhost/broken"));
    expect(response.status).toBeGreaterThanOrEqual(400);
  });

  test("with checks skipped the same response goes out as the handler built it", async () => {
    const app = brokenRoute();
    skipResponseValidation(app);
    const response = await app.handle(new Request("http://localhost/broken"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ count: "not a number" });
  });
});

/** The store, except that users read back with a number for a username (breaking the User schema). */
const numericUsernames = (store: Store): Store =>
  new Proxy(store, {
    get(target, key) {
      if (key !== "getUserById") {
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return async (id: string) => {
        const user = await target.getUserById(id);
        return user && { ...user, username: 42 as unknown as string };
      };
    },
  });

describe("servers and their response checks", () => {
  test("the test server refuses to answer with a body that breaks the route's schema", async () => {
    const server = await startTestServer({}, { wrapStore: numericUsernames });
    try {
      const user = await newUser(server.url);
      expect((await user.api.get("/v1/users/me")).status).not.toBe(200);
    } finally {
      await server.close();
    }
  });

  test("a production server sends it as built: responses are not checked", async () => {
    const server = await startTestServer({ httpValidateResponses: false }, { wrapStore: numericUsernames });
    try {
      const user = await newUser(server.url);
      const me = await user.api.get("/v1/users/me");
      expect(me.status).toBe(200);
      expect(me.body.username).toBe(42);
    } finally {
      await server.close();
    }
  });
});

describe("a production server (responses not checked)", () => {
  let checked: TestServer;
  let production: TestServer;
  beforeAll(async () => {
    [checked, production] = await Promise.all([
      startTestServer({ s3Bucket: undefined }),
      startTestServer({ s3Bucket: undefined, httpValidateResponses: false }),
    ]);
  });
  afterAll(() => Promise.all([checked.close(), production.close()]));

  test("serves the same OpenAPI document, response schemas included", async () => {
    const [a, b] = await Promise.all([
      new Client(checked.url).get("/docs/json"),
      new Client(production.url).get("/docs/json"),
    ]);
    expect(b.status).toBe(200);
    expect(JSON.stringify(b.body)).not.toContain("noValidate");
    expect(b.body).toEqual(a.body);
    const history = b.body.paths["/v1/rooms/{id}/messages"].get.responses["200"];
    expect(history.content["application/json"].schema.properties.messages).toBeDefined();
  });

  test("answers a history page with the same messages", async () => {
    const client = (await newUser(production.url)).api;
    const room = (await client.post("/v1/rooms", { name: `rv-${crypto.randomUUID().slice(0, 8)}`, type: "public" }))
      .body;
    const sent = (await client.post(`/v1/rooms/${room.id}/messages`, { content: "hello" })).body;
    const page = await client.get(`/v1/rooms/${room.id}/messages?limit=50`);
    expect(page.status).toBe(200);
    expect(page.body).toEqual({ messages: [sent], has_more: false });
  });
});
