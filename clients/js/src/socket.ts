// One WebSocket connection to the gateway, as it is: opens with the access token, waits for `hello`,
// parses every frame once and hands each on in arrival order, and pairs replies to requests by
// `ref`. No reconnects, no de-duplication: that is Realtime's job (realtime.ts), built on this.
import { ChatdError } from "./errors";
import type { ClientFrame, Hello, ServerFrame } from "./types";

/** What the SDK needs of a WebSocket: the browser's, Bun's and Node's (22+, or 20 with --experimental-websocket) all fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: "open" | "error", listener: (event: unknown) => void): void;
}

export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[] | Record<string, unknown>,
) => WebSocketLike;

/**
 * How the token travels: the `bearer.<token>` subprotocol (default; browsers cannot set headers and
 * URLs end up in logs), `?token=`, or an Authorization header (Bun only: its WebSocket takes headers).
 */
export type SocketAuth = "subprotocol" | "query" | "header";

export type SocketOptions = { auth?: SocketAuth; WebSocket?: WebSocketConstructor };

export type Closed = { code: number; reason: string };

/** Thrown by `request` when the socket closes before the reply came. */
export class SocketClosedError extends Error {
  constructor(readonly closed: Closed) {
    super(`socket closed (${closed.code}${closed.reason ? ` ${closed.reason}` : ""})`);
  }
}

/** ws(s)://host/v1/ws for an http(s) base URL. */
export const gatewayUrl = (baseUrl: string) => `${baseUrl.replace(/\/+$/, "").replace(/^http/, "ws")}/v1/ws`;

let refs = 0;
/** A ref no other request of this page or process uses. */
export const nextRef = () => `r${(++refs).toString(36)}`;

export class GatewaySocket {
  /** Resolves with `hello`; rejects with SocketClosedError when the socket closes first. */
  readonly hello: Promise<Hello>;
  /** Resolves once, when the socket closed (or was given up on by `close`). */
  readonly closed: Promise<Closed>;
  /** The last time anything arrived, ms. */
  lastFrameAt = Date.now();
  #closedWith: Closed | null = null;
  #resolveClosed!: (closed: Closed) => void;
  #listeners = new Set<(frame: ServerFrame) => void>();
  #pending = new Map<string, { resolve: (frame: ServerFrame) => void; reject: (error: Error) => void }>();

  private constructor(readonly socket: WebSocketLike) {
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    let helloed = false;
    this.hello = new Promise<Hello>((resolve, reject) => {
      this.#listeners.add((frame) => {
        if (frame.type === "hello" && !helloed) {
          helloed = true;
          resolve(frame);
        }
      });
      void this.closed.then((closed) => reject(new SocketClosedError(closed)));
    });
    this.hello.catch(() => undefined);
    socket.addEventListener("message", (event) => this.#receive(event.data));
    socket.addEventListener("close", (event) => this.#finish({ code: event.code, reason: event.reason }));
  }

  static open(baseUrl: string, token: string, options: SocketOptions = {}): GatewaySocket {
    const auth = options.auth ?? "subprotocol";
    const Socket = options.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketConstructor | undefined);
    if (!Socket) throw new TypeError("no WebSocket on this platform: pass options.WebSocket");
    const url = gatewayUrl(baseUrl);
    if (auth === "query") return new GatewaySocket(new Socket(`${url}?token=${encodeURIComponent(token)}`));
    if (auth === "header") return new GatewaySocket(new Socket(url, { headers: { authorization: `Bearer ${token}` } }));
    return new GatewaySocket(new Socket(url, ["chatd.v1", `bearer.${token}`]));
  }

  get isOpen(): boolean {
    return this.#closedWith === null && this.socket.readyState === 1;
  }

  /** Every frame, in arrival order. Returns the unsubscribe function. */
  onFrame(listener: (frame: ServerFrame) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  send(frame: ClientFrame | Record<string, unknown>) {
    this.sendRaw(JSON.stringify(frame));
  }

  /** Sends text as it is (tests of the protocol send malformed frames this way). */
  sendRaw(text: string) {
    if (this.#closedWith) return;
    this.socket.send(text);
  }

  /**
   * Sends a frame with a fresh `ref` and resolves with the reply carrying it. An `error` reply
   * rejects with ChatdError (status 0) when `errors` is "throw", else resolves with the frame.
   */
  request(
    frame: ClientFrame | Record<string, unknown>,
    options: { timeoutMs?: number; errors?: "throw" | "return" } = {},
  ): Promise<ServerFrame> {
    if (this.#closedWith) return Promise.reject(new SocketClosedError(this.#closedWith));
    const ref = nextRef();
    return new Promise<ServerFrame>((resolve, reject) => {
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.#pending.delete(ref);
              reject(new Error(`no reply to ${String(frame.type)} within ${options.timeoutMs} ms`));
            }, options.timeoutMs);
      this.#pending.set(ref, {
        resolve: (reply) => {
          clearTimeout(timer);
          if (reply.type === "error" && options.errors === "throw") {
            reject(new ChatdError(0, reply.code, reply.message, [], reply.retry_after_ms));
          } else resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.send({ ...frame, ref });
    });
  }

  /** Closes the socket and settles `closed` at once, without waiting for the peer (it may be gone). */
  close(code = 1000, reason = "") {
    try {
      this.socket.close(code, reason);
    } catch {
      this.socket.close();
    }
    this.#finish({ code, reason });
  }

  #receive(data: unknown) {
    if (this.#closedWith) return;
    this.lastFrameAt = Date.now();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(data)) as ServerFrame;
    } catch {
      return;
    }
    for (const listener of [...this.#listeners]) listener(frame);
    const ref = (frame as { ref?: string }).ref;
    if (ref === undefined) return;
    const pending = this.#pending.get(ref);
    if (!pending) return;
    this.#pending.delete(ref);
    pending.resolve(frame);
  }

  #finish(closed: Closed) {
    if (this.#closedWith) return;
    this.#closedWith = closed;
    for (const pending of this.#pending.values()) pending.reject(new SocketClosedError(closed));
    this.#pending.clear();
    this.#resolveClosed(closed);
  }
}
