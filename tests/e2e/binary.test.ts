// The compiled binary, as a user runs it: built from source, started on an empty data dir with no
// services, driven through the account lifecycle over HTTP, then stopped with SIGTERM; attachments from
// the same binary on the data dir and on S3.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, uniqueUser } from "../support/client";
import { Outbox, tokenIn } from "../support/outbox";
import { dropBucket, S3_CREDENTIALS, S3_ENDPOINT, S3_HOST, S3_PORT, uniqueBucket } from "../support/s3";
import { reachable } from "../support/services";
import { WsClient } from "../support/ws";

const root = join(import.meta.dir, "..", "..");
let work: string;
let binary: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "chatd-e2e-"));
  binary = join(work, "chatd");
  const build = Bun.spawnSync(
    [process.execPath, "build", "--compile", "--minify", "src/main.ts", "--outfile", binary],
    {
      cwd: root,
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
}, 120_000);
afterAll(() => rm(work, { recursive: true, force: true }));

/** Runs the binary from an empty directory with a clean environment (no project files to lean on). */
const run = (args: string[], env: Record<string, string> = {}) =>
  Bun.spawnSync([binary, ...args], {
    cwd: work,
    env: { PATH: "/usr/bin:/bin", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });

type Running = {
  process: Bun.Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  /** Everything written to stdout (info lines) and stderr (warnings and errors), once the process ended. */
  output: () => Promise<string>;
  errors: () => Promise<string>;
  /** Resolves when stdout has a line matching `pattern` (the server logged it). */
  logged: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
};

async function until(check: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
}

async function serve(dataDir: string, env: Record<string, string> = {}): Promise<Running> {
  const proc = Bun.spawn([binary, "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
    cwd: work,
    env: { PATH: "/usr/bin:/bin", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  // stdout is read as it comes: the "chatd listening" line carries the port the OS picked.
  let seen = "";
  const done = (async () => {
    for await (const chunk of proc.stdout) seen += new TextDecoder().decode(chunk);
  })();
  const errors = new Response(proc.stderr).text();
  let exited = false;
  proc.exited.then(() => {
    exited = true;
  });
  const listening = /"chatd listening".*?:(\d+)"/;
  await until(() => listening.test(seen) || exited, 15_000, "chatd listening");
  if (!listening.test(seen)) throw new Error(`server exited: ${seen}${await errors}`);
  const port = listening.exec(seen)![1];
  return {
    process: proc,
    url: `http://127.0.0.1:${port}`,
    output: async () => {
      await done;
      return seen;
    },
    errors: () => errors,
    logged: (pattern, timeoutMs = 10_000) => until(() => pattern.test(seen), timeoutMs, `a log line ${pattern}`),
  };
}

/**
 * A POST over raw TCP that sends its headers now, with `Expect: 100-continue`, and its body only when
 * told: the server's `100 Continue` shows it has taken the request up, and the request stays in flight
 * for as long as the test holds the body back.
 */
async function heldPost(url: string, path: string, body: string) {
  let received = "";
  let closed = false;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(url).port),
    socket: {
      data(_socket, chunk) {
        received += chunk.toString("latin1");
      },
      close() {
        closed = true;
      },
    },
  });
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
  );
  const final = () => /HTTP\/1\.1 ([2-5]\d\d)/.exec(received.replace(/^HTTP\/1\.1 100[^\n]*\n\r?\n/, ""));
  return {
    taken: () => until(() => received.startsWith("HTTP/1.1 100"), 10_000, "100 Continue"),
    sendBody: () => socket.write(body),
    /** The final response's status, or null when the connection closed without one. */
    status: async () => {
      await until(() => final() !== null || closed, 30_000, "a response or the connection's end");
      return final() ? Number(final()![1]) : null;
    },
  };
}

describe("chatd binary", () => {
  test("version, help and a bad config value", () => {
    expect(run(["version"]).stdout.toString()).toMatch(/^chatd \d+\.\d+\.\d+\n$/);
    const help = run(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain("JWT_SECRET");
    const bad = run(["serve"], { PORT: "not-a-port" });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("PORT");
    const unknown = run(["serve", "--no-such-flag"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr.toString()).toContain("--no-such-flag");
  });

  test("two migrate runs at once on a fresh data dir both succeed, and a third applies nothing", async () => {
    const dataDir = join(work, "migrate");
    const runs = [0, 1].map(() =>
      Bun.spawn([binary, "migrate", "--data-dir", dataDir], {
        cwd: work,
        stdout: "pipe",
        stderr: "pipe",
        env: { PATH: "/usr/bin:/bin" },
      }),
    );
    expect(await Promise.all(runs.map((r) => r.exited))).toEqual([0, 0]);
    const third = run(["migrate", "--data-dir", dataDir]);
    expect(third.exitCode).toBe(0);
    expect(third.stdout.toString()).toContain('"already_applied":true');
  });

  test("on an empty data dir: sign up, verify, log in, refresh, log out, reset the password", async () => {
    const dataDir = join(work, "data");
    const server = await serve(dataDir, { PASSWORD_HASH_MEMORY_KIB: "8192", PASSWORD_HASH_TIME_COST: "1" });
    const outbox = new Outbox(join(dataDir, "outbox"));
    const api = new Client(server.url);
    try {
      expect((await api.get("/readyz")).status).toBe(200);
      const user = uniqueUser("e2e");
      expect((await api.post("/v1/auth/signup", user)).status).toBe(201);
      const verifyToken = tokenIn(await outbox.latest(user.email, /verify/i));
      expect((await api.post("/v1/auth/verify-email", { token: verifyToken })).body.user.email_verified).toBe(true);

      const login = await api.post("/v1/auth/login", { login: user.username, password: user.password });
      expect(login.status).toBe(200);
      const refreshed = await api.post("/v1/auth/refresh", { refresh_token: login.body.refresh_token });
      expect(refreshed.status).toBe(200);
      const me = api.as(refreshed.body.access_token);
      expect((await me.get("/v1/users/me")).body.email_verified).toBe(true);
      expect((await me.post("/v1/auth/logout", { refresh_token: refreshed.body.refresh_token })).status).toBe(204);
      expect((await api.post("/v1/auth/refresh", { refresh_token: refreshed.body.refresh_token })).status).toBe(401);

      expect((await api.post("/v1/auth/password/forgot", { email: user.email })).status).toBe(202);
      const resetToken = tokenIn(await outbox.latest(user.email, /reset/i));
      expect(
        (await api.post("/v1/auth/password/reset", { token: resetToken, password: "a whole new secret" })).status,
      ).toBe(204);
      expect((await api.post("/v1/auth/login", { login: user.email, password: "a whole new secret" })).status).toBe(
        200,
      );
    } finally {
      server.process.kill("SIGTERM");
    }
    expect(await server.process.exited).toBe(0);
    const output = await server.output();
    expect(output).toContain('"msg":"chatd stopped"');
    // One JSON line per request, with the fields operators filter on.
    const requestLine = output.split("\n").find((l) => l.includes('"route":"/v1/auth/signup"'));
    expect(JSON.parse(requestLine!)).toMatchObject({
      method: "POST",
      status: 201,
      request_id: expect.any(String),
      duration_ms: expect.any(Number),
    });
  });

  test("/docs works offline from the binary's own assets; healthcheck exits 0 while it runs, 1 after", async () => {
    const server = await serve(join(work, "docs"));
    const port = new URL(server.url).port;
    try {
      const html = await (await fetch(`${server.url}/docs`)).text();
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(assets.sort()).toEqual([
        "/docs/assets/init.js",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
      ]);
      const bundle = await fetch(`${server.url}/docs/assets/swagger-ui-bundle.js`);
      expect(bundle.status).toBe(200);
      expect((await bundle.text()).length).toBeGreaterThan(1_000_000);
      expect((await fetch(`${server.url}/docs/assets/swagger-ui.css`)).status).toBe(200);
      expect(((await (await fetch(`${server.url}/docs/json`)).json()) as any).openapi).toMatch(/^3\.1\./);
      // The server listens on 127.0.0.1; healthcheck's default host 0.0.0.0 reaches it on loopback.
      const check = run(["healthcheck", "--port", port]);
      expect({ exitCode: check.exitCode, stderr: check.stderr.toString() }).toEqual({ exitCode: 0, stderr: "" });
    } finally {
      server.process.kill("SIGTERM");
    }
    expect(await server.process.exited).toBe(0);
    const after = run(["healthcheck", "--port", port]);
    expect(after.exitCode).toBe(1);
    expect(after.stderr.toString()).toContain("chatd healthcheck:");
  });

  test("the web app is served from the binary's embedded bundle, on an empty dir with nothing else", async () => {
    const server = await serve(join(work, "web"));
    try {
      for (const path of ["/", "/login", "/verify-email?token=abc", "/rooms/01a23367-0c83-7024-9ac2-67402ea8bb2d"]) {
        const page = await fetch(server.url + path);
        expect({ path, status: page.status, type: page.headers.get("content-type") }).toEqual({
          path,
          status: 200,
          type: "text/html; charset=utf-8",
        });
        expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
      }
      const html = await (await fetch(`${server.url}/`)).text();
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)]
        .map((m) => m[1]!)
        .filter((a) => !a.startsWith("data:"));
      expect(assets.length).toBe(2);
      for (const asset of assets) {
        expect(asset).toMatch(/^\/assets\/[\w.-]+\.(js|css)$/);
        const reply = await fetch(server.url + asset);
        expect(reply.status).toBe(200);
        expect(reply.headers.get("cache-control")).toContain("immutable");
        const text = await reply.text();
        expect(text.length).toBeGreaterThan(asset.endsWith(".js") ? 10_000 : 1000);
        // Built from the sources: the SDK's WebSocket subprotocol is in the script.
        if (asset.endsWith(".js")) expect(text).toContain("chatd.v1");
      }
      expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
    } finally {
      server.process.kill("SIGTERM");
    }
    expect(await server.process.exited).toBe(0);
  });

  test("SIGTERM closes WebSocket clients with 1001 and exits", async () => {
    const dataDir = join(work, "ws-stop");
    const server = await serve(dataDir, { PASSWORD_HASH_MEMORY_KIB: "8192", PASSWORD_HASH_TIME_COST: "1" });
    const api = new Client(server.url);
    const user = uniqueUser("ws");
    await api.post("/v1/auth/signup", user);
    const login = await api.post("/v1/auth/login", { login: user.username, password: user.password });
    const room = (await api.as(login.body.access_token).post("/v1/rooms", { name: "live", type: "public" })).body.id;
    const client = await WsClient.connect(server.url, login.body.access_token);
    await client.subscribe(room);
    server.process.kill("SIGTERM");
    expect((await client.closed).code).toBe(1001);
    expect(await server.process.exited).toBe(0);
  });

  test("SIGTERM lets an in-flight request finish before exiting", async () => {
    const server = await serve(join(work, "graceful"), {
      PASSWORD_HASH_MEMORY_KIB: "8192",
      PASSWORD_HASH_TIME_COST: "1",
    });
    const pending = await heldPost(server.url, "/v1/auth/signup", JSON.stringify(uniqueUser("slow")));
    await pending.taken();
    server.process.kill("SIGTERM");
    await server.logged(/"msg":"stopping"/);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow(); // no new connections
    pending.sendBody();
    expect(await pending.status()).toBe(201);
    expect(await server.process.exited).toBe(0);
    expect(await server.output()).toContain('"msg":"chatd stopped"');
  });

  test("a second signal exits at once (130), without waiting for in-flight requests", async () => {
    const server = await serve(join(work, "impatient"), {
      PASSWORD_HASH_MEMORY_KIB: "8192",
      PASSWORD_HASH_TIME_COST: "1",
      SHUTDOWN_TIMEOUT_SECONDS: "60",
    });
    // Held in flight: a graceful stop would wait for it (up to 60 s here) and exit 0.
    const pending = await heldPost(server.url, "/v1/auth/signup", JSON.stringify(uniqueUser("held")));
    await pending.taken();
    server.process.kill("SIGTERM");
    await server.logged(/"msg":"stopping"/);
    const second = performance.now();
    server.process.kill("SIGINT");
    expect(await server.process.exited).toBe(130);
    expect(performance.now() - second).toBeLessThan(5000);
    expect(await pending.status()).toBeNull();
    expect(await server.output()).not.toContain('"msg":"chatd stopped"');
  });

  test("the JWT secret generated on first start is kept, so tokens survive a restart", async () => {
    const dataDir = join(work, "restart");
    const env = { PASSWORD_HASH_MEMORY_KIB: "8192", PASSWORD_HASH_TIME_COST: "1" };
    const first = await serve(dataDir, env);
    const user = uniqueUser("keep");
    await new Client(first.url).post("/v1/auth/signup", user);
    const login = await new Client(first.url).post("/v1/auth/login", { login: user.username, password: user.password });
    first.process.kill("SIGTERM");
    await first.process.exited;
    expect(await first.errors()).toContain("JWT_SECRET is not set");
    const second = await serve(dataDir, env);
    try {
      expect((await new Client(second.url).as(login.body.access_token).get("/v1/users/me")).status).toBe(200);
    } finally {
      second.process.kill("SIGTERM");
      await second.process.exited;
    }
  });

  test("attachments from the same binary: in the data dir with no services, and on S3 when configured", async () => {
    const s3 = await reachable(S3_HOST, S3_PORT);
    if (!s3 && process.env.CI === "true") throw new Error("the S3 test server is not reachable (CI=true)");
    const stores: [string, Record<string, string>][] = [["data dir", {}]];
    const bucket = uniqueBucket();
    if (s3) {
      stores.push([
        "s3",
        {
          S3_ENDPOINT,
          S3_BUCKET: bucket,
          S3_FORCE_PATH_STYLE: "true",
          S3_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
          S3_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
        },
      ]);
    }
    try {
      for (const [name, settings] of stores) {
        const server = await serve(join(work, `blobs-${name}`), {
          PASSWORD_HASH_MEMORY_KIB: "8192",
          PASSWORD_HASH_TIME_COST: "1",
          JWT_SECRET: "binary-test-secret-that-is-long-enough",
          ...settings,
        });
        try {
          const user = uniqueUser("files");
          const anonymous = new Client(server.url);
          await anonymous.post("/v1/auth/signup", user);
          const login = await anonymous.post("/v1/auth/login", { login: user.username, password: user.password });
          const api = anonymous.as(login.body.access_token);
          const bytes = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
          const ticket = (
            await api.post("/v1/attachments", {
              filename: "a.pdf",
              content_type: "application/pdf",
              size: bytes.length,
            })
          ).body;
          expect({
            name,
            put: (await fetch(ticket.upload_url, { method: "PUT", body: bytes, headers: ticket.upload_headers })).ok,
          }).toEqual({ name, put: true });
          const done = await api.post(`/v1/attachments/${ticket.id}/complete`);
          expect({ name, status: done.body.status }).toEqual({ name, status: "ready" });
          const download = new Uint8Array(await (await fetch(done.body.download_url)).arrayBuffer());
          expect(download).toEqual(bytes);
        } finally {
          server.process.kill("SIGTERM");
          await server.process.exited;
        }
      }
    } finally {
      if (s3) await dropBucket(bucket);
    }
    if (!s3)
      console.warn("\n*** SKIPPED the S3 half: s3proxy not reachable — run scripts/services/s3proxy start ***\n");
  }, 60_000);
});
