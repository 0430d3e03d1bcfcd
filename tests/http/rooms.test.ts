// Rooms, membership, moderation and DMs over real HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { TestClock } from "../support/clock";
import { startTestServer, type TestServer } from "../support/server";

let server: TestServer;
let owner: TestUser;
/** The server's clock: ban expiries are checked by moving it, not by waiting. */
const clock = new TestClock();

beforeAll(async () => {
  server = await startTestServer({}, { now: clock.now });
  owner = await newUser(server.url, "owner");
});
afterAll(() => server.close());

const user = (prefix = "user") => newUser(server.url, prefix);
const roomName = () => `room ${crypto.randomUUID().slice(0, 8)}`;
async function createRoom(by: TestUser, body: Record<string, unknown> = {}) {
  const reply = await by.api.post("/v1/rooms", { name: roomName(), type: "public", ...body });
  expect(reply.status).toBe(201);
  return reply.body as { id: string; name: string; member_count: number };
}

describe("rooms", () => {
  test("the creator owns a new room and is its only member", async () => {
    const reply = await owner.api.post("/v1/rooms", {
      name: "  General  ",
      description: "chat",
      type: "private",
      max_members: 10,
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({
      name: "General",
      description: "chat",
      type: "private",
      max_members: 10,
      owner_id: owner.id,
      member_count: 1,
    });
    const members = await owner.api.get(`/v1/rooms/${reply.body.id}/members`);
    expect(members.body.members).toEqual([
      { user_id: owner.id, username: owner.username, role: "owner", joined_at: expect.any(String) },
    ]);
  });

  test("invalid rooms are refused naming the field", async () => {
    for (const body of [
      { name: "", type: "public" },
      { name: "x", type: "dm" },
      { name: "x", type: "public", max_members: 0 },
      { name: "x" },
    ]) {
      const reply = await owner.api.post("/v1/rooms", body);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe("validation_failed");
    }
  });

  test("the list holds public rooms and the caller's private rooms, never others' private rooms, paged by cursor", async () => {
    const viewer = await user("viewer");
    const tag = crypto.randomUUID().slice(0, 8);
    const publicRooms = [];
    for (let i = 0; i < 5; i++) publicRooms.push(await createRoom(owner, { name: `pub ${tag} ${i}` }));
    const hidden = await createRoom(owner, { name: `priv ${tag}`, type: "private" });
    const mine = await createRoom(viewer, { name: `mine ${tag}`, type: "private" });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const reply: any = await viewer.api.get(`/v1/rooms?limit=2&q=${tag}${cursor ? `&cursor=${cursor}` : ""}`);
      expect(reply.status).toBe(200);
      expect(reply.body.rooms.length).toBeLessThanOrEqual(2);
      seen.push(...reply.body.rooms.map((r: { id: string }) => r.id));
      cursor = reply.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...publicRooms.map((r) => r.id), mine.id]);
    expect(seen).not.toContain(hidden.id);

    const privateOnly = await viewer.api.get(`/v1/rooms?type=private&q=${tag}`);
    expect(privateOnly.body.rooms.map((r: { id: string }) => r.id)).toEqual([mine.id]);
  });

  test("type=public lists only public rooms, also leaving out the caller's own private ones", async () => {
    const viewer = await user("viewer");
    const tag = crypto.randomUUID().slice(0, 8);
    const theirs = await createRoom(owner, { name: `pub ${tag} a` });
    const hidden = await createRoom(owner, { name: `priv ${tag}`, type: "private" });
    const mine = await createRoom(viewer, { name: `pub ${tag} b` });
    const minePrivate = await createRoom(viewer, { name: `mine ${tag}`, type: "private" });
    const listed = await viewer.api.get(`/v1/rooms?type=public&q=${tag}`);
    expect(listed.status).toBe(200);
    expect(listed.body.rooms.map((r: { id: string }) => r.id)).toEqual([theirs.id, mine.id]);
    expect(listed.body.rooms.every((r: { type: string }) => r.type === "public")).toBe(true);
    expect([hidden.id, minePrivate.id].some((id) => listed.body.rooms.some((r: any) => r.id === id))).toBe(false);
  });

  test("owner and admins update a room; the change is in the audit log", async () => {
    const room = await createRoom(owner);
    const reply = await owner.api.patch(`/v1/rooms/${room.id}`, {
      name: "Renamed",
      description: null,
      type: "private",
      max_members: null,
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ name: "Renamed", description: null, type: "private", max_members: null });
    const audit = await owner.api.get(`/v1/rooms/${room.id}/audit`);
    expect(audit.body.entries[0]).toMatchObject({ action: "room.updated", actor_id: owner.id });
  });

  test("deleting a room removes it for everyone", async () => {
    const member = await user();
    const room = await createRoom(owner);
    await member.api.post(`/v1/rooms/${room.id}/join`);
    expect((await owner.api.delete(`/v1/rooms/${room.id}`)).status).toBe(204);
    expect((await owner.api.get(`/v1/rooms/${room.id}`)).status).toBe(404);
    expect((await member.api.get(`/v1/rooms/${room.id}/messages`)).status).toBe(404);
  });
});

describe("membership", () => {
  test("joining a public room is idempotent and counts the member once", async () => {
    const member = await user();
    const room = await createRoom(owner);
    expect((await member.api.post(`/v1/rooms/${room.id}/join`)).body.member_count).toBe(2);
    expect((await member.api.post(`/v1/rooms/${room.id}/join`)).body.member_count).toBe(2);
  });

  test("a private room cannot be joined, only invited into", async () => {
    const member = await user();
    const room = await createRoom(owner, { type: "private" });
    expect((await member.api.post(`/v1/rooms/${room.id}/join`)).status).toBe(404);
    const invite = await owner.api.post(`/v1/rooms/${room.id}/members`, { user_id: member.id });
    expect(invite.status).toBe(201);
    expect(invite.body).toMatchObject({ user_id: member.id, username: member.username, role: "member" });
    expect((await owner.api.post(`/v1/rooms/${room.id}/members`, { user_id: member.id })).status).toBe(200);
    expect((await member.api.get(`/v1/rooms/${room.id}`)).status).toBe(200);
  });

  test("a full room answers 409, also when many join at once", async () => {
    const room = await createRoom(owner, { max_members: 3 });
    const joiners = await Promise.all(Array.from({ length: 6 }, () => user("joiner")));
    const replies = await Promise.all(joiners.map((j) => j.api.post(`/v1/rooms/${room.id}/join`)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(2);
    expect(replies.filter((r) => r.status === 409).map((r) => r.body.error.code)).toEqual(Array(4).fill("conflict"));
    expect((await owner.api.get(`/v1/rooms/${room.id}`)).body.member_count).toBe(3);
  });

  test("a member leaves; the owner cannot", async () => {
    const member = await user();
    const room = await createRoom(owner);
    await member.api.post(`/v1/rooms/${room.id}/join`);
    expect((await member.api.delete(`/v1/rooms/${room.id}/members/me`)).status).toBe(204);
    expect((await owner.api.get(`/v1/rooms/${room.id}/members`)).body.members).toHaveLength(1);
    expect((await owner.api.delete(`/v1/rooms/${room.id}/members/me`)).status).toBe(409);
  });

  test("a kicked member is out and the kick is audited; they may rejoin a public room", async () => {
    const member = await user();
    const room = await createRoom(owner);
    await member.api.post(`/v1/rooms/${room.id}/join`);
    expect((await owner.api.delete(`/v1/rooms/${room.id}/members/${member.id}`)).status).toBe(204);
    expect((await member.api.get(`/v1/rooms/${room.id}/messages`)).status).toBe(403);
    const audit = await owner.api.get(`/v1/rooms/${room.id}/audit`);
    expect(audit.body.entries[0]).toMatchObject({
      action: "member.kicked",
      actor_id: owner.id,
      target_user_id: member.id,
    });
    expect((await member.api.post(`/v1/rooms/${room.id}/join`)).status).toBe(200);
  });

  test("roles: the owner promotes and demotes, both visible and audited; the owner's own role cannot change", async () => {
    const member = await user();
    const room = await createRoom(owner);
    await member.api.post(`/v1/rooms/${room.id}/join`);
    const roleOf = async (userId: string) =>
      (await owner.api.get(`/v1/rooms/${room.id}/members`)).body.members.find((m: any) => m.user_id === userId)?.role;
    const setRole = (userId: string, role: string) =>
      owner.api.request("PUT", `/v1/rooms/${room.id}/members/${userId}/role`, { role });

    const promoted = await setRole(member.id, "admin");
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ user_id: member.id, role: "admin" });
    expect(await roleOf(member.id)).toBe("admin");
    expect((await member.api.get(`/v1/rooms/${room.id}/audit`)).status).toBe(200); // admins read the audit log

    const demoted = await setRole(member.id, "member");
    expect(demoted.status).toBe(200);
    expect(demoted.body).toMatchObject({ user_id: member.id, role: "member" });
    expect(await roleOf(member.id)).toBe("member");
    expect((await member.api.get(`/v1/rooms/${room.id}/audit`)).status).toBe(403); // and members no longer do

    expect((await setRole(owner.id, "member")).status).toBe(403);
    expect((await setRole(member.id, "owner")).status).toBe(400);
    expect(await roleOf(owner.id)).toBe("owner");
    const audit = await owner.api.get(`/v1/rooms/${room.id}/audit`);
    expect(audit.body.entries.map((e: any) => [e.action, e.target_user_id, e.details])).toEqual([
      ["member.role_changed", member.id, { from: "admin", to: "member" }],
      ["member.role_changed", member.id, { from: "member", to: "admin" }],
    ]);
  });
});

describe("audit log", () => {
  test("pages newest first with limit and cursor, without overlap or gap", async () => {
    const room = await createRoom(owner);
    const members = await Promise.all(Array.from({ length: 3 }, () => user("audited")));
    for (const m of members) await m.api.post(`/v1/rooms/${room.id}/join`);
    const [a, b, c] = members as [TestUser, TestUser, TestUser];
    await owner.api.request("PUT", `/v1/rooms/${room.id}/members/${a.id}/role`, { role: "admin" });
    await owner.api.delete(`/v1/rooms/${room.id}/members/${b.id}`);
    await owner.api.post(`/v1/rooms/${room.id}/bans`, { user_id: c.id });
    await owner.api.delete(`/v1/rooms/${room.id}/bans/${c.id}`);
    await owner.api.patch(`/v1/rooms/${room.id}`, { name: "renamed" });
    const expected = ["room.updated", "member.unbanned", "member.banned", "member.kicked", "member.role_changed"];

    const all = await owner.api.get(`/v1/rooms/${room.id}/audit`);
    expect(all.body.entries.map((e: any) => e.action)).toEqual(expected);
    const paged: any[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page: { status: number; body: any } = await owner.api.get(
        `/v1/rooms/${room.id}/audit?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.entries.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.entries);
      cursor = page.body.next_cursor;
      if (cursor === null) break;
    }
    expect(cursor).toBeNull();
    expect(paged).toEqual(all.body.entries);
    for (const limit of ["0", "201", "x"])
      expect((await owner.api.get(`/v1/rooms/${room.id}/audit?limit=${limit}`)).status).toBe(400);
  });
});

describe("bans", () => {
  test("a banned user is removed and cannot join, read or send until unbanned", async () => {
    const member = await user();
    const room = await createRoom(owner);
    await member.api.post(`/v1/rooms/${room.id}/join`);
    const ban = await owner.api.post(`/v1/rooms/${room.id}/bans`, { user_id: member.id, reason: "spam" });
    expect(ban.status).toBe(201);
    expect(ban.body).toMatchObject({ user_id: member.id, banned_by: owner.id, reason: "spam", expires_at: null });
    expect((await member.api.post(`/v1/rooms/${room.id}/join`)).status).toBe(403);
    expect((await member.api.get(`/v1/rooms/${room.id}/messages`)).status).toBe(403);
    expect((await member.api.post(`/v1/rooms/${room.id}/messages`, { content: "hi" })).status).toBe(403);
    expect((await owner.api.post(`/v1/rooms/${room.id}/members`, { user_id: member.id })).status).toBe(409);
    expect((await owner.api.delete(`/v1/rooms/${room.id}/bans/${member.id}`)).status).toBe(204);
    expect((await member.api.post(`/v1/rooms/${room.id}/join`)).status).toBe(200);
    const actions = (await owner.api.get(`/v1/rooms/${room.id}/audit`)).body.entries.map(
      (e: { action: string }) => e.action,
    );
    expect(actions.slice(0, 2)).toEqual(["member.unbanned", "member.banned"]);
  });

  test("a ban with an expiry ends by itself, at expires_at", async () => {
    const member = await user();
    const room = await createRoom(owner);
    await clock.frozen(async () => {
      const expiresAt = new Date(clock.now() + 60_000);
      const ban = await owner.api.post(`/v1/rooms/${room.id}/bans`, {
        user_id: member.id,
        expires_at: expiresAt.toISOString(),
      });
      expect(ban.status).toBe(201);
      expect(ban.body.expires_at).toBe(expiresAt.toISOString());
      expect((await member.api.post(`/v1/rooms/${room.id}/join`)).status).toBe(403);
      clock.advance(59_999);
      expect((await member.api.post(`/v1/rooms/${room.id}/join`)).status).toBe(403);
      clock.advance(1);
      expect((await member.api.post(`/v1/rooms/${room.id}/join`)).status).toBe(200);
    });
  });

  test("an expiry in the past and an unknown user are refused", async () => {
    const room = await createRoom(owner);
    const past = await owner.api.post(`/v1/rooms/${room.id}/bans`, {
      user_id: (await user()).id,
      expires_at: "2001-01-01T00:00:00.000Z",
    });
    expect(past.status).toBe(400);
    expect((await owner.api.post(`/v1/rooms/${room.id}/bans`, { user_id: crypto.randomUUID() })).status).toBe(404);
  });
});

describe("DMs", () => {
  test("the same pair always gets the same room, whoever opens it, also at the same moment", async () => {
    const [ana, bob] = [await user("ana"), await user("bob")];
    const replies = await Promise.all([
      ...Array.from({ length: 5 }, () => ana.api.post("/v1/dms", { user_id: bob.id })),
      ...Array.from({ length: 5 }, () => bob.api.post("/v1/dms", { user_id: ana.id })),
    ]);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 200)).toHaveLength(9);
    expect(replies[0]!.body).toMatchObject({ type: "dm", member_count: 2 });
  });

  test("a DM with yourself or with nobody is refused", async () => {
    expect((await owner.api.post("/v1/dms", { user_id: owner.id })).status).toBe(400);
    expect((await owner.api.post("/v1/dms", { user_id: crypto.randomUUID() })).status).toBe(404);
  });

  test("the conversation list shows the other user, the last message and the unread count, newest first", async () => {
    const [me, first, second] = [await user("me"), await user("first"), await user("second")];
    const dmFirst = (await first.api.post("/v1/dms", { user_id: me.id })).body.id;
    const dmSecond = (await second.api.post("/v1/dms", { user_id: me.id })).body.id;
    await first.api.post(`/v1/rooms/${dmFirst}/messages`, { content: "one" });
    await first.api.post(`/v1/rooms/${dmFirst}/messages`, { content: "two" });
    await second.api.post(`/v1/rooms/${dmSecond}/messages`, { content: "latest" });
    const list = await me.api.get("/v1/dms");
    expect(list.status).toBe(200);
    expect(list.body.conversations.map((c: any) => [c.other_user.username, c.last_message.content, c.unread])).toEqual([
      [second.username, "latest", 1],
      [first.username, "two", 2],
    ]);
    expect(list.body.conversations.every((c: any) => c.room.type === "dm")).toBe(true);
    expect((await me.api.get("/v1/rooms")).body.rooms.some((r: any) => r.id === dmFirst)).toBe(false);
    expect((await me.api.get("/v1/rooms?type=dm")).body.rooms.map((r: any) => r.id).sort()).toEqual(
      [dmFirst, dmSecond].sort(),
    );
  });
});
