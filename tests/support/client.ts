// A JSON client for tests that judge every answer themselves: each call returns status, headers and
// the parsed body (the SDK's raw transport, clients/js: it never throws for a status). A string body is
// sent as it is, so tests can send malformed JSON.
import { Http, type RawReply } from "../../clients/js/src";

export type Reply<T = any> = RawReply<T>;

export class Client {
  readonly #http: Http;

  constructor(
    readonly base: string,
    public token?: string,
  ) {
    this.#http = new Http({ baseUrl: base });
  }

  request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    return this.#http.raw<T>(method, path, { body, headers, token: this.token ?? null });
  }

  get = <T = any>(path: string) => this.request<T>("GET", path);
  post = <T = any>(path: string, body?: unknown) => this.request<T>("POST", path, body);
  patch = <T = any>(path: string, body?: unknown) => this.request<T>("PATCH", path, body);
  delete = <T = any>(path: string) => this.request<T>("DELETE", path);

  as(token: string | undefined) {
    return new Client(this.base, token);
  }
}

let counter = 0;
/** A username/email pair no other test uses. */
export const uniqueUser = (prefix = "user") => {
  const id =
    `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(
      0,
      32,
    );
  return { username: id, email: `${id}@example.test`, password: "correct horse battery" };
};

export type TestUser = { id: string; username: string; email: string; password: string; api: Client };

/** Signs up and logs in a fresh user (the SDK's typed calls; they throw on refusal); `api` carries their access token. */
export async function newUser(base: string, prefix = "user"): Promise<TestUser> {
  const http = new Http({ baseUrl: base });
  const user = uniqueUser(prefix);
  const signup = await http.call("post", "/v1/auth/signup", { body: user });
  const login = await http.call("post", "/v1/auth/login", { body: { login: user.username, password: user.password } });
  return { ...user, id: signup.user.id, api: new Client(base, login.access_token) };
}
