// A tiny JSON client for tests: every call returns status, headers and the parsed body.

export type Reply<T = any> = { status: number; headers: Headers; body: T };

export class Client {
  constructor(
    readonly base: string,
    public token?: string,
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (this.token) (init.headers as Record<string, string>).authorization = `Bearer ${this.token}`;
    if (body !== undefined) {
      (init.headers as Record<string, string>)["content-type"] ??= "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    const response = await fetch(this.base + path, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: response.status, headers: response.headers, body: parsed as T };
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

/** Signs up and logs in a fresh user; `api` carries their access token. */
export async function newUser(base: string, prefix = "user"): Promise<TestUser> {
  const anonymous = new Client(base);
  const user = uniqueUser(prefix);
  const signup = await anonymous.post("/v1/auth/signup", user);
  if (signup.status !== 201) throw new Error(`signup failed: ${JSON.stringify(signup.body)}`);
  const login = await anonymous.post("/v1/auth/login", { login: user.username, password: user.password });
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  return { ...user, id: signup.body.user.id, api: anonymous.as(login.body.access_token) };
}
