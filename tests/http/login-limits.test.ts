// Login over real HTTP as an attacker would try it: parallel guesses cannot pass the failure limit
// (per account name, per client address), and an unknown account answers no faster than a known one.
import { afterAll, describe, expect, test } from "bun:test";
import { Client, uniqueUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";

const servers: TestServer[] = [];
/** Tests here start their own servers: on Cassandra (a keyspace each) that takes seconds. */
const SERVER_TEST_MS = 60_000;
afterAll(() => Promise.all(servers.map((s) => s.close())), SERVER_TEST_MS);

async function server(overrides: Parameters<typeof startTestServer>[0]) {
  const started = await startTestServer(overrides);
  servers.push(started);
  return new Client(started.url);
}

async function signedUp(api: Client) {
  const user = uniqueUser("limit");
  expect((await api.post("/v1/auth/signup", user)).status).toBe(201);
  return user;
}

describe("failure limits under parallel attempts", () => {
  test(
    "20 parallel logins against one account (19 wrong, then the right one) with a limit of 5: at most 5 answered, the rest 429",
    async () => {
      const api = await server({ loginMaxFailures: 5 });
      const user = await signedUp(api);
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api.post("/v1/auth/login", { login: user.username, password: i === 19 ? user.password : `wrong ${i}` }),
        ),
      );
      const statuses = replies.map((r) => r.status);
      expect(statuses.filter((s) => s === 401 || s === 200).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
      expect(statuses.every((s) => [200, 401, 429].includes(s))).toBe(true);
      const refused = replies.find((r) => r.status === 429)!;
      expect(refused.body.error.code).toBe("rate_limited");
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    },
    SERVER_TEST_MS,
  );

  test(
    "30 parallel logins from one address against different names: at most 10x the limit answered, the rest 429",
    async () => {
      const api = await server({ loginMaxFailures: 2, passwordMemoryKib: 8192 });
      const users = await Promise.all(Array.from({ length: 15 }, () => signedUp(api)));
      const names = [...users.map((u) => u.username), ...users.map((_, i) => `ghost-${i}`)];
      const replies = await Promise.all(names.map((login) => api.post("/v1/auth/login", { login, password: "guess" })));
      const statuses = replies.map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(20);
      expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    },
    SERVER_TEST_MS,
  );
});

describe("login timing", () => {
  // A real Argon2id cost (OWASP's minimum: 19 MiB, 2 passes), so a verification is what dominates an
  // answer. Known and unknown accounts are measured alternately so load on the machine hits both alike;
  // without a verification for unknown accounts they answer >10x faster, so a ratio of 1/2 is generous.
  test(
    "an unknown username or email answers no faster than a known one",
    async () => {
      const api = await server({ passwordMemoryKib: 19_456, passwordTimeCost: 2, loginMaxFailures: 1000 });
      const user = await signedUp(api);
      const timed = async (login: string) => {
        const started = performance.now();
        const reply = await api.post("/v1/auth/login", { login, password: "not the password" });
        expect(reply.status).toBe(401);
        return performance.now() - started;
      };
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      for (const pair of [
        [user.username, "nobody-here-at-all"],
        [user.email, "nobody@example.test"],
      ] as const) {
        await timed(pair[1]); // warm-up
        const known: number[] = [];
        const unknown: number[] = [];
        for (let i = 0; i < 7; i++) {
          known.push(await timed(pair[0]));
          unknown.push(await timed(pair[1]));
        }
        expect({ pair, ratio: median(unknown) / median(known) > 0.5 }).toEqual({ pair, ratio: true });
      }
    },
    SERVER_TEST_MS,
  );
});
