// Attachments over real HTTP, on the configured blob store (the data dir; S3 with CHATD_TEST_BLOBS=s3):
// the upload flow through signed URLs, its limits, completion, who may download, messages that carry
// files, deletion, and the clean-up of expired uploads.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createUpload, keyOf, patterned, putBytes, storage, type Ticket, uploadFile } from "../support/attachments";
import { newUser, type TestUser } from "../support/client";
import { TestClock } from "../support/clock";
import { OWN_SERVER_TIMEOUT_MS, startTestServer, type TestServer } from "../support/server";

let server: TestServer;
let ana: TestUser;
let bob: TestUser;
let eve: TestUser;

const MAX_BYTES = 8 * 1024 * 1024;

beforeAll(async () => {
  server = await startTestServer({
    messagesPerMinute: 1000,
    attachmentUploadsPerMinute: 1000,
    attachmentMaxBytes: MAX_BYTES,
    // Far below the uploads here: the blob PUT has its own limit, JSON bodies keep this one.
    maxBodyBytes: 2048,
  });
  [ana, bob, eve] = [
    await newUser(server.url, "ana"),
    await newUser(server.url, "bob"),
    await newUser(server.url, "eve"),
  ];
}, OWN_SERVER_TIMEOUT_MS);
afterAll(() => server.close());

async function sharedRoom() {
  const room = (await ana.api.post("/v1/rooms", { name: "files", type: "public" })).body.id as string;
  await bob.api.post(`/v1/rooms/${room}/join`);
  return room;
}

const send = (who: TestUser, roomId: string, body: Record<string, unknown>) =>
  who.api.post(`/v1/rooms/${roomId}/messages`, { content: "see attached", ...body });

const expectError = (reply: { status: number; body: any }, status: number, code: string) => {
  expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({ status, code });
};

describe("uploading", () => {
  test("a file of a few MB goes up through the signed URL and comes back byte for byte", async () => {
    const bytes = patterned(3 * 1024 * 1024 + 123);
    const ticket = await createUpload(ana, "Quarterly report.pdf", "application/pdf", bytes.length);
    expect(ticket).toEqual({
      id: expect.any(String),
      upload_url: expect.stringMatching(/^https?:\/\//),
      upload_method: "PUT",
      upload_headers: { "content-type": "application/pdf" },
      expires_at: expect.stringMatching(/\.\d{3}Z$/),
    });
    expect((await putBytes(ticket, bytes)).status).toBeLessThan(300);
    const done = await ana.api.post(`/v1/attachments/${ticket.id}/complete`);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      id: ticket.id,
      filename: "Quarterly report.pdf",
      content_type: "application/pdf",
      size: bytes.length,
      status: "ready",
    });
    const download = await fetch(done.body.download_url);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/pdf");
    expect(download.headers.get("content-disposition")).toBe(
      `attachment; filename="Quarterly report.pdf"; filename*=UTF-8''Quarterly%20report.pdf`,
    );
    if (storage(server).kind === "fs") expect(download.headers.get("x-content-type-options")).toBe("nosniff");
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);
  });

  test("size and type are checked against ATTACHMENT_MAX_BYTES and ATTACHMENT_CONTENT_TYPES", async () => {
    const create = (body: Record<string, unknown>) =>
      ana.api.post("/v1/attachments", { filename: "a.png", content_type: "image/png", size: 10, ...body });
    expectError(await create({ size: MAX_BYTES + 1 }), 413, "payload_too_large");
    expect((await create({ size: MAX_BYTES })).status).toBe(201);
    expectError(await create({ size: 0 }), 400, "validation_failed");
    expectError(await create({ size: -5 }), 400, "validation_failed");
    expectError(await create({ size: 1.5 }), 400, "validation_failed");
    const html = await create({ content_type: "text/html" });
    expectError(html, 400, "validation_failed");
    expect(html.body.error.details[0]).toMatchObject({ field: "content_type", reason: "not_allowed" });
    expectError(await create({ content_type: "image/svg+xml" }), 400, "validation_failed");
    expect((await create({ content_type: "IMAGE/PNG" })).status).toBe(201);
    expectError(await create({ extra: 1 }), 400, "validation_failed");
    expect(
      (await ana.api.as(undefined).post("/v1/attachments", { filename: "a", content_type: "image/png", size: 1 }))
        .status,
    ).toBe(401);
  });

  test("keys are random and never come from the filename, which is kept sanitized", async () => {
    const a = await createUpload(ana, "../../etc/passwd", "text/plain", 10);
    const b = await createUpload(ana, "../../etc/passwd", "text/plain", 10);
    for (const t of [a, b]) {
      expect(keyOf(t.upload_url)).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(t.upload_url).not.toContain("passwd");
    }
    expect(keyOf(a.upload_url)).not.toBe(keyOf(b.upload_url));
    const shown = (await ana.api.get(`/v1/attachments/${a.id}`)).body;
    expect(shown).toMatchObject({ filename: "passwd", status: "pending", download_url: null, expires_at: null });
    const tricky = await createUpload(ana, "\u202Egnp.exe\u0000\r\n  .png", "image/png", 10);
    expect((await ana.api.get(`/v1/attachments/${tricky.id}`)).body.filename).toBe("gnp.exe .png");
    expectError(
      await ana.api.post("/v1/attachments", { filename: "../..", content_type: "image/png", size: 1 }),
      400,
      "validation_failed",
    );
  });

  test("the upload URL is bound to the declared size and type: anything else is refused and stores nothing", async () => {
    const bytes = patterned(5000);
    const ticket = await createUpload(ana, "pic.png", "image/png", bytes.length);
    expect((await putBytes(ticket, bytes.slice(0, 4999))).status).toBe(403);
    expect((await putBytes(ticket, patterned(5001))).status).toBe(403);
    expect((await putBytes(ticket, bytes, { "content-type": "image/gif" })).status).toBe(403);
    expect(await storage(server).has(keyOf(ticket.upload_url))).toBe(false);
    const early = await ana.api.post(`/v1/attachments/${ticket.id}/complete`);
    expectError(early, 409, "conflict");
    expect(early.body.error.details[0].reason).toBe("not_uploaded");
    expect((await putBytes(ticket, bytes)).status).toBeLessThan(300);
    expect((await ana.api.post(`/v1/attachments/${ticket.id}/complete`)).status).toBe(200);
  });

  test("a tampered signature is refused", async () => {
    const ticket = await createUpload(ana, "pic.png", "image/png", 100);
    const url = new URL(ticket.upload_url);
    const name = url.searchParams.has("sig") ? "sig" : "X-Amz-Signature";
    const sig = url.searchParams.get(name)!;
    url.searchParams.set(name, (sig[0] === "a" ? "b" : "a") + sig.slice(1));
    expect((await putBytes({ ...ticket, upload_url: String(url) }, patterned(100))).status).toBe(403);
    // A longer life than signed.
    const longer = new URL(ticket.upload_url);
    if (longer.searchParams.has("expires")) longer.searchParams.set("expires", "99999999999");
    else longer.searchParams.set("X-Amz-Expires", "604800");
    expect((await putBytes({ ...ticket, upload_url: String(longer) }, patterned(100))).status).toBe(403);
  });

  test("completion verifies the stored object: another size or type is 409 and the object is removed", async () => {
    const ticket = await createUpload(ana, "pic.png", "image/png", 4096);
    const key = keyOf(ticket.upload_url);
    await storage(server).plant(key, patterned(4000), "image/png");
    const wrongSize = await ana.api.post(`/v1/attachments/${ticket.id}/complete`);
    expectError(wrongSize, 409, "conflict");
    expect(wrongSize.body.error.details[0].field).toBe("size");
    expect(await storage(server).has(key)).toBe(false);

    await storage(server).plant(key, patterned(4096), "text/html");
    const wrongType = await ana.api.post(`/v1/attachments/${ticket.id}/complete`);
    expectError(wrongType, 409, "conflict");
    expect(wrongType.body.error.details[0].field).toBe("content_type");
    expect(await storage(server).has(key)).toBe(false);
    // Still pending: a right upload completes it.
    expect((await putBytes(ticket, patterned(4096))).status).toBeLessThan(300);
    expect((await ana.api.post(`/v1/attachments/${ticket.id}/complete`)).body.status).toBe("ready");
  });

  test("only the uploader completes, and completing twice answers the same", async () => {
    const ticket = await createUpload(ana, "pic.png", "image/png", 64);
    await putBytes(ticket, patterned(64));
    expectError(await bob.api.post(`/v1/attachments/${ticket.id}/complete`), 404, "not_found");
    const [first, second] = [
      await ana.api.post(`/v1/attachments/${ticket.id}/complete`),
      await ana.api.post(`/v1/attachments/${ticket.id}/complete`),
    ];
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body).toMatchObject({ id: ticket.id, status: "ready" });
    expectError(await ana.api.post(`/v1/attachments/${crypto.randomUUID()}/complete`), 404, "not_found");
    expectError(await ana.api.post("/v1/attachments/nope/complete"), 400, "validation_failed");
  });

  test(
    "past RATE_LIMIT_UPLOADS_PER_MINUTE new uploads get 429 with Retry-After; refused requests and other users do not count",
    async () => {
      const limited = await startTestServer({ attachmentUploadsPerMinute: 3 });
      try {
        const [carl, dora] = [await newUser(limited.url, "carl"), await newUser(limited.url, "dora")];
        const start = (who: TestUser, size = 64) =>
          who.api.post("/v1/attachments", { filename: "a.png", content_type: "image/png", size });
        // Invalid requests are refused before the limit and cost nothing.
        expectError(await start(carl, 10 * 1024 * 1024 * 1024), 413, "payload_too_large");
        for (let i = 0; i < 3; i++) expect((await start(carl)).status).toBe(201);
        const refused = await start(carl);
        expectError(refused, 429, "rate_limited");
        expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
        expect((await start(dora)).status).toBe(201);
      } finally {
        await limited.close();
      }
    },
    OWN_SERVER_TIMEOUT_MS,
  );
});

describe("messages with attachments", () => {
  test("a message carries its author's ready attachments, in REST answers, history and replays", async () => {
    const room = await sharedRoom();
    const photo = await uploadFile(ana, { filename: "cat.png" });
    const doc = await uploadFile(ana, { filename: "notes.txt", contentType: "text/plain" });
    const sent = await send(ana, room, { attachment_ids: [photo.ticket.id, doc.ticket.id], client_id: "f-1" });
    expect(sent.status).toBe(201);
    const listed = [
      { id: photo.ticket.id, filename: "cat.png", content_type: "image/png", size: photo.bytes.length },
      { id: doc.ticket.id, filename: "notes.txt", content_type: "text/plain", size: doc.bytes.length },
    ];
    expect(sent.body.attachments).toEqual(listed);
    const replay = await send(ana, room, { attachment_ids: [photo.ticket.id, doc.ticket.id], client_id: "f-1" });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(sent.body);
    const history = await bob.api.get(`/v1/rooms/${room}/messages`);
    expect(history.body.messages[0].attachments).toEqual(listed);
    const edited = await ana.api.patch(`/v1/rooms/${room}/messages/${sent.body.id}`, { content: "see both" });
    expect(edited.body.attachments).toEqual(listed);
  });

  test("a DM's last message in the conversation list shows its attachments", async () => {
    const dm = (await ana.api.post("/v1/dms", { user_id: eve.id })).body.id as string;
    const file = await uploadFile(ana, { filename: "for-eve.png" });
    await send(ana, dm, { attachment_ids: [file.ticket.id] });
    const list = (await eve.api.get("/v1/dms")).body.conversations;
    const convo = list.find((c: { room: { id: string } }) => c.room.id === dm);
    expect(convo.last_message.attachments).toEqual([
      { id: file.ticket.id, filename: "for-eve.png", content_type: "image/png", size: file.bytes.length },
    ]);
    expect((await eve.api.get(`/v1/attachments/${file.ticket.id}`)).status).toBe(200);
  });

  test("only the author's own ready, unused attachments: others are refused and nothing is sent", async () => {
    const room = await sharedRoom();
    const bobs = await uploadFile(bob);
    const pending = await createUpload(ana, "later.png", "image/png", 10);
    const mine = await uploadFile(ana);
    const someoneElses = await send(ana, room, { attachment_ids: [bobs.ticket.id] });
    expectError(someoneElses, 400, "validation_failed");
    expect(someoneElses.body.error.details[0].field).toBe("attachment_ids");
    expectError(await send(ana, room, { attachment_ids: [crypto.randomUUID()] }), 400, "validation_failed");
    const notReady = await send(ana, room, { attachment_ids: [pending.id] });
    expectError(notReady, 409, "conflict");
    expect(notReady.body.error.details[0].reason).toBe("not_ready");
    expectError(await send(ana, room, { attachment_ids: [mine.ticket.id, mine.ticket.id] }), 400, "validation_failed");
    const tooMany = Array.from({ length: 11 }, () => crypto.randomUUID());
    expectError(await send(ana, room, { attachment_ids: tooMany }), 400, "validation_failed");
    expect((await bob.api.get(`/v1/rooms/${room}/messages`)).body.messages).toEqual([]);

    expect((await send(ana, room, { attachment_ids: [mine.ticket.id] })).status).toBe(201);
    const again = await send(ana, room, { attachment_ids: [mine.ticket.id] });
    expectError(again, 409, "conflict");
    expect(again.body.error.details[0].reason).toBe("in_use");
    const elsewhere = await sharedRoom();
    expectError(await send(ana, elsewhere, { attachment_ids: [mine.ticket.id] }), 409, "conflict");
  });

  test("of concurrent sends with one attachment exactly one carries it", async () => {
    const room = await sharedRoom();
    const file = await uploadFile(ana);
    const replies = await Promise.all(
      Array.from({ length: 5 }, (_, i) => send(ana, room, { content: `try ${i}`, attachment_ids: [file.ticket.id] })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const history = (await ana.api.get(`/v1/rooms/${room}/messages`)).body.messages;
    expect(history).toHaveLength(1);
    expect(history[0].attachments.map((a: { id: string }) => a.id)).toEqual([file.ticket.id]);
  });
});

describe("downloads", () => {
  test("the uploader and the room's members may download; nobody else, and not after leaving or a ban", async () => {
    const room = await sharedRoom();
    const cat = await newUser(server.url, "cat");
    await cat.api.post(`/v1/rooms/${room}/join`);
    const file = await uploadFile(ana, {
      filename: "plan.pdf",
      contentType: "application/pdf",
      bytes: patterned(9000),
    });
    const id = file.ticket.id;
    // Before any message carries it: only its uploader sees it.
    expect((await ana.api.get(`/v1/attachments/${id}`)).status).toBe(200);
    expectError(await bob.api.get(`/v1/attachments/${id}`), 404, "not_found");
    await send(ana, room, { attachment_ids: [id] });

    const forBob = await bob.api.get(`/v1/attachments/${id}`);
    expect(forBob.status).toBe(200);
    const { download_url: downloadUrl, ...shown } = forBob.body;
    expect(shown).toMatchObject({ id, status: "ready", filename: "plan.pdf" });
    expect(Date.parse(forBob.body.expires_at)).toBeGreaterThan(Date.now());
    const bytes = new Uint8Array(await (await fetch(downloadUrl)).arrayBuffer());
    expect(bytes).toEqual(file.bytes);
    expectError(await eve.api.get(`/v1/attachments/${id}`), 404, "not_found");
    expectError(await eve.api.get(`/v1/attachments/${crypto.randomUUID()}`), 404, "not_found");

    await bob.api.delete(`/v1/rooms/${room}/members/me`);
    expectError(await bob.api.get(`/v1/attachments/${id}`), 404, "not_found");
    expect((await ana.api.post(`/v1/rooms/${room}/bans`, { user_id: cat.id })).status).toBeLessThan(300);
    expectError(await cat.api.get(`/v1/attachments/${id}`), 404, "not_found");
    expect((await ana.api.get(`/v1/attachments/${id}`)).status).toBe(200);
  });

  test("images on the allow list are shown inline; everything else downloads, its filename sanitized", async () => {
    const png = await uploadFile(ana, { filename: "photo.png", contentType: "image/png" });
    const png2 = await fetch((await ana.api.get(`/v1/attachments/${png.ticket.id}`)).body.download_url);
    expect(png2.headers.get("content-disposition")).toBe(`inline; filename="photo.png"; filename*=UTF-8''photo.png`);
    expect(png2.headers.get("content-type")).toBe("image/png");

    const odd = await uploadFile(ana, { filename: 'Résumé "final";\r\nX-Evil: 1.txt', contentType: "text/plain" });
    const reply = await fetch((await ana.api.get(`/v1/attachments/${odd.ticket.id}`)).body.download_url);
    expect(reply.headers.get("content-disposition")).toBe(
      `attachment; filename="R_sum_ _final__X-Evil: 1.txt"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22%3BX-Evil%3A%201.txt`,
    );
    expect(reply.headers.get("x-evil")).toBeNull();
  });

  test("a tampered download URL is refused", async () => {
    const file = await uploadFile(ana, { filename: "photo.png" });
    const url = new URL((await ana.api.get(`/v1/attachments/${file.ticket.id}`)).body.download_url);
    for (const [name, value] of [...url.searchParams]) {
      if (!/disposition/i.test(name)) continue;
      url.searchParams.set(name, value.replace("inline", "attachment"));
    }
    expect((await fetch(url)).status).toBe(403);
  });
});

describe("deleting a message", () => {
  test("removes its attachments' objects; they leave every view and nobody can download them", async () => {
    const room = await sharedRoom();
    const file = await uploadFile(ana);
    const sent = (await send(ana, room, { attachment_ids: [file.ticket.id] })).body;
    const url = (await bob.api.get(`/v1/attachments/${file.ticket.id}`)).body.download_url;
    expect(await storage(server).has(file.key)).toBe(true);
    expect((await ana.api.delete(`/v1/rooms/${room}/messages/${sent.id}`)).status).toBe(204);
    expect(await storage(server).has(file.key)).toBe(false);
    for (const who of [ana, bob]) expectError(await who.api.get(`/v1/attachments/${file.ticket.id}`), 404, "not_found");
    expect((await fetch(url)).status).toBe(404);
    const [tombstone] = (await bob.api.get(`/v1/rooms/${room}/messages`)).body.messages;
    expect(tombstone).toMatchObject({ id: sent.id, deleted: true, attachments: [] });
    expectError(await send(ana, room, { attachment_ids: [file.ticket.id] }), 400, "validation_failed");
  });

  test("a moderator's delete removes them too", async () => {
    const room = await sharedRoom();
    const file = await uploadFile(bob);
    const sent = (await send(bob, room, { attachment_ids: [file.ticket.id] })).body;
    expect((await ana.api.delete(`/v1/rooms/${room}/messages/${sent.id}`)).status).toBe(204);
    expect(await storage(server).has(file.key)).toBe(false);
    expectError(await bob.api.get(`/v1/attachments/${file.ticket.id}`), 404, "not_found");
  });
});

describe("the embedded store's routes", () => {
  test("keys must have the key shape: no traversal, no other characters", async () => {
    if (storage(server).kind !== "fs") return;
    const ticket = await createUpload(ana, "pic.png", "image/png", 10);
    const query = new URL(ticket.upload_url).search;
    for (const key of [
      "..%2F..%2Fjwt-secret",
      "%2E%2E%2F%2E%2E",
      `${keyOf(ticket.upload_url).slice(1)}.`,
      "a".repeat(44),
    ]) {
      const reply = await fetch(`${server.url}/v1/blobs/${key}${query}`, {
        method: "PUT",
        body: patterned(10),
        headers: ticket.upload_headers,
      });
      expect({ key, status: reply.status }).toEqual({ key, status: 400 });
    }
    const outside = await fetch(`${server.url}/v1/blobs/../jwt-secret${query}`);
    expect([400, 404]).toContain(outside.status);
  });

  test("an upload body past ATTACHMENT_MAX_BYTES is refused before it is read (not MAX_BODY_BYTES)", async () => {
    if (storage(server).kind !== "fs") return;
    const ticket = await createUpload(ana, "big.zip", "application/zip", MAX_BYTES);
    const reply = await putBytes(ticket, new Uint8Array(MAX_BYTES + 1));
    expect(reply.status).toBe(413);
    expect(((await reply.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    expect(await storage(server).has(keyOf(ticket.upload_url))).toBe(false);
  });

  test("an object is written once; a body shorter than its length stores nothing", async () => {
    if (storage(server).kind !== "fs") return;
    const ticket = await createUpload(ana, "pic.png", "image/png", 10);
    expect((await putBytes(ticket, patterned(10))).status).toBe(204);
    expectError(
      await (await putBytes(ticket, patterned(10))).json().then((body) => ({ status: 409, body })),
      409,
      "conflict",
    );
    const noLength = await fetch(ticket.upload_url, {
      method: "PUT",
      headers: ticket.upload_headers,
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(patterned(10));
          controller.close();
        },
      }),
    });
    expect([400, 409, 411]).toContain(noLength.status);
  });
});

describe("expiry and clean-up", () => {
  let clocked: TestServer;
  let owner: TestUser;
  const clock = new TestClock();

  beforeAll(async () => {
    clocked = await startTestServer(
      { attachmentSweepIntervalSeconds: 1, attachmentUploadTtlSeconds: 2 },
      { now: clock.now },
    );
    owner = await newUser(clocked.url, "own");
  }, OWN_SERVER_TIMEOUT_MS);
  afterAll(() => clocked.close());

  const until = async (condition: () => Promise<boolean>, what: string, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
      await Bun.sleep(50);
    }
  };

  test("an expired upload URL is refused", async () => {
    const ticket: Ticket = await createUpload(owner, "late.png", "image/png", 100);
    const expiresAt = Date.parse(ticket.expires_at);
    await until(async () => Date.now() > expiresAt + 1000, "the URL's expiry");
    expect((await putBytes(ticket, patterned(100))).status).toBe(403);
    expect(await storage(clocked).has(keyOf(ticket.upload_url))).toBe(false);
  });

  test("an upload not completed in time cannot be completed, and it and its object are cleaned up", async () => {
    const ticket = await createUpload(owner, "late.png", "image/png", 100);
    expect((await putBytes(ticket, patterned(100))).status).toBeLessThan(300);
    const key = keyOf(ticket.upload_url);
    clock.advance(60_000);
    expectError(await owner.api.post(`/v1/attachments/${ticket.id}/complete`), 404, "not_found");
    expect(await storage(clocked).has(key)).toBe(true);
    clock.advance(10 * 60_000);
    await until(async () => !(await storage(clocked).has(key)), "the sweep");
    expectError(await owner.api.get(`/v1/attachments/${ticket.id}`), 404, "not_found");
    expect(await clocked.backends.store.getAttachment(ticket.id)).toBeNull();
  });

  test("a completed attachment is never swept", async () => {
    const file = await uploadFile(owner);
    clock.advance(60 * 60_000);
    // A later upload's clean-up shows a sweep ran after the advance.
    const marker = await createUpload(owner, "marker.png", "image/png", 10);
    await putBytes(marker, patterned(10));
    clock.advance(60 * 60_000);
    await until(async () => !(await storage(clocked).has(keyOf(marker.upload_url))), "the sweep");
    expect(await storage(clocked).has(file.key)).toBe(true);
    expect((await owner.api.get(`/v1/attachments/${file.ticket.id}`)).body.status).toBe("ready");
  });
});
