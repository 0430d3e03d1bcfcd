// A login session: the token pair, kept in a TokenStore, refreshed before the access token expires
// and when the server refuses it. Refresh tokens rotate and a rotated one presented again revokes the
// whole login (theft detection), so a refresh is never run twice at once: not within this client
// (one refresh in flight) and, where the platform has Web Locks, not across tabs sharing a store.
import { ChatdError, SessionEndedError, type SessionEndReason } from "./errors";
import type { Authenticator, Http } from "./http";
import type { TokenPair, User } from "./types";

export type Tokens = {
  access_token: string;
  refresh_token: string /** ms since the epoch */;
  expires_at: number;
  user: User;
};

/** Where a session's tokens live between page loads (or not). */
export interface TokenStore {
  load(): Tokens | null;
  save(tokens: Tokens | null): void;
}

export const memoryTokenStore = (): TokenStore => {
  let tokens: Tokens | null = null;
  return {
    load: () => tokens,
    save: (next) => {
      tokens = next;
    },
  };
};

/** Tokens in localStorage under `key`, so a reload keeps the session (browsers). */
export const localStorageTokenStore = (key = "chatd.session"): TokenStore => ({
  load() {
    try {
      return JSON.parse(globalThis.localStorage.getItem(key) ?? "null") as Tokens | null;
    } catch {
      return null;
    }
  },
  save(tokens) {
    if (tokens) globalThis.localStorage.setItem(key, JSON.stringify(tokens));
    else globalThis.localStorage.removeItem(key);
  },
});

export type SessionOptions = {
  /** An unauthenticated transport (refresh and logout carry their own credentials). */
  http: Http;
  store?: TokenStore;
  /** Refresh this long before expiry (at most a fifth of the token's lifetime). Default 60 s. */
  refreshMarginMs?: number;
  now?: () => number;
};

type Timer = ReturnType<typeof setTimeout> & { unref?: () => void };

export class Session implements Authenticator {
  readonly #http: Http;
  readonly #store: TokenStore;
  readonly #marginMs: number;
  readonly #now: () => number;
  #tokens: Tokens | null;
  #refreshing: Promise<Tokens> | null = null;
  #timer: Timer | undefined;
  #listeners = { change: new Set<(tokens: Tokens | null) => void>(), end: new Set<(r: SessionEndReason) => void>() };

  constructor(options: SessionOptions) {
    this.#http = options.http;
    this.#store = options.store ?? memoryTokenStore();
    this.#marginMs = options.refreshMarginMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#tokens = this.#store.load();
    this.#schedule();
  }

  get tokens(): Tokens | null {
    return this.#tokens;
  }

  get user(): User | null {
    return this.#tokens?.user ?? null;
  }

  /** `change`: new tokens (or none); `end`: the session is over and the user must log in again. */
  on(type: "change", listener: (tokens: Tokens | null) => void): () => void;
  on(type: "end", listener: (reason: SessionEndReason) => void): () => void;
  on(type: "change" | "end", listener: (arg: any) => void): () => void {
    const set = this.#listeners[type] as Set<(arg: any) => void>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Starts the session from a login's (or refresh's) token pair. */
  adopt(pair: TokenPair): Tokens {
    const tokens = {
      access_token: pair.access_token,
      refresh_token: pair.refresh_token,
      expires_at: this.#now() + pair.expires_in * 1000,
      user: pair.user,
    };
    this.#set(tokens);
    return tokens;
  }

  /** Keeps the stored user up to date (after a profile change). */
  updateUser(user: User) {
    if (this.#tokens) this.#set({ ...this.#tokens, user });
  }

  /** How long before expiry a token counts as expiring: the margin, at most a fifth of its lifetime. */
  #margin(tokens: Tokens): number {
    const lifetime = tokens.expires_at - this.#now();
    return Math.min(this.#marginMs, Math.max(0, lifetime) / 5);
  }

  #fresh(tokens: Tokens | null): tokens is Tokens {
    return tokens !== null && tokens.expires_at - this.#now() > Math.min(this.#marginMs, 1000);
  }

  async accessToken(): Promise<string | null> {
    const tokens = this.#tokens;
    if (!tokens) return null;
    if (tokens.expires_at - this.#now() > this.#margin(tokens)) return tokens.access_token;
    return (await this.refresh()).access_token;
  }

  async rejected(token: string): Promise<string | null> {
    if (!this.#tokens) return null;
    if (this.#tokens.access_token !== token) return this.#tokens.access_token;
    try {
      return (await this.refresh()).access_token;
    } catch (error) {
      if (error instanceof SessionEndedError) return null;
      throw error;
    }
  }

  /**
   * A new token pair. One refresh at a time; throws SessionEndedError when the server refuses the
   * refresh token (the session ended), and the network's error (tokens kept) when it cannot be reached.
   */
  refresh(): Promise<Tokens> {
    this.#refreshing ??= withLock("chatd.refresh", () => this.#refresh()).finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<Tokens> {
    const mine = this.#tokens;
    // Another tab may have rotated the pair meanwhile: its tokens are in the shared store.
    const stored = this.#store.load();
    if (stored && stored.refresh_token !== mine?.refresh_token && this.#fresh(stored)) {
      this.#set(stored, false);
      return stored;
    }
    if (!mine) throw new SessionEndedError("logged_out");
    const reply = await this.#http.raw<TokenPair>("post", "/v1/auth/refresh", {
      body: { refresh_token: mine.refresh_token },
      token: null,
    });
    if (reply.status === 200) return this.adopt(reply.body);
    if (reply.status === 401 || reply.status === 400) {
      this.end("session_revoked");
      throw new SessionEndedError("session_revoked");
    }
    const error = reply.body as { error?: { code?: string; message?: string } } | undefined;
    throw new ChatdError(reply.status, error?.error?.code ?? "unavailable", error?.error?.message ?? "refresh failed");
  }

  /** Logs out on the server (best effort) and ends the session here. */
  async logout(): Promise<void> {
    const tokens = this.#tokens;
    if (tokens) {
      await this.#http
        .raw("post", "/v1/auth/logout", { body: { refresh_token: tokens.refresh_token }, token: tokens.access_token })
        .catch(() => undefined);
    }
    this.end("logged_out");
  }

  /** Forgets the tokens and tells the `end` listeners (once). */
  end(reason: SessionEndReason) {
    if (!this.#tokens) return;
    this.#set(null);
    for (const listener of this.#listeners.end) listener(reason);
  }

  /** Stops the refresh timer (the tokens stay). */
  close() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #set(tokens: Tokens | null, save = true) {
    this.#tokens = tokens;
    if (save) this.#store.save(tokens);
    this.#schedule();
    for (const listener of this.#listeners.change) listener(tokens);
  }

  /** Refreshes ahead of expiry, so calls and reconnects rarely wait for one; retries failures in 5 s. */
  #schedule() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const tokens = this.#tokens;
    if (!tokens) return;
    const due = Math.max(0, tokens.expires_at - this.#margin(tokens) - this.#now());
    this.#timer = setTimeout(() => {
      this.refresh().catch((error) => {
        if (!(error instanceof SessionEndedError) && this.#tokens === tokens) {
          this.#timer = setTimeout(() => this.#schedule(), 5000) as Timer;
          this.#timer.unref?.();
        }
      });
    }, due) as Timer;
    this.#timer.unref?.();
  }
}

type Locks = { request<T>(name: string, callback: () => Promise<T>): Promise<T> };

/** Runs `task` under a Web Lock where the platform has them (tabs of one origin), else at once. */
function withLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: Locks } }).navigator?.locks;
  return locks ? locks.request(name, task) : task();
}
