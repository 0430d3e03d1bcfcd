// Pinned messages: the owner and admins pin and unpin (idempotent, audited), members list them, a room
// holds at most 50, and a deleted message is unpinned.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { newUser, type TestUser } from "../support/client";
import { startTestServer, type TestServer } from "../support/server";

let server: TestServer;
let owner: TestUser;
let admin: TestUser;
let member: TestUser;

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 10_000 });
  [owner, admin, member] = [
    await newUser(server.url, "owner"),
    await newUser(server.url, "admin"),
    await newUser(server.url, "member"),
  ];
}, 30_000);
afterAll(() => server.close());

async function staffedRoom() {
  const room = (await owner.api.post("/v1/rooms", { name: "pins", type: "public" })).body.id as string;
  for (const u of [admin, member]) await u.api.post(`/v1/rooms/${room}/join`);
  await owner.api.request("PUT", `/v1/rooms/${room}/members/${admin.id}/role`, { role: "admin" });
  return room;
}

const post = async (who: TestUser, room: string, content = "pin me") =>
  (await who.api.post(`/v1/rooms/${room}/messages`, { content })).body.id as string;
const pin = (who: TestUser, room: string, mid: string, method = "PUT") =>
  who.api.request(method, `/v1/rooms/${room}/pins/${mid}`);
const pinned = async (who: TestUser, room: string) => {
  const reply = await who.api.get(`/v1/rooms/${room}/pins`);
  expect(reply.status).toBe(200);
  return reply.body.pins as any[];
};

test("the owner and admins pin and unpin, idempotently; members list pins newest first but cannot change them", async () => {
  const room = await staffedRoom();
  const [a, b] = [await post(member, room, "first"), await post(member, room, "second")];
  expect((await pin(member, room, a)).status).toBe(403);
  expect((await pin(owner, room, a)).status).toBe(204);
  expect((await pin(owner, room, a)).status).toBe(204);
  expect((await pin(admin, room, b)).status).toBe(204);
  const list = await pinned(member, room);
  expect(list.map((p) => [p.message.id, p.message.content, p.pinned_by])).toEqual([
    [b, "second", admin.id],
    [a, "first", owner.id],
  ]);
  expect(list[0].pinned_at).toMatch(/\.\d{3}Z$/);
  expect((await pin(member, room, b, "DELETE")).status).toBe(403);
  expect((await pin(admin, room, a, "DELETE")).status).toBe(204);
  expect((await pin(admin, room, a, "DELETE")).status).toBe(204);
  expect((await pinned(member, room)).map((p) => p.message.id)).toEqual([b]);
});

test("pins and unpins are in the room's audit log, once each", async () => {
  const room = await staffedRoom();
  const mid = await post(member, room);
  await pin(owner, room, mid);
  await pin(owner, room, mid);
  await pin(admin, room, mid, "DELETE");
  await pin(admin, room, mid, "DELETE");
  const entries = (await owner.api.get(`/v1/rooms/${room}/audit`)).body.entries.filter((e: any) =>
    e.action.startsWith("message."),
  );
  expect(entries.map((e: any) => [e.action, e.actor_id, e.message_id, e.target_user_id])).toEqual([
    ["message.unpinned", admin.id, mid, member.id],
    ["message.pinned", owner.id, mid, member.id],
  ]);
});

test("a room holds at most 50 pins: the 51st is 409 conflict, re-pinning one still works", async () => {
  const room = await staffedRoom();
  const ids: string[] = [];
  for (let i = 0; i < 51; i++) ids.push(await post(member, room, `m${i}`));
  for (const id of ids.slice(0, 50)) expect((await pin(owner, room, id)).status).toBe(204);
  const refused = await pin(owner, room, ids[50]!);
  expect(refused.status).toBe(409);
  expect(refused.body.error).toMatchObject({ code: "conflict", details: [{ reason: "too_many" }] });
  expect((await pin(owner, room, ids[0]!)).status).toBe(204);
  expect(await pinned(member, room)).toHaveLength(50);
  await pin(owner, room, ids[0]!, "DELETE");
  expect((await pin(owner, room, ids[50]!)).status).toBe(204);
});

test("a deleted message is unpinned, and a deleted message cannot be pinned", async () => {
  const room = await staffedRoom();
  const mid = await post(member, room);
  await pin(admin, room, mid);
  expect((await member.api.delete(`/v1/rooms/${room}/messages/${mid}`)).status).toBe(204);
  expect(await pinned(member, room)).toEqual([]);
  const refused = await pin(admin, room, mid);
  expect(refused.status).toBe(409);
  expect(refused.body.error.code).toBe("conflict");
});

test("a message id that is not of this room is 404 for pin and unpin", async () => {
  const room = await staffedRoom();
  const other = (await owner.api.post("/v1/rooms", { name: "other", type: "private" })).body.id;
  const elsewhere = await post(owner, other);
  for (const method of ["PUT", "DELETE"]) {
    const reply = await pin(owner, room, elsewhere, method);
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe("not_found");
  }
  expect((await pin(owner, room, crypto.randomUUID())).status).toBe(404);
});
