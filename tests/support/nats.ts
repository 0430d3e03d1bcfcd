// NATS for tests: the shared server on 127.0.0.1:4222 (names unique per test: subject prefixes, stream
// names), stream clean-up, and nats-server processes a test starts, stops and restarts on its own port.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

export const NATS_HOST = "127.0.0.1";
export const NATS_PORT = 4222;
export const NATS_URL = `nats://${NATS_HOST}:${NATS_PORT}`;

const unique = () => crypto.randomUUID().replaceAll("-", "").slice(0, 16);

/** A subject prefix and a stream name no other test uses. */
export const uniqueNatsNames = () => {
  const id = unique();
  return { prefix: `t${id}`, stream: `T_${id}` };
};

/** Deletes a test's JetStream stream (its own short-lived connection); a missing stream is fine. */
export async function deleteStream(stream: string, url = NATS_URL): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}

/** A TCP port nothing listens on right now. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

/** A nats-server of the test's own (JetStream on, loopback), kept on one port and data dir across restarts. */
export class OwnNatsServer {
  #process: ReturnType<typeof Bun.spawn> | undefined;

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly auth: { user: string; pass: string } | undefined,
  ) {}

  /** With `auth`, clients must log in with that user and password. */
  static async start(auth?: { user: string; pass: string }): Promise<OwnNatsServer> {
    const server = new OwnNatsServer(freePort(), await mkdtemp(join(tmpdir(), "chatd-nats-")), auth);
    await server.start();
    return server;
  }

  get url() {
    const login = this.auth ? `${this.auth.user}:${this.auth.pass}@` : "";
    return `nats://${login}127.0.0.1:${this.port}`;
  }

  /** Starts the process (unless it runs) and waits until it accepts clients. */
  async start(): Promise<void> {
    if (this.#process) return;
    const login = this.auth ? ["--user", this.auth.user, "--pass", this.auth.pass] : [];
    this.#process = Bun.spawn(
      ["nats-server", "-a", "127.0.0.1", "-p", String(this.port), "-js", "-sd", this.storeDir, ...login],
      { stdout: "ignore", stderr: "ignore" },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const nc = await connect({ servers: `127.0.0.1:${this.port}`, timeout: 500, ...this.auth });
        await nc.close();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await Bun.sleep(50);
      }
    }
  }

  /** Stops the process and waits for it to exit. */
  async stop(): Promise<void> {
    const process = this.#process;
    this.#process = undefined;
    if (!process) return;
    process.kill();
    await process.exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}
