// A split deployment for tests: real chatd processes (`bun src/main.ts serve --role ...`) sharing one
// Cassandra keyspace, one NATS subject prefix and JetStream stream, and one Redis key prefix of their
// own, on the services scripts/services starts. Each process listens on a free port it reports in
// its "chatd listening" log line.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deleteStream, NATS_URL, uniqueNatsNames } from "./nats";
import { TEST_JWT_SECRET } from "./server";
import { CASSANDRA_CONTACT_POINT, dropKeyspace, REDIS_URL, uniqueKeyPrefix, uniqueKeyspace } from "./services";

const MAIN = join(import.meta.dir, "../../src/main.ts");

export type Role = "all" | "api" | "ws" | "indexer";

export class Node {
  url = "";
  #exited: Promise<number>;
  readonly #lines: string[] = [];

  private constructor(
    readonly role: Role,
    readonly proc: ReturnType<typeof Bun.spawn>,
    readonly dataDir: string,
  ) {
    this.#exited = proc.exited;
  }

  /** Starts a process and resolves once it listens (its log says where). */
  static async start(role: Role, env: Record<string, string>, timeoutMs = 60_000): Promise<Node> {
    const dataDir = await mkdtemp(join(tmpdir(), `chatd-${role}-`));
    const proc = Bun.spawn(["bun", MAIN, "serve", "--role", role], {
      env: { ...process.env, ...env, DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: "0", CHATD_ROLE: role },
      stdout: "pipe",
      stderr: "pipe",
    });
    const node = new Node(role, proc, dataDir);
    const listening = node.#read(proc.stdout as ReadableStream<Uint8Array>);
    void node.#read(proc.stderr as ReadableStream<Uint8Array>);
    const started = await Promise.race([
      listening,
      node.#exited.then((code) => new Error(`chatd --role ${role} exited with ${code}: ${node.tail()}`)),
      Bun.sleep(timeoutMs).then(
        () => new Error(`chatd --role ${role} did not listen within ${timeoutMs} ms: ${node.tail()}`),
      ),
    ]);
    if (started instanceof Error) {
      proc.kill("SIGKILL");
      throw started;
    }
    node.url = started;
    return node;
  }

  /** Reads log lines until the process ends; resolves with the URL of the "chatd listening" line. */
  #read(stream: ReadableStream<Uint8Array>): Promise<string> {
    return new Promise((resolve) => {
      void (async () => {
        let rest = "";
        for await (const chunk of stream) {
          rest += new TextDecoder().decode(chunk);
          const lines = rest.split("\n");
          rest = lines.pop() ?? "";
          for (const line of lines) {
            this.#lines.push(line);
            if (this.#lines.length > 200) this.#lines.shift();
            if (line.includes('"chatd listening"'))
              resolve(String(JSON.parse(line).url).replace("0.0.0.0", "127.0.0.1"));
          }
        }
      })();
    });
  }

  /** The last log lines, for failure messages. */
  tail(count = 20): string {
    return this.#lines.slice(-count).join("\n");
  }

  /** Log lines matching a message. */
  logged(msg: string): string[] {
    return this.#lines.filter((line) => line.includes(`"msg":"${msg}"`));
  }

  /** A graceful stop (SIGTERM), waiting for the exit. */
  async stop(): Promise<number> {
    if (this.proc.exitCode === null) this.proc.kill("SIGTERM");
    const code = await this.#exited;
    await rm(this.dataDir, { recursive: true, force: true });
    return code;
  }

  /** A crash: SIGKILL, no goodbye to anyone. */
  async kill(): Promise<void> {
    this.proc.kill("SIGKILL");
    await this.#exited;
  }
}

export type ClusterOptions = { ws?: number; env?: Record<string, string> };

/** One api and `ws` (default 2) ws processes on Cassandra, NATS and Redis. */
export class Cluster {
  private constructor(
    readonly env: Record<string, string>,
    readonly api: Node,
    readonly ws: Node[],
    private readonly names: { keyspace: string; stream: string; natsUrl: string },
  ) {}

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const keyspace = uniqueKeyspace("chatd_cluster");
    const { prefix, stream } = uniqueNatsNames();
    const natsUrl = options.env?.NATS_URL ?? NATS_URL;
    const env: Record<string, string> = {
      LOG_LEVEL: "info",
      JWT_SECRET: TEST_JWT_SECRET,
      PASSWORD_HASH_MEMORY_KIB: "1024",
      PASSWORD_HASH_TIME_COST: "1",
      RATE_LIMIT_MESSAGES_PER_MINUTE: "100000",
      HTTP_VALIDATE_RESPONSES: "true",
      CASSANDRA_CONTACT_POINTS: CASSANDRA_CONTACT_POINT,
      CASSANDRA_KEYSPACE: keyspace,
      CASSANDRA_LOCAL_DC: "datacenter1",
      NATS_URL: natsUrl,
      NATS_SUBJECT_PREFIX: prefix,
      NATS_STREAM: stream,
      REDIS_URL,
      REDIS_KEY_PREFIX: uniqueKeyPrefix("cluster"),
      ...options.env,
    };
    // The api process migrates the keyspace first; the ws processes then find it ready.
    const api = await Node.start("api", env);
    const ws = await Promise.all(Array.from({ length: options.ws ?? 2 }, () => Node.start("ws", env)));
    return new Cluster(env, api, ws, { keyspace, stream, natsUrl });
  }

  /** Another process of the same deployment. */
  startNode(role: Role) {
    return Node.start(role, this.env);
  }

  async close() {
    await Promise.allSettled([this.api, ...this.ws].map((node) => node.stop()));
    await dropKeyspace(this.names.keyspace).catch(() => {});
    await deleteStream(this.names.stream, this.names.natsUrl).catch(() => {});
  }
}
