// Typed REST calls over the platform's fetch. `call` is typed by the generated OpenAPI paths (the
// path, its parameters, query, body and answer) and throws ChatdError for an error response; `raw`
// answers status, headers and body as they came, for callers that judge the answer themselves.
import { ChatdError, errorFromResponse } from "./errors";
import type { BodyOf, Method, PathParamsOf, paths, QueryOf, ResponseOf } from "./types";

/** Where an authenticated call gets its access token, and what it does with a 401. */
export interface Authenticator {
  /** A valid access token (refreshed first when it is about to expire), or null when signed out. */
  accessToken(): Promise<string | null>;
  /**
   * The server refused `token` with 401: a new token to retry with once (refreshed, or already
   * refreshed by someone else), or null when there is none (the session is over).
   */
  rejected(token: string): Promise<string | null>;
}

export type RawReply<T = unknown> = { status: number; headers: Headers; body: T };

export type RawInit = {
  /** A string is sent as it is (with content-type application/json unless headers say otherwise). */
  body?: unknown;
  headers?: Record<string, string>;
  /** The bearer token; undefined: the authenticator's (none without one). */
  token?: string | null;
  signal?: AbortSignal;
};

type Query = Record<string, string | number | boolean | undefined | null>;

/** The platform's fetch, or anything called like it. */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** The options of `call`: path parameters, query and body, each required exactly when the operation has them. */
export type CallOptions<P extends keyof paths, M extends Method> = ([PathParamsOf<P, M>] extends [never]
  ? { params?: undefined }
  : { params: PathParamsOf<P, M> }) &
  ([QueryOf<P, M>] extends [never] ? { query?: undefined } : { query?: QueryOf<P, M> }) &
  ([BodyOf<P, M>] extends [never] ? { body?: undefined } : { body: BodyOf<P, M> }) & { signal?: AbortSignal };

export type HttpOptions = {
  /** chatd's origin, e.g. "https://chat.example.com" (no trailing slash needed). */
  baseUrl: string;
  fetch?: Fetch;
  auth?: Authenticator;
};

/** `/v1/rooms/{id}` with `{id: "r1"}` → `/v1/rooms/r1` (each value URL-encoded). */
export function fillPath(path: string, params: Record<string, string> | undefined): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new TypeError(`missing path parameter ${name} of ${path}`);
    return encodeURIComponent(value);
  });
}

const queryString = (query: Query | undefined) => {
  const entries = Object.entries(query ?? {}).filter(([, value]) => value !== undefined && value !== null);
  if (entries.length === 0) return "";
  return `?${new URLSearchParams(Object.fromEntries(entries.map(([k, v]) => [k, String(v)])))}`;
};

export class Http {
  readonly baseUrl: string;
  readonly #fetch: Fetch;
  readonly #auth: Authenticator | undefined;

  constructor(options: HttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#auth = options.auth;
  }

  /** The same transport with another authenticator (or none). */
  with(auth: Authenticator | undefined): Http {
    return new Http({ baseUrl: this.baseUrl, fetch: this.#fetch, auth });
  }

  /**
   * One request; never throws for an HTTP status (only for a network failure). The body is the
   * parsed JSON, the text when it is not JSON, undefined when empty.
   */
  async raw<T = any>(method: string, path: string, init: RawInit = {}): Promise<RawReply<T>> {
    const headers: Record<string, string> = { ...init.headers };
    const token = init.token === undefined ? await this.#auth?.accessToken() : init.token;
    if (token) headers.authorization ??= `Bearer ${token}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      headers["content-type"] ??= "application/json";
      body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
    }
    const response = await this.#fetch(this.baseUrl + path, {
      method: method.toUpperCase(),
      headers,
      body,
      signal: init.signal,
    });
    const text = await response.text();
    let parsed: unknown;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  /**
   * A typed call. With an authenticator, a 401 gets one retry with the token it hands back (after a
   * refresh); an error answer throws ChatdError.
   */
  async call<P extends keyof paths, M extends Method>(
    method: M,
    path: P,
    ...[options]: Record<never, never> extends CallOptions<P, M> ? [CallOptions<P, M>?] : [CallOptions<P, M>]
  ): Promise<ResponseOf<P, M>> {
    const { params, query, body, signal } = (options ?? {}) as {
      params?: Record<string, string>;
      query?: Query;
      body?: unknown;
      signal?: AbortSignal;
    };
    const target = fillPath(path as string, params) + queryString(query);
    const token = (await this.#auth?.accessToken()) ?? null;
    let reply = await this.raw(method, target, { body, token, signal });
    if (reply.status === 401 && token && this.#auth) {
      const fresh = await this.#auth.rejected(token);
      if (fresh) reply = await this.raw(method, target, { body, token: fresh, signal });
    }
    if (reply.status >= 400) throw errorFromResponse(reply.status, reply.body, reply.headers);
    return reply.body as ResponseOf<P, M>;
  }
}

export { ChatdError };
