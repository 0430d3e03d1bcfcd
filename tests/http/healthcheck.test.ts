// `chatd healthcheck` against real servers: 0 when /readyz is 200 (reached on loopback when the server
// listens on every address), 1 when it is not ready or not there.
import { expect, test } from "bun:test";
import { healthcheck, localAddress } from "../../src/cli/healthcheck";
import { startTestServer } from "../support/server";

test("the wildcard addresses are reached on loopback; others as given", () => {
  expect(localAddress("0.0.0.0")).toBe("127.0.0.1");
  expect(localAddress("::")).toBe("[::1]");
  expect(localAddress("10.1.2.3")).toBe("10.1.2.3");
  expect(localAddress("fd00::1")).toBe("[fd00::1]");
});

test("exits 0 for a ready server, 1 for one that is not ready, and 1 once it has stopped", async () => {
  const lines: string[] = [];
  const report = (line: string) => lines.push(line);
  const server = await startTestServer({ host: "0.0.0.0" });
  expect(await healthcheck({ host: "0.0.0.0", port: server.port }, report)).toBe(0);
  expect(lines).toEqual([]);

  // An SMTP server that is not there makes /readyz 503.
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const smtpPort = probe.port;
  probe.stop(true);
  const unready = await startTestServer({ smtpUrl: `smtp://127.0.0.1:${smtpPort}` });
  try {
    expect(await healthcheck({ host: "127.0.0.1", port: unready.port }, report)).toBe(1);
    expect(lines.at(-1)).toContain("answered 503");
  } finally {
    await unready.close();
  }

  await server.close();
  expect(await healthcheck({ host: "0.0.0.0", port: server.port }, report)).toBe(1);
  expect(await healthcheck({ host: "0.0.0.0", port: 0 }, report)).toBe(1);
}, 30_000);
