// ChatClient: the SDK in one object — the REST API with a session that refreshes itself, and the live
// connection (realtime.ts) that uses the same session. Runs on the platform's fetch and WebSocket
// (browsers, Bun, Node 22+; Node 20 with --experimental-websocket or options.WebSocket).
import { type Api, createApi } from "./api";
import { type UploadOptions, uploadAttachment } from "./attachments";
import type { BackoffOptions } from "./backoff";
import { SessionEndedError, type SessionEndReason } from "./errors";
import { type Fetch, Http } from "./http";
import type { SendOptions } from "./outbox";
import { type ConnectionState, Realtime, type RealtimeEvents } from "./realtime";
import { Session, type TokenStore, type Tokens } from "./session";
import type { SocketAuth, WebSocketConstructor } from "./socket";
import type { Attachment, Message, Subscribed, User } from "./types";

export type ChatClientOptions = {
  /** chatd's origin: "https://chat.example.com"; in a page served by chatd, `location.origin`. */
  baseUrl: string;
  /** Where tokens are kept (default: memory; `localStorageTokenStore()` keeps a browser session across reloads). */
  store?: TokenStore;
  fetch?: Fetch;
  WebSocket?: WebSocketConstructor;
  socketAuth?: SocketAuth;
  backoff?: BackoffOptions;
  refreshMarginMs?: number;
  watchNetwork?: boolean;
};

export class ChatClient {
  readonly session: Session;
  readonly http: Http;
  readonly api: Api;
  readonly realtime: Realtime;

  constructor(readonly options: ChatClientOptions) {
    const anonymous = new Http({ baseUrl: options.baseUrl, fetch: options.fetch });
    this.session = new Session({ http: anonymous, store: options.store, refreshMarginMs: options.refreshMarginMs });
    this.http = anonymous.with(this.session);
    this.api = createApi(this.http);
    this.realtime = new Realtime({
      baseUrl: options.baseUrl,
      session: this.session,
      probe: () => this.api.users.me(),
      auth: options.socketAuth,
      WebSocket: options.WebSocket,
      backoff: options.backoff,
      watchNetwork: options.watchNetwork,
    });
    this.session.on("end", () => this.realtime.disconnect());
  }

  /** A client logged in as `login` (a username or an email). */
  static async login(options: ChatClientOptions, login: string, password: string): Promise<ChatClient> {
    const client = new ChatClient(options);
    await client.login(login, password);
    return client;
  }

  get user(): User | null {
    return this.session.user;
  }

  get signedIn(): boolean {
    return this.session.tokens !== null;
  }

  async login(login: string, password: string): Promise<Tokens> {
    const pair = await this.http.with(undefined).call("post", "/v1/auth/login", { body: { login, password } });
    return this.session.adopt(pair);
  }

  /** Logs out on the server and here; the connection closes. */
  async logout(): Promise<void> {
    this.realtime.disconnect();
    await this.session.logout();
  }

  /** Opens the live connection (kept open, reconnecting, until `close`, `logout` or the session's end). */
  connect(): this {
    if (!this.signedIn) throw new SessionEndedError("logged_out");
    this.realtime.connect();
    return this;
  }

  /** Stops the connection and the refresh timer; the session stays in its store. */
  close() {
    this.realtime.disconnect();
    this.session.close();
  }

  get state(): ConnectionState {
    return this.realtime.state;
  }

  on<K extends keyof RealtimeEvents>(type: K, listener: (event: RealtimeEvents[K]) => void): () => void {
    return this.realtime.events.on(type, listener);
  }

  /** The session ended for good (logged out, revoked, password reset): show the login. */
  onSessionEnd(listener: (reason: SessionEndReason) => void): () => void {
    return this.session.on("end", listener);
  }

  subscribe(roomId: string, options?: { since?: number }): Promise<Subscribed> {
    return this.realtime.subscribe(roomId, options);
  }

  unsubscribe(roomId: string) {
    this.realtime.unsubscribe(roomId);
  }

  /** Sends over the live connection; idempotent across reconnects (one `client_id` per call). */
  send(roomId: string, content: string, options?: SendOptions): Promise<Message> {
    return this.realtime.send(roomId, content, options);
  }

  /**
   * Uploads a file (create, PUT to the signed URL, complete): the ready attachment, whose id goes in
   * `send(..., {attachmentIds})` or `api.messages.send(..., {attachment_ids})`.
   */
  uploadAttachment(data: Blob, options?: UploadOptions): Promise<Attachment> {
    return uploadAttachment({ api: this.api, fetch: this.options.fetch }, data, options);
  }

  typing(roomId: string) {
    this.realtime.typing(roomId);
  }

  /** Follows these users' presence (`user.presence` events; see Realtime.watchPresence). */
  watchPresence(userIds: string[]) {
    return this.realtime.watchPresence(userIds);
  }

  /** Marks this connection online or idle (see Realtime.setPresence). */
  setPresence(status: "online" | "idle") {
    this.realtime.setPresence(status);
  }
}
