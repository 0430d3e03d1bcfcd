// The SDK's attachment helper against a real server (its data dir, or S3 with CHATD_TEST_BLOBS=s3):
// one call uploads a file (create, PUT to the signed URL, complete), and a message sent with its id
// over REST or the live connection carries it to the room, where members download the same bytes.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { ChatdError, uploadAttachment } from "../../clients/js/src";
import { patterned } from "../support/attachments";
import { closeClients, record, sdkUser, until } from "../support/sdk";
import { startTestServer, type TestServer } from "../support/server";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ messagesPerMinute: 10_000, attachmentMaxBytes: 64 * 1024 });
});
afterEach(closeClients);
afterAll(() => server.close());

const bytesOf = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());

async function pair() {
  const ana = await sdkUser(server.url, "ana");
  const bob = await sdkUser(server.url, "bob");
  const room = await ana.client.api.rooms.create({ name: "files", type: "public" });
  await bob.client.api.rooms.join(room.id);
  return { ana, bob, room: room.id };
}

describe("uploadAttachment", () => {
  test("uploads a File in one call: a ready attachment named and typed after it, progress to the end", async () => {
    const ana = await sdkUser(server.url, "up");
    const bytes = patterned(5000);
    const progress: [number, number][] = [];
    const file = new File([bytes], "report.pdf", { type: "application/pdf" });
    const attachment = await ana.client.uploadAttachment(file, {
      onProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(attachment).toMatchObject({
      filename: "report.pdf",
      content_type: "application/pdf",
      size: 5000,
      status: "ready",
    });
    expect(progress.at(-1)).toEqual([5000, 5000]);
    // The uploader may download it before any message carries it.
    expect(await bytesOf(attachment.download_url!)).toEqual(bytes);
  });

  test("a Blob takes its filename and type from the options", async () => {
    const ana = await sdkUser(server.url, "blob");
    const blob = new Blob(["plain words\n"]);
    const attachment = await uploadAttachment({ api: ana.client.api }, blob, {
      filename: "notes.txt",
      contentType: "text/plain",
    });
    expect(attachment).toMatchObject({ filename: "notes.txt", content_type: "text/plain", size: 12, status: "ready" });
    expect(new TextDecoder().decode(await bytesOf(attachment.download_url!))).toBe("plain words\n");
    await expect(ana.client.uploadAttachment(new Blob(["x"]), { contentType: "text/plain" })).rejects.toThrow(
      "needs options.filename",
    );
    await expect(ana.client.uploadAttachment(new Blob(["x"]), { filename: "x" })).rejects.toThrow("has no type");
  });

  test("refusals are ChatdErrors with the contract's codes: a type not allowed, a file too large", async () => {
    const ana = await sdkUser(server.url, "refused");
    const script = new File(["alert(1)"], "x.html", { type: "text/html" });
    expect(await ana.client.uploadAttachment(script).catch((e) => e)).toMatchObject({
      status: 400,
      code: "validation_failed",
    });
    const big = new File([patterned(64 * 1024 + 1)], "big.png", { type: "image/png" });
    const tooBig = await ana.client.uploadAttachment(big).catch((e) => e);
    expect(tooBig).toBeInstanceOf(ChatdError);
    expect(tooBig).toMatchObject({ status: 413, code: "payload_too_large" });
  });
});

describe("messages with attachments", () => {
  test("sent over REST with attachment_ids: the room's members see the attachment and download its bytes", async () => {
    const { ana, bob, room } = await pair();
    const bytes = patterned(3000, 7);
    const attachment = await ana.client.uploadAttachment(new File([bytes], "photo.png", { type: "image/png" }));
    const sent = await ana.client.api.messages.send(room, { content: "a photo", attachment_ids: [attachment.id] });
    expect(sent.attachments).toEqual([
      { id: attachment.id, filename: "photo.png", content_type: "image/png", size: 3000 },
    ]);
    const seen = await bob.client.api.messages.list(room);
    expect(seen.messages[0]!.attachments.map((a) => a.id)).toEqual([attachment.id]);
    const forBob = await bob.client.api.attachments.get(attachment.id);
    expect(await bytesOf(forBob.download_url!)).toEqual(bytes);
  });

  test("sent over the live connection with attachmentIds: the ack and the other member's event carry them", async () => {
    const { ana, bob, room } = await pair();
    const created = record(bob.client, "message.created");
    ana.client.connect();
    bob.client.connect();
    await Promise.all([ana.client.subscribe(room), bob.client.subscribe(room)]);
    const files = await Promise.all([
      ana.client.uploadAttachment(new File(["one"], "one.txt", { type: "text/plain" })),
      ana.client.uploadAttachment(new File(["two!"], "two.txt", { type: "text/plain" })),
    ]);
    const sent = await ana.client.send(room, "two files", { attachmentIds: files.map((f) => f.id) });
    expect(sent.attachments.map((a) => a.filename)).toEqual(["one.txt", "two.txt"]);
    await until(() => created.length === 1, "bob's message.created");
    expect(created[0]!.message.attachments.map((a) => [a.filename, a.size])).toEqual([
      ["one.txt", 3],
      ["two.txt", 4],
    ]);
    const second = await bob.client.api.attachments.get(files[1]!.id);
    expect(new TextDecoder().decode(await bytesOf(second.download_url!))).toBe("two!");
    // An attachment goes to one message only.
    const again = await ana.client.send(room, "again", { attachmentIds: [files[0]!.id] }).catch((e) => e);
    expect(again).toBeInstanceOf(ChatdError);
    expect(again.code).toBe("conflict");
  });
});
