// The OpenAPI document at /docs/json and its UI at /docs: every route documented, valid by standard
// validators (swagger-parser, Redocly's recommended rules), and a page that loads only chatd's assets.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Client, newUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";

const root = join(import.meta.dir, "..", "..");
let server: TestServer;
let spec: any;

beforeAll(async () => {
  // Attachments in the data dir, whatever CHATD_TEST_BLOBS says: the document then has the blob routes too.
  server = await startTestServer({ s3Bucket: undefined });
  spec = (await new Client(server.url).get("/docs/json")).body;
});
afterAll(() => server.close());

const PUBLIC_ROUTES = [
  ["post", "/v1/auth/signup"],
  ["post", "/v1/auth/verify-email"],
  ["post", "/v1/auth/login"],
  ["post", "/v1/auth/refresh"],
  ["post", "/v1/auth/password/forgot"],
  ["post", "/v1/auth/password/reset"],
  ["get", "/healthz"],
  ["get", "/readyz"],
  // The embedded blob store's signed URLs: the signature is the authorization.
  ["put", "/v1/blobs/{key}"],
  ["get", "/v1/blobs/{key}"],
];

const AUTHENTICATED_ROUTES = [
  ["post", "/v1/auth/logout"],
  ["post", "/v1/attachments"],
  ["post", "/v1/attachments/{id}/complete"],
  ["get", "/v1/attachments/{id}"],
  ["get", "/v1/users/me"],
  ["patch", "/v1/users/me"],
  ["get", "/v1/users/{id}"],
  ["post", "/v1/rooms"],
  ["get", "/v1/rooms"],
  ["get", "/v1/rooms/{id}"],
  ["patch", "/v1/rooms/{id}"],
  ["delete", "/v1/rooms/{id}"],
  ["post", "/v1/rooms/{id}/join"],
  ["get", "/v1/rooms/{id}/members"],
  ["post", "/v1/rooms/{id}/members"],
  ["delete", "/v1/rooms/{id}/members/me"],
  ["delete", "/v1/rooms/{id}/members/{user_id}"],
  ["put", "/v1/rooms/{id}/members/{user_id}/role"],
  ["post", "/v1/rooms/{id}/bans"],
  ["delete", "/v1/rooms/{id}/bans/{user_id}"],
  ["get", "/v1/rooms/{id}/audit"],
  ["post", "/v1/rooms/{id}/webhooks"],
  ["get", "/v1/rooms/{id}/webhooks"],
  ["delete", "/v1/rooms/{id}/webhooks/{hook_id}"],
  ["post", "/v1/rooms/{id}/messages"],
  ["get", "/v1/rooms/{id}/messages"],
  ["patch", "/v1/rooms/{id}/messages/{mid}"],
  ["delete", "/v1/rooms/{id}/messages/{mid}"],
  ["put", "/v1/rooms/{id}/messages/{mid}/reactions/{emoji}"],
  ["delete", "/v1/rooms/{id}/messages/{mid}/reactions/{emoji}"],
  ["post", "/v1/rooms/{id}/read"],
  ["get", "/v1/rooms/{id}/presence"],
  ["post", "/v1/dms"],
  ["get", "/v1/dms"],
  ["get", "/v1/unread"],
  ["get", "/v1/mentions"],
  ["get", "/v1/rooms/{id}/pins"],
  ["put", "/v1/rooms/{id}/pins/{mid}"],
  ["delete", "/v1/rooms/{id}/pins/{mid}"],
  ["get", "/v1/rooms/{id}/threads/{root}/messages"],
  ["get", "/v1/search/messages"],
  ["get", "/v1/ws"],
];

const operations = () =>
  Object.entries<any>(spec.paths).flatMap(([path, item]) =>
    Object.entries<any>(item).map(([method, operation]) => ({ path, method, operation })),
  );

describe("OpenAPI document", () => {
  test("is the same whichever routes served requests before it was first asked for", async () => {
    // Elysia adds `additionalProperties: false` to a response schema when it first validates one: a
    // document first built after a message was sent met two different Message schemas (a 500), and
    // after other requests documented what Elysia had changed.
    const other = await startTestServer({ s3Bucket: undefined });
    try {
      const ana = await newUser(other.url, "ana");
      const room = (await ana.api.post("/v1/rooms", { name: "docs", type: "public" })).body;
      expect((await ana.api.post(`/v1/rooms/${room.id}/messages`, { content: "hi" })).status).toBe(201);
      const later = await new Client(other.url).get("/docs/json");
      expect(later.status).toBe(200);
      expect(later.body).toEqual(spec);
    } finally {
      await other.close();
    }
  });

  test("passes swagger-parser's validation", async () => {
    await SwaggerParser.validate(structuredClone(spec));
  });

  test("passes redocly lint with the recommended rules (redocly.yaml)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "chatd-openapi-"));
    try {
      const file = join(dir, "openapi.json");
      await writeFile(file, JSON.stringify(spec));
      const lint = Bun.spawn(
        [
          process.execPath,
          join(root, "node_modules/@redocly/cli/bin/cli.js"),
          "lint",
          "--config",
          join(root, "redocly.yaml"),
          "--format",
          "json",
          file,
        ],
        {
          cwd: dir,
          env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      const [output, exitCode] = await Promise.all([new Response(lint.stdout).text(), lint.exited]);
      const report = JSON.parse(output.slice(output.indexOf("{")));
      expect(report.problems.map((p: any) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
      expect(exitCode).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("documents every route; public ones need nothing, every other one the bearer token", () => {
    for (const [method, path] of PUBLIC_ROUTES) expect(spec.paths[path!]?.[method!]?.security).toEqual([]);
    for (const [method, path] of AUTHENTICATED_ROUTES)
      expect(spec.paths[path!]?.[method!]?.security).toEqual([{ bearer: [] }]);
    expect(spec.paths["/metrics"].get.security).toEqual([{}, { metrics_token: [] }]);
    // Nothing is left out of the two lists.
    expect(operations().length).toBe(PUBLIC_ROUTES.length + AUTHENTICATED_ROUTES.length + 1);
  });

  test("request bodies and responses carry their schemas; shared ones once, by reference", () => {
    const signup = spec.paths["/v1/auth/signup"].post;
    expect(JSON.stringify(signup.requestBody)).toContain("password");
    expect(Object.keys(signup.responses)).toEqual(expect.arrayContaining(["201", "400", "409"]));
    const send = spec.paths["/v1/rooms/{id}/messages"].post;
    expect(JSON.stringify(send.requestBody)).toContain("client_id");
    expect(Object.keys(send.responses)).toEqual(expect.arrayContaining(["201", "400", "403", "404", "429"]));
    expect(send.responses["201"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Message" });
    expect(send.responses["400"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
    expect(Object.keys(spec.components.schemas)).toEqual(
      expect.arrayContaining(["Error", "User", "TokenPair", "Room", "Member", "Message"]),
    );
    expect(JSON.stringify(spec)).not.toContain('"$id"');
  });

  // The two rules redocly.yaml turns off, checked here where they apply.
  test("every operation declares its success (101 for the upgrade) and, but the health probes, its client errors", () => {
    for (const { path, operation } of operations()) {
      const statuses = Object.keys(operation.responses ?? {});
      const success = path === "/v1/ws" ? ["101"] : statuses.filter((s) => s.startsWith("2"));
      const clientErrors =
        path === "/healthz" || path === "/readyz" ? ["none"] : statuses.filter((s) => s.startsWith("4"));
      expect({ path, success: success.length > 0, clientErrors: clientErrors.length > 0 }).toEqual({
        path,
        success: true,
        clientErrors: true,
      });
    }
    expect(Object.keys(spec.paths["/v1/ws"].get.responses)).toEqual(["101", "400", "401", "426"]);
  });

  test("204 responses have no body; integers are integers", () => {
    const logout = spec.paths["/v1/auth/logout"].post.responses["204"];
    expect(logout.content).toBeUndefined();
    for (const { operation } of operations()) expect(operation.responses?.["204"]?.content).toBeUndefined();
    const limit = spec.paths["/v1/rooms"].get.parameters.find((p: any) => p.name === "limit");
    expect(limit.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 200 });
    expect(JSON.stringify(spec)).not.toContain('"format":"integer"');
    expect(spec.components.schemas.Room.properties.member_count).toEqual({ type: "integer" });
  });

  test("response headers: X-Request-Id on every response, Retry-After on 429, Idempotent-Replayed on a replayed send", () => {
    for (const { operation } of operations())
      for (const response of Object.values<any>(operation.responses ?? {}))
        expect(response.headers["X-Request-Id"]).toEqual({ $ref: "#/components/headers/XRequestId" });
    expect(spec.paths["/v1/auth/login"].post.responses["429"].headers["Retry-After"]).toEqual({
      $ref: "#/components/headers/RetryAfter",
    });
    expect(
      spec.paths["/v1/rooms/{id}/messages"].post.responses["201"].headers["Idempotent-Replayed"].schema,
    ).toMatchObject({ const: "true" });
  });
});

describe("/docs", () => {
  test("the page loads its script and styles from chatd itself, under a CSP that allows nothing else", async () => {
    const page = await fetch(`${server.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/https?:|unsafe-inline|unsafe-eval|\*/);
    const html = await page.text();
    expect(html).not.toMatch(/<script>|@latest|cdn|unpkg|jsdelivr/i);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBe(3);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/docs\//);
      const response = await fetch(server.url + asset);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/(javascript|css)/);
      expect((await response.text()).length).toBeGreaterThan(100);
    }
  });
});
