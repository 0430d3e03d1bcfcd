// The compiled binary, as a user runs it: built from source, started on an empty data dir with no
// services, driven through the account lifecycle over HTTP, then stopped with SIGTERM.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, uniqueUser } from "../support/client";
import { Outbox, tokenIn } from "../support/outbox";
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
};

async function serve(dataDir: string, env: Record<string, string> = {}): Promise<Running> {
  const proc = Bun.spawn([binary, "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
    cwd: work,
    env: { PATH: "/usr/bin:/bin", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  // The "chatd listening" log line carries the port the OS picked.
  const reader = proc.stdout.getReader();
  let seen = "";
  const deadline = Date.now() + 15_000;
  while (!/"chatd listening".*?:(\d+)"/.test(seen)) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${seen}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${seen}${await new Response(proc.stderr).text()}`);
    seen += new TextDecoder().decode(value);
  }
  const port = /"chatd listening".*?:(\d+)"/.exec(seen)![1];
  const rest = (async () => {
    let tail = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return tail;
      tail += new TextDecoder().decode(value);
    }
  })();
  const errors = new Response(proc.stderr).text();
  return {
    process: proc,
    url: `http://127.0.0.1:${port}`,
    output: async () => seen + (await rest),
    errors: () => errors,
  };
}

describe("chatd binary", () => {
  test("version, help and a bad config value", () => {
    expect(run(["version"]).stdout.toString()).toMatch(/^chatd \d+\.\d+\.\d+\n$/);
    const help = run(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain("JWT_SECRET");
    const bad = run(["serve"], { PORT: "not-a-port" });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr.toString()).toContain("PORT");
    const unknown = run(["serve", "--no-such-flag"]);
    expect(unknown.exitCode).not.toBe(0);
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
    const dataDir = join(work, "graceful");
    // An expensive password hash keeps the signup in flight while the signal arrives.
    const server = await serve(dataDir, { PASSWORD_HASH_MEMORY_KIB: "262144", PASSWORD_HASH_TIME_COST: "4" });
    const pending = new Client(server.url).post("/v1/auth/signup", uniqueUser("slow"));
    await Bun.sleep(50);
    server.process.kill("SIGTERM");
    expect((await pending).status).toBe(201);
    expect(await server.process.exited).toBe(0);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
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
});
