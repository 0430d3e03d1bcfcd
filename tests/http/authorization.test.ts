// Authorization rules, one test per rule: who may see and do what in a room, and no foreign id lets a
// user reach another room's or user's data.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";

let server: TestServer;
let owner: TestUser;
let admin: TestUser;
let member: TestUser;
let outsider: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  [owner, admin, member, outsider] = (await Promise.all(
    ["owner", "admin", "member", "outsider"].map((p) => newUser(server.url, p)),
  )) as [TestUser, TestUser, TestUser, TestUser];
});
afterAll(() => server.close());

/** A room with an owner, an admin and a member, and one message of each. */
async function staffedRoom(type: "public" | "private") {
  const room = (await owner.api.post("/v1/rooms", { name: "staffed", type })).body.id as string;
  for (const u of [admin, member]) await owner.api.post(`/v1/rooms/${room}/members`, { user_id: u.id });
  await owner.api.request("PUT", `/v1/rooms/${room}/members/${admin.id}/role`, { role: "admin" });
  const post = async (u: TestUser) =>
    (await u.api.post(`/v1/rooms/${room}/messages`, { content: `by ${u.username}` })).body.id as string;
  return { room, byOwner: await post(owner), byAdmin: await post(admin), byMember: await post(member) };
}

test("a private room does not exist for a non-member: every route answers 404", async () => {
  const { room, byMember } = await staffedRoom("private");
  const api = outsider.api;
  const replies = await Promise.all([
    api.get(`/v1/rooms/${room}`),
    api.get(`/v1/rooms/${room}/members`),
    api.get(`/v1/rooms/${room}/messages`),
    api.post(`/v1/rooms/${room}/messages`, { content: "hi" }),
    api.post(`/v1/rooms/${room}/join`),
    api.patch(`/v1/rooms/${room}`, { name: "mine" }),
    api.delete(`/v1/rooms/${room}`),
    api.request("PUT", `/v1/rooms/${room}/messages/${byMember}/reactions/:x:`),
    api.post(`/v1/rooms/${room}/read`, { message_id: byMember }),
    api.get(`/v1/rooms/${room}/audit`),
  ]);
  expect(replies.map((r) => r.status)).toEqual(Array(replies.length).fill(404));
  const list = await api.get("/v1/rooms?type=private");
  expect(list.body.rooms.map((r: any) => r.id)).not.toContain(room);
});

test("in a public room a non-member sees the room and its members, and gets 403 for its content", async () => {
  const { room, byMember } = await staffedRoom("public");
  const api = outsider.api;
  expect((await api.get(`/v1/rooms/${room}`)).status).toBe(200);
  expect((await api.get(`/v1/rooms/${room}/members`)).status).toBe(200);
  const replies = await Promise.all([
    api.get(`/v1/rooms/${room}/messages`),
    api.post(`/v1/rooms/${room}/messages`, { content: "hi" }),
    api.request("PUT", `/v1/rooms/${room}/messages/${byMember}/reactions/:x:`),
    api.post(`/v1/rooms/${room}/read`, { message_id: byMember }),
    api.delete(`/v1/rooms/${room}/messages/${byMember}`),
  ]);
  expect(replies.map((r) => r.status)).toEqual(Array(replies.length).fill(403));
  expect(replies[0]!.body.error.code).toBe("forbidden");
});

test("only the owner and admins change a room or invite; only the owner deletes it", async () => {
  const { room } = await staffedRoom("private");
  expect((await member.api.patch(`/v1/rooms/${room}`, { name: "x" })).status).toBe(403);
  expect((await member.api.post(`/v1/rooms/${room}/members`, { user_id: outsider.id })).status).toBe(403);
  expect((await admin.api.patch(`/v1/rooms/${room}`, { name: "by admin" })).status).toBe(200);
  expect((await admin.api.delete(`/v1/rooms/${room}`)).status).toBe(403);
  expect((await owner.api.delete(`/v1/rooms/${room}`)).status).toBe(204);
});

test("moderators act only on members ranked below them, never on themselves", async () => {
  const { room } = await staffedRoom("public");
  expect((await admin.api.delete(`/v1/rooms/${room}/members/${owner.id}`)).status).toBe(403);
  expect((await admin.api.post(`/v1/rooms/${room}/bans`, { user_id: owner.id })).status).toBe(403);
  expect((await admin.api.delete(`/v1/rooms/${room}/members/${admin.id}`)).status).toBe(403);
  expect((await member.api.delete(`/v1/rooms/${room}/members/${admin.id}`)).status).toBe(403);
  expect((await member.api.post(`/v1/rooms/${room}/bans`, { user_id: outsider.id })).status).toBe(403);
  expect((await admin.api.delete(`/v1/rooms/${room}/members/${member.id}`)).status).toBe(204);
  expect((await owner.api.delete(`/v1/rooms/${room}/members/${admin.id}`)).status).toBe(204);
});

test("only the owner changes roles", async () => {
  const { room } = await staffedRoom("public");
  expect(
    (await admin.api.request("PUT", `/v1/rooms/${room}/members/${member.id}/role`, { role: "admin" })).status,
  ).toBe(403);
  expect(
    (await member.api.request("PUT", `/v1/rooms/${room}/members/${member.id}/role`, { role: "admin" })).status,
  ).toBe(403);
});

test("only the author edits a message; the author or a moderator deletes it, members cannot delete others'", async () => {
  const { room, byAdmin, byMember } = await staffedRoom("public");
  expect((await owner.api.patch(`/v1/rooms/${room}/messages/${byMember}`, { content: "x" })).status).toBe(403);
  expect((await member.api.delete(`/v1/rooms/${room}/messages/${byAdmin}`)).status).toBe(403);
  expect((await member.api.delete(`/v1/rooms/${room}/messages/${byMember}`)).status).toBe(204);
  expect((await admin.api.delete(`/v1/rooms/${room}/messages/${byMember}`)).status).toBe(204);
});

test("moderators delete only messages of members ranked below them; the owner deletes anyone's", async () => {
  const { room, byOwner, byAdmin, byMember } = await staffedRoom("public");
  const second = await newUser(server.url, "admin2");
  await owner.api.post(`/v1/rooms/${room}/members`, { user_id: second.id });
  await owner.api.request("PUT", `/v1/rooms/${room}/members/${second.id}/role`, { role: "admin" });
  const bySecond = (await second.api.post(`/v1/rooms/${room}/messages`, { content: "by admin 2" })).body.id;

  const byOwnerRefused = await admin.api.delete(`/v1/rooms/${room}/messages/${byOwner}`);
  expect(byOwnerRefused.status).toBe(403);
  expect(byOwnerRefused.body.error.code).toBe("forbidden");
  expect((await admin.api.delete(`/v1/rooms/${room}/messages/${bySecond}`)).status).toBe(403);
  const history = await owner.api.get(`/v1/rooms/${room}/messages`);
  const deleted = history.body.messages.filter((m: any) => m.deleted).map((m: any) => m.id);
  expect(deleted).toEqual([]);

  expect((await admin.api.delete(`/v1/rooms/${room}/messages/${byMember}`)).status).toBe(204);
  expect((await owner.api.delete(`/v1/rooms/${room}/messages/${byAdmin}`)).status).toBe(204);
  expect((await owner.api.delete(`/v1/rooms/${room}/messages/${bySecond}`)).status).toBe(204);
  expect((await second.api.delete(`/v1/rooms/${room}/messages/${bySecond}`)).status).toBe(204);
});

test("a moderator may delete the messages of a user who has left the room", async () => {
  const { room, byMember } = await staffedRoom("public");
  expect((await member.api.delete(`/v1/rooms/${room}/members/me`)).status).toBe(204);
  expect((await admin.api.delete(`/v1/rooms/${room}/messages/${byMember}`)).status).toBe(204);
});

test("the audit log is for the owner and admins only", async () => {
  const { room } = await staffedRoom("public");
  expect((await member.api.get(`/v1/rooms/${room}/audit`)).status).toBe(403);
  expect((await admin.api.get(`/v1/rooms/${room}/audit`)).status).toBe(200);
});

test("a message id from another room is not found through this room", async () => {
  const mine = await staffedRoom("public");
  const theirs = (await outsider.api.post("/v1/rooms", { name: "theirs", type: "private" })).body.id;
  const secret = (await outsider.api.post(`/v1/rooms/${theirs}/messages`, { content: "secret" })).body.id;
  const api = owner.api;
  const replies = await Promise.all([
    api.patch(`/v1/rooms/${mine.room}/messages/${secret}`, { content: "x" }),
    api.delete(`/v1/rooms/${mine.room}/messages/${secret}`),
    api.request("PUT", `/v1/rooms/${mine.room}/messages/${secret}/reactions/:x:`),
    api.post(`/v1/rooms/${mine.room}/read`, { message_id: secret }),
  ]);
  expect(replies.map((r) => r.status)).toEqual([404, 404, 404, 404]);
  expect((await outsider.api.get(`/v1/rooms/${theirs}/messages`)).body.messages[0]).toMatchObject({
    id: secret,
    content: "secret",
    deleted: false,
  });
});

test("a DM is visible to its two members only and cannot be joined or moderated", async () => {
  const dm = (await member.api.post("/v1/dms", { user_id: admin.id })).body.id;
  expect((await outsider.api.get(`/v1/rooms/${dm}`)).status).toBe(404);
  expect((await outsider.api.post(`/v1/rooms/${dm}/join`)).status).toBe(404);
  expect((await member.api.post(`/v1/rooms/${dm}/members`, { user_id: outsider.id })).status).toBe(403);
  expect((await member.api.delete(`/v1/rooms/${dm}`)).status).toBe(403);
  expect((await admin.api.post(`/v1/rooms/${dm}/messages`, { content: "hi" })).status).toBe(201);
});

test("malformed ids are 400, never 500", async () => {
  const replies = await Promise.all([
    owner.api.get("/v1/rooms/not-a-uuid"),
    owner.api.get("/v1/rooms/not-a-uuid/messages"),
    owner.api.delete(`/v1/rooms/${crypto.randomUUID()}/members/nope`),
    owner.api.get(`/v1/rooms?cursor=zzz`),
  ]);
  expect(replies.map((r) => r.status)).toEqual([400, 400, 400, 400]);
});
