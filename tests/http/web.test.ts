// The web app as the server serves it: the page at / and at every client-side route (mails link to
// /verify-email and /reset-password), assets only from chatd itself under a CSP of its own, and the
// API beside it unchanged.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { APP_CSP, appCsp } from "../../src/http/web";
import { Client, newUser } from "../support/client";
import { S3_ENDPOINT, S3_HOST, S3_PORT, s3Overrides } from "../support/s3";
import { startTestServer, type TestServer } from "../support/server";
import { requireService } from "../support/services";

const s3 = await requireService("s3proxy", S3_HOST, S3_PORT);

let server: TestServer;
let html: string;

beforeAll(async () => {
  server = await startTestServer();
  html = await (await fetch(`${server.url}/`)).text();
});
afterAll(() => server.close());

const assetsOf = (page: string) => [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);

describe("the web app's page", () => {
  test("is served at / and at every client-side route, query parameters and all", async () => {
    for (const path of [
      "/",
      "/login",
      "/signup",
      "/forgot-password",
      "/verify-email?token=abc",
      "/reset-password?token=abc",
      "/rooms/01a23367-0c83-7024-9ac2-67402ea8bb2d",
      "/?utm_source=mail",
    ]) {
      const reply = await fetch(server.url + path);
      expect({ path, status: reply.status, type: reply.headers.get("content-type") }).toEqual({
        path,
        status: 200,
        type: "text/html; charset=utf-8",
      });
      expect(await reply.text()).toBe(html);
    }
  });

  test("has its own CSP: scripts, styles and connections to chatd only, nothing inline", async () => {
    const reply = await fetch(`${server.url}/`);
    const csp = reply.headers.get("content-security-policy")!;
    // Attachments on S3 (CHATD_TEST_BLOBS=s3) add the store's origin; see the test below.
    expect(csp).toBe(server.config.s3Bucket ? appCsp(S3_ENDPOINT) : APP_CSP);
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'"])
      expect(csp).toContain(directive);
    expect(csp).not.toContain("unsafe");
    expect(reply.headers.get("x-frame-options")).toBe("DENY");
    expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
    // Every script and style is chatd's own; no inline script or style the CSP would have to allow.
    const assets = assetsOf(html).filter((a) => a !== "data:,");
    expect(assets.length).toBe(2);
    for (const asset of assets) expect(asset).toMatch(/^\/assets\//);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style/);
  });

  (s3.up ? test : test.skip)(
    "with attachments on S3, the CSP allows exactly the store's origin, for uploads and images only",
    async () => {
      const embedded = (await fetch(`${server.url}/`)).headers.get("content-security-policy")!;
      const onS3 = await startTestServer(s3Overrides());
      try {
        const csp = (await fetch(`${onS3.url}/`)).headers.get("content-security-policy")!;
        const directives = new Map(csp.split("; ").map((d) => [d.split(" ")[0], d]));
        expect(directives.get("img-src")).toBe(`img-src 'self' data: ${S3_ENDPOINT}`);
        expect(directives.get("connect-src")).toBe(`connect-src 'self' ${S3_ENDPOINT}`);
        // Nothing else may come from there, and the embedded store (chatd's own URLs) adds no origin.
        expect(csp.split(S3_ENDPOINT).length - 1).toBe(2);
        if (!server.config.s3Bucket) expect(embedded).not.toContain("http");
        // The origin is the one the signed URLs have.
        const user = await newUser(onS3.url, "csp");
        const ticket = await user.api.post("/v1/attachments", {
          filename: "a.png",
          content_type: "image/png",
          size: 3,
        });
        expect(new URL(ticket.body.upload_url).origin).toBe(S3_ENDPOINT);
      } finally {
        await onS3.close();
      }
    },
  );

  test("its assets are served with their types and cached for good (named by content hash)", async () => {
    for (const asset of assetsOf(html).filter((a) => a.startsWith("/assets/"))) {
      const reply = await fetch(server.url + asset);
      expect(reply.status).toBe(200);
      expect(reply.headers.get("content-type")).toMatch(asset.endsWith(".js") ? /^text\/javascript/ : /^text\/css/);
      expect(reply.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    }
    const missing = await new Client(server.url).get("/assets/nothing.js");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");
  });

  test("the API beside it is unchanged: JSON, its own CSP, its own errors", async () => {
    const anonymous = await new Client(server.url).get("/v1/users/me");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    expect((await new Client(server.url).get("/healthz?bogus=1")).status).toBe(400);
    expect((await new Client(server.url).post("/")).status).toBe(405);
  });
});
