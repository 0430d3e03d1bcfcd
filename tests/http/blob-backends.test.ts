// The whole attachment path on each blob store explicitly, whatever CHATD_TEST_BLOBS says: a few MB
// created, PUT through the signed URL, completed, sent in a message, and downloaded by another member
// of the room with the bytes checked — on the data dir, and on the test S3 server.
import { describe, expect, test } from "bun:test";
import type { Config } from "../../src/config";
import { patterned, storage, uploadFile } from "../support/attachments";
import { newUser } from "../support/client";
import { S3_HOST, S3_PORT, s3Overrides } from "../support/s3";
import { OWN_SERVER_TIMEOUT_MS, startTestServer } from "../support/server";
import { requireService } from "../support/services";

const s3 = await requireService("s3proxy", S3_HOST, S3_PORT);

const roundTrip = async (overrides: Partial<Config>, kind: "fs" | "s3") => {
  const server = await startTestServer(overrides);
  try {
    expect(storage(server).kind).toBe(kind);
    const [ana, bob] = [await newUser(server.url, "ana"), await newUser(server.url, "bob")];
    const room = (await ana.api.post("/v1/rooms", { name: "files", type: "public" })).body.id as string;
    await bob.api.post(`/v1/rooms/${room}/join`);
    const bytes = patterned(4 * 1024 * 1024 + 5, 7);
    const file = await uploadFile(ana, { filename: "big.zip", contentType: "application/zip", bytes });
    expect(await storage(server).has(file.key)).toBe(true);
    const sent = await ana.api.post(`/v1/rooms/${room}/messages`, { content: "big", attachment_ids: [file.ticket.id] });
    expect(sent.body.attachments).toEqual([
      { id: file.ticket.id, filename: "big.zip", content_type: "application/zip", size: bytes.length },
    ]);
    const shown = await bob.api.get(`/v1/attachments/${file.ticket.id}`);
    const download = await fetch(shown.body.download_url);
    expect(download.headers.get("content-disposition")).toStartWith("attachment;");
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);
    expect((await server.backends.blobs.stat(file.key))?.size).toBe(bytes.length);
  } finally {
    await server.close();
  }
};

describe("attachments end to end on each blob store", () => {
  test("the data dir (chatd's own signed URLs)", () => roundTrip({ s3Bucket: undefined }, "fs"), OWN_SERVER_TIMEOUT_MS);
});

s3.describe("attachments end to end on each blob store", () => {
  test("S3 (presigned URLs)", () => roundTrip(s3Overrides(), "s3"), OWN_SERVER_TIMEOUT_MS);
});
