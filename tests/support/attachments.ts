// Attachments as a client makes them (create, PUT the bytes to the signed URL, complete), and direct
// access to what the server's blob store holds (its data dir, or its S3 bucket) to check or to plant
// an object no client could upload.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { TestUser } from "./client";
import { hasObject, putObject } from "./s3";
import type { TestServer } from "./server";

/** Bytes that differ at every position within 251, so a shifted or truncated copy shows. */
export const patterned = (size: number, seed = 0) => {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i + seed) % 251;
  return bytes;
};

export type Ticket = {
  id: string;
  upload_url: string;
  upload_method: "PUT";
  upload_headers: Record<string, string>;
  expires_at: string;
};

export async function createUpload(user: TestUser, filename: string, contentType: string, size: number) {
  const reply = await user.api.post("/v1/attachments", { filename, content_type: contentType, size });
  if (reply.status !== 201) throw new Error(`create failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body as Ticket;
}

export const putBytes = (ticket: Ticket, bytes: Uint8Array, headers = ticket.upload_headers) =>
  fetch(ticket.upload_url, { method: "PUT", body: bytes, headers });

/** Created, uploaded and completed: a ready attachment of `user`. */
export async function uploadFile(
  user: TestUser,
  options: { filename?: string; contentType?: string; bytes?: Uint8Array<ArrayBuffer> } = {},
) {
  const bytes = options.bytes ?? patterned(2048);
  const contentType = options.contentType ?? "image/png";
  const ticket = await createUpload(user, options.filename ?? "photo.png", contentType, bytes.length);
  const put = await putBytes(ticket, bytes);
  if (!put.ok) throw new Error(`upload failed: ${put.status} ${await put.text()}`);
  const done = await user.api.post(`/v1/attachments/${ticket.id}/complete`);
  if (done.status !== 200) throw new Error(`complete failed: ${done.status} ${JSON.stringify(done.body)}`);
  return { ticket, bytes, attachment: done.body, key: keyOf(ticket.upload_url) };
}

/** The object key in a signed URL (its last path segment). */
export const keyOf = (url: string) => new URL(url).pathname.split("/").at(-1) as string;

/** What the server's blob store holds, seen from behind the signed URLs. */
export const storage = (server: TestServer) => {
  const bucket = server.config.s3Bucket;
  const file = (key: string) => join(server.dataDir, "blobs", key.slice(0, 2), key);
  return {
    kind: bucket ? ("s3" as const) : ("fs" as const),
    has: async (key: string) => (bucket ? hasObject(bucket, key) : Bun.file(file(key)).exists()),
    /** Stores an object directly, as if the storage held something else than was uploaded. */
    async plant(key: string, bytes: Uint8Array, contentType: string) {
      if (bucket) return putObject(bucket, key, bytes, contentType);
      await mkdir(dirname(file(key)), { recursive: true });
      await writeFile(`${file(key)}.type`, contentType);
      await writeFile(file(key), bytes);
    },
  };
};
