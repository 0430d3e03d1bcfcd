// Runs the bus contract against every adapter: in-process, and NATS on 127.0.0.1:4222 (each test with
// its own subject prefix), plus what only NATS has: the subjects on the wire.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { MemoryBus } from "../../src/bus/memory";
import { NatsBus } from "../../src/bus/nats";
import { AppError } from "../../src/domain/errors";
import { createLogger } from "../../src/log";
import { freePort, NATS_HOST, NATS_PORT, NATS_URL, OwnNatsServer, uniqueNatsNames } from "../support/nats";
import { requireService } from "../support/services";
import { eventually, runBusContract } from "./bus.contract";

runBusContract("memory", async (log) => {
  const bus = new MemoryBus(log);
  return { bus, other: bus };
});

const nats = await requireService("nats", NATS_HOST, NATS_PORT);
const settings = { urls: [NATS_URL], name: "chatd-test" };

if (nats.up) {
  runBusContract("nats", async (log) => {
    const { prefix } = uniqueNatsNames();
    const [bus, other] = await Promise.all([
      NatsBus.connect(settings, { prefix, log }),
      NatsBus.connect(settings, { prefix, log }),
    ]);
    return { bus, other };
  });
}

nats.describe("NatsBus on the wire", () => {
  let raw: NatsConnection;
  beforeAll(async () => {
    raw = await connect({ servers: NATS_URL });
  });
  afterAll(() => raw.close());

  test("subjects go out as given, or under the prefix; handlers see them without it", async () => {
    const { prefix } = uniqueNatsNames();
    const plain = await NatsBus.connect(settings, { log: createLogger("silent") });
    const prefixed = await NatsBus.connect(settings, { prefix, log: createLogger("silent") });
    try {
      const room = `chat.room.${crypto.randomUUID()}`;
      const seen: string[] = [];
      const record = (_error: Error | null, msg: Msg) => {
        seen.push(msg.subject);
      };
      const sub = raw.subscribe(`*.${room}`, { callback: record });
      const direct = raw.subscribe(room, { callback: record });
      await raw.flush();
      const received: string[] = [];
      await prefixed.subscribe(room, (s) => received.push(s)).ready;
      await plain.publish(room, new TextEncoder().encode("1"));
      await prefixed.publish(room, new TextEncoder().encode("2"));
      await eventually(() => seen.length === 2 && received.length === 1);
      expect(seen.sort()).toEqual([room, `${prefix}.${room}`].sort());
      expect(received).toEqual([room]);
      sub.unsubscribe();
      direct.unsubscribe();
    } finally {
      await Promise.all([plain.close(), prefixed.close()]);
    }
  });
});

nats.describe("NatsBus connecting", () => {
  const log = createLogger("silent");

  test("credentials in the URL log in; a refused login or an unreachable server is `unavailable` without the password", async () => {
    const own = await OwnNatsServer.start({ user: "chatd", pass: "s3cret-pass" });
    try {
      const bus = await NatsBus.connect({ urls: [own.url], name: "chatd-test" }, { log });
      await bus.ping();
      await bus.close();
      for (const url of [
        `nats://chatd:wrong-pass@127.0.0.1:${own.port}`,
        `nats://chatd:s3cret-pass@127.0.0.1:${freePort()}`,
      ]) {
        const error = await NatsBus.connect({ urls: [url], name: "chatd-test" }, { log }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe("unavailable");
        const cause = (error as AppError).cause as Error;
        expect(cause.message).toContain("127.0.0.1:");
        expect(cause.message).not.toContain("pass");
      }
    } finally {
      await own.destroy();
    }
  });
});
