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

type Staffed = Awaited<ReturnType<typeof staffedRoom>>;

/**
 * Every route under /v1/rooms/:id, keyed as the app registers it: a valid body (so validation never
 * answers first) and what a non-member gets in a public room. A route missing here fails the suite.
 */
const roomRoutes: Record<string, { body?: (r: Staffed) => unknown; publicOutsider: 200 | 403 }> = {
  "GET /v1/rooms/:id": { publicOutsider: 200 },
  "PATCH /v1/rooms/:id": { body: () => ({ name: "mine" }), publicOutsider: 403 },
  "DELETE /v1/rooms/:id": { publicOutsider: 403 },
  "POST /v1/rooms/:id/join": { publicOutsider: 200 },
  "GET /v1/rooms/:id/members": { publicOutsider: 200 },
  "GET /v1/rooms/:id/presence": { publicOutsider: 200 },
  "POST /v1/rooms/:id/members": { body: () => ({ user_id: outsider.id }), publicOutsider: 403 },
  "DELETE /v1/rooms/:id/members/me": { publicOutsider: 403 },
  "DELETE /v1/rooms/:id/members/:user_id": { publicOutsider: 403 },
  "PUT /v1/rooms/:id/members/:user_id/role": { body: () => ({ role: "admin" }), publicOutsider: 403 },
  "POST /v1/rooms/:id/bans": { body: () => ({ user_id: member.id }), publicOutsider: 403 },
  "DELETE /v1/rooms/:id/bans/:user_id": { publicOutsider: 403 },
  "GET /v1/rooms/:id/audit": { publicOutsider: 403 },
  "POST /v1/rooms/:id/messages": { body: () => ({ content: "hi" }), publicOutsider: 403 },
  "GET /v1/rooms/:id/messages": { publicOutsider: 403 },
  "PATCH /v1/rooms/:id/messages/:mid": { body: () => ({ content: "x" }), publicOutsider: 403 },
  "DELETE /v1/rooms/:id/messages/:mid": { publicOutsider: 403 },
  "PUT /v1/rooms/:id/messages/:mid/reactions/:emoji": { publicOutsider: 403 },
  "DELETE /v1/rooms/:id/messages/:mid/reactions/:emoji": { publicOutsider: 403 },
  "POST /v1/rooms/:id/read": { body: (r) => ({ message_id: r.byMember }), publicOutsider: 403 },
  "GET /v1/rooms/:id/pins": { publicOutsider: 403 },
  "PUT /v1/rooms/:id/pins/:mid": { publicOutsider: 403 },
  "DELETE /v1/rooms/:id/pins/:mid": { publicOutsider: 403 },
  "GET /v1/rooms/:id/threads/:root/messages": { publicOutsider: 403 },
  "POST /v1/rooms/:id/webhooks": { body: () => ({ url: "https://hooks.example.test/x" }), publicOutsider: 403 },
  "GET /v1/rooms/:id/webhooks": { publicOutsider: 403 },
  "DELETE /v1/rooms/:id/webhooks/:hook_id": { publicOutsider: 403 },
};

const registeredRoomRoutes = () =>
  server.routes.filter((r) => r.path.startsWith("/v1/rooms/:id")).map((r) => `${r.method} ${r.path}`);

/** Calls one route of the table as `user`, with the room's ids in the path. */
function call(user: TestUser, route: string, r: Staffed) {
  const [method, pattern] = route.split(" ") as [string, string];
  const path = pattern
    .replace(":id", r.room)
    .replace(":user_id", member.id)
    .replace(":mid", r.byMember)
    .replace(":root", r.byOwner)
    .replace(":hook_id", "00000000-0000-4000-8000-000000000000")
    .replace(":emoji", ":x:");
  return user.api.request(method, path, roomRoutes[route]?.body?.(r));
}

test("every room route the server registers is in the authorization table, and only those", () => {
  expect(Object.keys(roomRoutes).sort()).toEqual(registeredRoomRoutes().sort());
});

test("a private room does not exist for a non-member: every route answers 404", async () => {
  const r = await staffedRoom("private");
  const routes = registeredRoomRoutes();
  const replies = await Promise.all(routes.map((route) => call(outsider, route, r)));
  const statuses = Object.fromEntries(routes.map((route, i) => [route, replies[i]!.status]));
  expect(statuses).toEqual(Object.fromEntries(routes.map((route) => [route, 404])));
  expect(replies.every((reply) => reply.body.error.code === "not_found")).toBe(true);
  const list = await outsider.api.get("/v1/rooms?type=private");
  expect(list.body.rooms.map((room: any) => room.id)).not.toContain(r.room);
});

test("in a public room a non-member sees the room, its members and who is online, and gets 403 for the rest", async () => {
  const r = await staffedRoom("public");
  // Joining changes what the others answer: it goes last, on its own.
  const routes = registeredRoomRoutes().filter((route) => route !== "POST /v1/rooms/:id/join");
  const replies = await Promise.all(routes.map((route) => call(outsider, route, r)));
  const statuses: Record<string, number | undefined> = Object.fromEntries(
    routes.map((route, i) => [route, replies[i]!.status]),
  );
  expect(statuses).toEqual(Object.fromEntries(routes.map((route) => [route, roomRoutes[route]?.publicOutsider])));
  for (const reply of replies.filter((reply) => reply.status === 403)) expect(reply.body.error.code).toBe("forbidden");
  expect((await call(outsider, "POST /v1/rooms/:id/join", r)).status).toBe(200);
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
  // Admins are peers: one cannot kick or ban another.
  await owner.api.post(`/v1/rooms/${room}/members`, { user_id: outsider.id });
  await owner.api.request("PUT", `/v1/rooms/${room}/members/${outsider.id}/role`, { role: "admin" });
  expect((await admin.api.delete(`/v1/rooms/${room}/members/${outsider.id}`)).status).toBe(403);
  expect((await admin.api.post(`/v1/rooms/${room}/bans`, { user_id: outsider.id })).status).toBe(403);
  expect((await admin.api.delete(`/v1/rooms/${room}/members/${member.id}`)).status).toBe(204);
  expect((await owner.api.delete(`/v1/rooms/${room}/members/${admin.id}`)).status).toBe(204);
  const left = (await owner.api.get(`/v1/rooms/${room}/members`)).body.members.map((m: any) => m.user_id);
  expect(left.sort()).toEqual([owner.id, outsider.id].sort());
});

test("only the owner changes roles: promotions and demotions by the owner hold, others are refused", async () => {
  const { room } = await staffedRoom("public");
  const roles = async () =>
    Object.fromEntries(
      (await member.api.get(`/v1/rooms/${room}/members`)).body.members.map((m: any) => [m.user_id, m.role]),
    );
  const setRole = (by: TestUser, target: TestUser, role: string) =>
    by.api.request("PUT", `/v1/rooms/${room}/members/${target.id}/role`, { role });
  const expected = { [owner.id]: "owner", [admin.id]: "admin", [member.id]: "member" };

  expect((await setRole(admin, member, "admin")).status).toBe(403);
  expect((await setRole(member, member, "admin")).status).toBe(403);
  expect((await setRole(admin, admin, "member")).status).toBe(403);
  expect((await setRole(member, admin, "member")).status).toBe(403);
  expect(await roles()).toEqual(expected);

  expect(await setRole(owner, member, "admin")).toMatchObject({ status: 200, body: { role: "admin" } });
  expect(await setRole(owner, admin, "member")).toMatchObject({ status: 200, body: { role: "member" } });
  expect(await roles()).toEqual({ ...expected, [member.id]: "admin", [admin.id]: "member" });
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

test("members cannot delete others' messages, also when the author has left the room", async () => {
  const { room } = await staffedRoom("public");
  const leaver = await newUser(server.url, "leaver");
  await leaver.api.post(`/v1/rooms/${room}/join`);
  const byLeaver = (await leaver.api.post(`/v1/rooms/${room}/messages`, { content: "bye" })).body.id;
  expect((await leaver.api.delete(`/v1/rooms/${room}/members/me`)).status).toBe(204);
  const refused = await member.api.delete(`/v1/rooms/${room}/messages/${byLeaver}`);
  expect(refused.status).toBe(403);
  expect((await member.api.get(`/v1/rooms/${room}/messages?limit=1`)).body.messages[0]).toMatchObject({
    id: byLeaver,
    deleted: false,
  });
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

test("a DM is visible to its two members only, who cannot leave, add anyone, moderate or delete it", async () => {
  const dm = (await member.api.post("/v1/dms", { user_id: admin.id })).body.id;
  expect((await outsider.api.get(`/v1/rooms/${dm}`)).status).toBe(404);
  expect((await outsider.api.post(`/v1/rooms/${dm}/join`)).status).toBe(404);
  expect((await member.api.post(`/v1/rooms/${dm}/members`, { user_id: outsider.id })).status).toBe(403);
  expect((await member.api.delete(`/v1/rooms/${dm}`)).status).toBe(403);
  expect((await member.api.delete(`/v1/rooms/${dm}/members/me`)).status).toBe(403);
  expect((await member.api.delete(`/v1/rooms/${dm}/members/${admin.id}`)).status).toBe(403);
  expect((await member.api.get(`/v1/rooms/${dm}/members`)).body.members).toHaveLength(2);
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
