// A TCP proxy on loopback between a client and a test server, to break the network for real: cut
// every connection (and refuse new ones) until restored, freeze them (bytes stop flowing, sockets stay
// open: a dead network that says nothing), or drop the server's bytes that match a pattern and then
// cut (a reply lost on the way). Server frames are unmasked text on the wire, so a pattern finds them.
import type { Socket, TCPSocketListener } from "bun";

type Pair = { client: Socket<Side>; upstream: Socket<Side> | null; queued: Uint8Array[] };
/** Each socket's pair, and the bytes a short write left over (sent on drain, in order). */
type Side = { pair?: Pair; backlog: Uint8Array[] };

/** Writes all of `chunk`: what the socket does not take now waits for its drain. */
function write(socket: Socket<Side>, chunk: Uint8Array) {
  if (socket.data.backlog.length > 0) return void socket.data.backlog.push(chunk);
  const written = socket.write(chunk);
  if (written < chunk.length) socket.data.backlog.push(chunk.subarray(Math.max(0, written)));
}

function drain(socket: Socket<Side>) {
  const backlog = socket.data.backlog;
  while (backlog.length > 0) {
    const chunk = backlog[0]!;
    const written = socket.write(chunk);
    if (written < chunk.length) {
      backlog[0] = chunk.subarray(Math.max(0, written));
      return;
    }
    backlog.shift();
  }
}

export class TcpProxy {
  readonly #pairs = new Set<Pair>();
  #listener!: TCPSocketListener<Side>;
  #down = false;
  #frozen = false;
  #dropOnce: { pattern: string; resolve: () => void } | null = null;

  private constructor(private readonly target: { host: string; port: number }) {}

  /** A proxy to `targetUrl`'s host and port; `url` is where clients connect instead. */
  static async start(targetUrl: string): Promise<TcpProxy> {
    const target = new URL(targetUrl);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    proxy.#listen();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#listener.port}`;
  }

  /** Closes every connection and refuses new ones until `restore`. */
  cut() {
    this.#down = true;
    for (const pair of [...this.#pairs]) this.#close(pair);
  }

  /** Stops forwarding in both directions, closes included: client connections stay open, silent. */
  freeze() {
    this.#frozen = true;
  }

  restore() {
    this.#down = false;
    this.#frozen = false;
  }

  /**
   * The next server chunk containing `pattern` is not delivered; every connection is cut (and new
   * ones refused until `restore`). Resolves when that happened.
   */
  dropNextAndCut(pattern: string): Promise<void> {
    return new Promise((resolve) => {
      this.#dropOnce = { pattern, resolve };
    });
  }

  get connections(): number {
    return this.#pairs.size;
  }

  stop() {
    this.cut();
    this.#listener.stop(true);
  }

  #listen() {
    this.#listener = Bun.listen<Side>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (client) => {
          if (this.#down) return void client.end();
          const pair: Pair = { client, upstream: null, queued: [] };
          client.data = { pair, backlog: [] };
          this.#pairs.add(pair);
          void this.#connect(pair);
        },
        data: (client, chunk) => {
          const pair = client.data.pair;
          if (!pair || this.#frozen) return;
          if (pair.upstream) write(pair.upstream, new Uint8Array(chunk));
          else pair.queued.push(new Uint8Array(chunk));
        },
        drain,
        close: (client) => {
          const pair = client.data.pair;
          if (pair) this.#close(pair);
        },
        error: () => undefined,
      },
    });
  }

  async #connect(pair: Pair) {
    try {
      pair.upstream = await Bun.connect<Side>({
        hostname: this.target.host,
        port: this.target.port,
        socket: {
          open: (upstream) => {
            upstream.data = { pair, backlog: [] };
          },
          data: (_upstream, chunk) => this.#fromServer(pair, chunk),
          drain,
          // Frozen, the server's end of a connection does not reach the client either.
          close: () => {
            if (!this.#frozen) this.#close(pair);
          },
          error: () => {
            if (!this.#frozen) this.#close(pair);
          },
        },
      });
      for (const chunk of pair.queued.splice(0)) write(pair.upstream, chunk);
    } catch {
      this.#close(pair);
    }
  }

  #fromServer(pair: Pair, chunk: Buffer) {
    if (this.#frozen || !this.#pairs.has(pair)) return;
    const drop = this.#dropOnce;
    if (drop && chunk.toString("latin1").includes(drop.pattern)) {
      this.#dropOnce = null;
      this.cut();
      drop.resolve();
      return;
    }
    write(pair.client, new Uint8Array(chunk));
  }

  #close(pair: Pair) {
    if (!this.#pairs.delete(pair)) return;
    pair.client.end();
    pair.upstream?.end();
  }
}
