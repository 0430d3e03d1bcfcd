// Test data through chatd's public API: users (signed up and logged in), public rooms, memberships.
// The baseline needs none of this; its rooms are plain topic names.

export type BenchUser = { id: string; username: string; token: string };

const PASSWORD = "bench-password-1";

async function call(url: string, method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Runs `work` over `items` with at most `limit` at once, keeping the order of results. */
export async function mapLimit<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Signs up and logs in `count` users named `<prefix><n>` (password hashing is cheap in bench runs). */
export function createUsers(url: string, prefix: string, count: number): Promise<BenchUser[]> {
  return mapLimit(
    Array.from({ length: count }, (_, i) => `${prefix}${i}`),
    4,
    async (username) => {
      await call(url, "POST", "/v1/auth/signup", { username, email: `${username}@bench.invalid`, password: PASSWORD });
      const login = await call(url, "POST", "/v1/auth/login", { login: username, password: PASSWORD });
      return { id: login.user.id, username, token: login.access_token };
    },
  );
}

/** A public room owned by `owner`; returns its id. */
export async function createRoom(url: string, owner: BenchUser, name: string): Promise<string> {
  return (await call(url, "POST", "/v1/rooms", { name, type: "public" }, owner.token)).id;
}

export async function joinRoom(url: string, user: BenchUser, roomId: string) {
  await call(url, "POST", `/v1/rooms/${roomId}/join`, undefined, user.token);
}

/** A short unique prefix for this run's user names (3–32 of [a-z0-9_.-]). */
export const runPrefix = () => `b${Date.now().toString(36)}_`;
