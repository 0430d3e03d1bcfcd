// Message search over real HTTP (GET /v1/search/messages): results only from the caller's rooms at
// query time, messages exactly as history shows them, edits and deletions reflected, cursor paging,
// highlights, the watermark, and hostile queries that get a 400 or nothing, never a 5xx. Runs on the
// embedded SQLite FTS5 index, or on OpenSearch with CHATD_TEST_SEARCH=opensearch. With Cassandra
// storage and no OpenSearch there is no search backend: then only the 501 it answers is checked.
import { afterAll, beforeAll, describe as describeAll, expect, test } from "bun:test";
import { newUser, type Reply, type TestUser } from "../support/client";
import { OWN_SERVER_TIMEOUT_MS, startTestServer, type TestServer } from "../support/server";
import { CASSANDRA_CONTACT_POINT, CASSANDRA_HOST, CASSANDRA_PORT, requireService } from "../support/services";

const searchOff = process.env.CHATD_TEST_STORE === "cassandra" && process.env.CHATD_TEST_SEARCH !== "opensearch";
const describe = searchOff ? describeAll.skip : describeAll;

let server: TestServer;
let ana: TestUser;
let bob: TestUser;

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 10_000 });
  [ana, bob] = [await newUser(server.url, "ana"), await newUser(server.url, "bob")];
});
afterAll(() => server.close());

const word = () => `w${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
const search = (who: TestUser, params: Record<string, string | number>) =>
  who.api.get(
    `/v1/search/messages?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]))}`,
  );

async function room(owner: TestUser, type: "public" | "private" = "public", members: TestUser[] = []) {
  const created = await owner.api.post("/v1/rooms", { name: "search room", type });
  for (const member of members) {
    if (type === "public") await member.api.post(`/v1/rooms/${created.body.id}/join`);
    else await owner.api.post(`/v1/rooms/${created.body.id}/members`, { user_id: member.id });
  }
  return created.body.id as string;
}

const send = async (who: TestUser, roomId: string, content: string) =>
  (await who.api.post(`/v1/rooms/${roomId}/messages`, { content })).body;

/** Searches until `done` holds for the reply (the index follows storage a moment later), or 15 s pass. */
async function searchUntil(who: TestUser, params: Record<string, string | number>, done: (reply: Reply) => boolean) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const reply = await search(who, params);
    if (done(reply)) return reply;
    if (Date.now() > deadline) throw new Error(`search never got there: ${JSON.stringify(reply.body)}`);
    await Bun.sleep(50);
  }
}

const ids = (reply: Reply) => (reply.body.results as { message: { id: string } }[]).map((r) => r.message.id);
/** Searched, and the watermark covers `at`: what is missing now is really not there. */
const covers = (at: string) => (reply: Reply) =>
  reply.status === 200 && reply.body.indexed_through !== null && reply.body.indexed_through >= at;

describe("finding messages", () => {
  test("a message sent becomes searchable, shaped as history shows it, and indexed_through passes it", async () => {
    const r = await room(ana, "public", [bob]);
    const w = word();
    const sent = await send(ana, r, `launch the ${w} <now> & later`);
    await bob.api.request("PUT", `/v1/rooms/${r}/messages/${sent.id}/reactions/${encodeURIComponent("👍")}`);
    const reply = await searchUntil(
      bob,
      { q: w },
      (reply) => ids(reply).includes(sent.id) && covers(sent.created_at)(reply),
    );
    expect(reply.status).toBe(200);
    const history = await bob.api.get(`/v1/rooms/${r}/messages`);
    const shown = history.body.messages.find((m: { id: string }) => m.id === sent.id);
    expect(reply.body.results).toEqual([
      { message: shown, highlights: [expect.stringContaining(`<mark>${w}</mark>`)] },
    ]);
    expect(shown.reactions).toEqual([{ emoji: "👍", count: 1, me: true }]);
    expect(reply.body.results[0].highlights[0]).toContain("&lt;now&gt; &amp; later");
    expect(reply.body.next_cursor).toBeNull();
    expect(Date.parse(reply.body.indexed_through)).toBeLessThanOrEqual(Date.now());
  });

  test("phrases, prefixes and several words; room_id narrows to one room", async () => {
    const [a, b] = [await room(ana), await room(ana)];
    const w = word();
    const one = await send(ana, a, `${w} alpha beta`);
    const two = await send(ana, b, `beta ${w}suffix alpha`);
    const done = covers(two.created_at);
    expect(ids(await searchUntil(ana, { q: `"${w} alpha"` }, done))).toEqual([one.id]);
    expect(ids(await searchUntil(ana, { q: `${w}*` }, done))).toEqual([two.id, one.id]);
    expect(ids(await searchUntil(ana, { q: `${w}* alpha`, room_id: b }, done))).toEqual([two.id]);
    expect(ids(await searchUntil(ana, { q: `${w} gamma` }, done))).toEqual([]);
  });
});

describe("who finds what", () => {
  test("only the caller's rooms, decided at query time: leaving or a ban stops it at once", async () => {
    const [carl, dora] = [await newUser(server.url, "carl"), await newUser(server.url, "dora")];
    const open = await room(ana, "public", [carl, dora]);
    const closed = await room(ana, "private");
    const w = word();
    const inOpen = await send(ana, open, `${w} open`);
    const inClosed = await send(ana, closed, `${w} closed`);
    await searchUntil(ana, { q: w }, (reply) => ids(reply).length === 2);
    expect(ids(await search(carl, { q: w }))).toEqual([inOpen.id]);
    expect((await search(carl, { q: w, room_id: closed })).status).toBe(404);
    const stranger = await newUser(server.url, "eve");
    expect(ids(await search(stranger, { q: w }))).toEqual([]);
    expect((await search(stranger, { q: w, room_id: open })).status).toBe(403);
    expect((await search(stranger, { q: w, room_id: crypto.randomUUID() })).status).toBe(404);

    expect((await carl.api.delete(`/v1/rooms/${open}/members/me`)).status).toBe(204);
    expect(ids(await search(carl, { q: w }))).toEqual([]);
    expect((await search(carl, { q: w, room_id: open })).status).toBe(403);
    expect((await ana.api.post(`/v1/rooms/${open}/bans`, { user_id: dora.id })).status).toBeLessThan(300);
    expect(ids(await search(dora, { q: w }))).toEqual([]);
    // Invited into the private room: found at once, no reindex.
    await ana.api.post(`/v1/rooms/${closed}/members`, { user_id: carl.id });
    expect(ids(await search(carl, { q: w }))).toEqual([inClosed.id]);
  });

  test("a deleted room's messages are gone for everyone", async () => {
    const r = await room(ana, "public", [bob]);
    const w = word();
    const sent = await send(ana, r, w);
    await searchUntil(bob, { q: w }, (reply) => ids(reply).includes(sent.id));
    expect((await ana.api.delete(`/v1/rooms/${r}`)).status).toBe(204);
    expect(ids(await search(ana, { q: w }))).toEqual([]);
    expect(ids(await search(bob, { q: w }))).toEqual([]);
  });
});

describe("edits and deletions", () => {
  test("an edit is found by its new words and no longer by the old ones", async () => {
    const r = await room(ana);
    const [before, after] = [word(), word()];
    const sent = await send(ana, r, `${before} text`);
    await searchUntil(ana, { q: before }, (reply) => ids(reply).includes(sent.id));
    const edited = (await ana.api.patch(`/v1/rooms/${r}/messages/${sent.id}`, { content: `${after} text` })).body;
    const found = await searchUntil(ana, { q: after }, (reply) => ids(reply).includes(sent.id));
    expect(found.body.results[0].message).toMatchObject({ content: `${after} text`, edited_at: edited.edited_at });
    expect(ids(await searchUntil(ana, { q: before }, covers(edited.edited_at)))).toEqual([]);
  });

  test("a deleted message is never returned, not even before the index has caught up", async () => {
    const r = await room(ana);
    const w = word();
    const [keep, gone] = [await send(ana, r, `${w} keep`), await send(ana, r, `${w} gone`)];
    await searchUntil(ana, { q: w }, (reply) => ids(reply).length === 2);
    expect((await ana.api.delete(`/v1/rooms/${r}/messages/${gone.id}`)).status).toBe(204);
    for (let i = 0; i < 5; i++) expect(ids(await search(ana, { q: w }))).toEqual([keep.id]);
    const later = await searchUntil(ana, { q: w }, covers(new Date().toISOString()));
    expect(ids(later)).toEqual([keep.id]);
  });
});

describe("paging", () => {
  test("newest first, next_cursor pages without overlap or gap, null on the last page", async () => {
    const r = await room(ana);
    const w = word();
    const sent = [];
    for (let i = 0; i < 7; i++) sent.push(await send(ana, r, `${w} number ${i}`));
    await searchUntil(ana, { q: w }, (reply) => ids(reply).length === 7);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const reply: Reply = await search(ana, { q: w, limit: 3, ...(cursor ? { cursor } : {}) });
      expect(reply.status).toBe(200);
      expect(reply.body.results.length).toBeLessThanOrEqual(3);
      seen.push(...ids(reply));
      cursor = reply.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(sent.map((m) => m.id).reverse());
    expect(pages).toBe(3);
  });
});

describe("bad and hostile queries", () => {
  const hostile = [
    'NEAR(a b, 2) OR c NOT d AND "e',
    'content:x* OR {"query":{"match_all":{}}}',
    '{"bool":{"should":[{"match_all":{}}]}}',
    '* ** *** "*" \'',
    "^ ~ \\ ( ) [ ] { } : - + ! / ;",
    '"" "" "',
    "🎉 ‮rtl‬ \u200b",
    "a\u0000b",
    "x OR 1=1; DROP TABLE search_docs; --",
  ];

  test("engine syntax is plain text: a 200 with only the caller's own matches, or nothing", async () => {
    const mine = await room(bob);
    await send(bob, mine, "match all or not near content");
    for (const q of hostile) {
      const reply = await search(ana, { q });
      expect([200, 400]).toContain(reply.status);
      if (reply.status === 200) expect(ids(reply)).toEqual([]);
      else expect(reply.body.error.code).toBe("validation_failed");
    }
  });

  test("empty, huge, too many terms, short prefixes and bad parameters are 400s", async () => {
    const bad: Record<string, string | number>[] = [
      { q: "" },
      { q: "   " },
      { q: "x".repeat(257) },
      { q: "y".repeat(4000) },
      { q: Array.from({ length: 2000 }, (_, i) => `t${i}`).join(" ") },
      { q: Array.from({ length: 17 }, (_, i) => `t${i}`).join(" ") },
      { q: "a*" },
      { q: "ok", limit: 0 },
      { q: "ok", limit: 201 },
      { q: "ok", limit: "many" },
      { q: "ok", cursor: "not-a-cursor" },
      { q: "ok", cursor: crypto.randomUUID() },
      { q: "ok", room_id: "nope" },
      { q: "ok", sort: "score" },
    ];
    for (const params of bad) {
      const reply = await search(ana, params);
      expect(`${reply.status} ${JSON.stringify(params).slice(0, 60)}`).toStartWith("400 ");
      expect(reply.body.error.code).toBe("validation_failed");
    }
    // Past Bun's limit on the request line the server refuses before routing (431), still no 5xx.
    const giant = await search(ana, { q: "z".repeat(50_000) });
    expect(giant.status).toBeGreaterThanOrEqual(400);
    expect(giant.status).toBeLessThan(500);
    expect((await ana.api.get("/v1/search/messages")).status).toBe(400);
    // Broken percent-encoding (a lone surrogate, not hex): refused or decoded into nothing searchable.
    for (const q of ["%ED%A0%80", "%ZZ", "%", "%C0%AF"]) {
      const reply = await ana.api.get(`/v1/search/messages?q=${q}`);
      expect([200, 400]).toContain(reply.status);
      if (reply.status === 200) expect(ids(reply)).toEqual([]);
    }
    expect((await ana.api.as(undefined).get("/v1/search/messages?q=x")).status).toBe(401);
  });
});

const cassandra = await requireService("cassandra", CASSANDRA_HOST, CASSANDRA_PORT);

cassandra.describe("without a search backend", () => {
  test(
    "Cassandra storage and no OPENSEARCH_URL: search answers 501 not_supported, readiness has no search",
    async () => {
      const own = await startTestServer({
        cassandraContactPoints: [CASSANDRA_CONTACT_POINT],
        opensearchUrl: undefined,
      });
      try {
        const carl = await newUser(own.url, "carl");
        const reply = await carl.api.get("/v1/search/messages?q=anything");
        expect(reply.status).toBe(501);
        expect(reply.body.error.code).toBe("not_supported");
        expect(reply.body.error.message).toContain("OPENSEARCH_URL");
        expect((await carl.api.get("/readyz")).body.checks.search).toBeUndefined();
      } finally {
        await own.close();
      }
    },
    OWN_SERVER_TIMEOUT_MS,
  );
});
