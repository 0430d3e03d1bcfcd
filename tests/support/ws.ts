// A WebSocket test client on the SDK's raw gateway socket (clients/js GatewaySocket: auth, frame
// parsing, replies by ref), with no reconnects or de-duplication, so tests see exactly what the
// server sent: collects every frame, waits for frames by predicate or ref, knows how it closed.
import { GatewaySocket, type SocketAuth } from "../../clients/js/src";

export type Frame = { type: string; ref?: string; [key: string]: any };

export class WsClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The browser-style WebSocket underneath (its `protocol`, `close`, `send`). */
  readonly socket: WebSocket;
  #waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  private constructor(readonly gateway: GatewaySocket) {
    this.socket = gateway.socket as unknown as WebSocket;
    gateway.onFrame((parsed) => {
      const frame = parsed as Frame;
      this.frames.push(frame);
      const ready = this.#waiters.filter((w) => w.match(frame));
      this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
      for (const waiter of ready) waiter.resolve(frame);
    });
    this.closed = gateway.closed;
  }

  /**
   * Connects with the token in the query (default), the Authorization header, or the subprotocols
   * `chatd.v1, bearer.<token>` as a browser would; resolves after `hello`.
   */
  static async connect(baseUrl: string, token: string, via: SocketAuth = "query"): Promise<WsClient> {
    const client = new WsClient(GatewaySocket.open(baseUrl, token, { auth: via }));
    await client.next((f) => f.type === "hello");
    return client;
  }

  /** Sends a frame, or text as it is (malformed frames for protocol tests). */
  send(frame: Record<string, unknown> | string) {
    if (typeof frame === "string") this.gateway.sendRaw(frame);
    else this.gateway.send(frame);
  }

  /** Sends a frame with a fresh ref and resolves with the reply (or error) carrying that ref. */
  request(frame: Record<string, unknown>, timeoutMs = 5000): Promise<Frame> {
    return this.gateway.request(frame, { timeoutMs, errors: "return" }) as Promise<Frame>;
  }

  /** The first frame, already received or still to come, that matches. */
  next(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`)),
        timeoutMs,
      );
      this.#waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /** Waits until `count` frames match, then returns them in arrival order. */
  async collect(match: (f: Frame) => boolean, count: number, timeoutMs = 5000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.filter(match).length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.frames.filter(match).length} of ${count} frames arrived`);
      await Bun.sleep(5);
    }
    return this.frames.filter(match);
  }

  async subscribe(roomId: string, since?: number | string) {
    const reply = await this.request({ type: "subscribe", room_id: roomId, ...(since !== undefined ? { since } : {}) });
    if (reply.type !== "subscribed") throw new Error(`subscribe failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  close() {
    this.socket.close();
    return this.closed;
  }
}

export const messagesIn = (client: WsClient, roomId: string) =>
  client.frames.filter((f) => f.type === "message.created" && f.room_id === roomId).map((f) => f.message);

/** The messages a `subscribed` reply replays (its `missed` holds room events in position order). */
export const missedMessages = (reply: Frame) =>
  (reply.missed as Frame[]).filter((e) => e.type === "message.created").map((e) => e.message);
