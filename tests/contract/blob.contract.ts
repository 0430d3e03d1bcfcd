// The blob store contract: what every BlobStore adapter (the local directory, S3) must do alike. Bytes
// go through the signed URLs with real HTTP requests, as a client sends them: an upload is bound to
// its length and type, a download answers with the signed type and disposition, and an expired or
// tampered URL is refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { contentDisposition, newBlobKey } from "../../src/domain/attachment-rules";
import type { BlobStore } from "../../src/ports/blob";

export type BlobHarness = {
  /** A store on the harness's storage; `now` is its signing clock (the real one when absent). */
  open(now?: () => number): BlobStore;
  close(): Promise<void>;
};

/** Bytes that differ at every position within 251, so a shifted or truncated copy shows. */
export const patterned = (size: number, seed = 0) => {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i + seed) % 251;
  return bytes;
};

const HOUR = 3_600_000;

export function runBlobContract(name: string, harness: () => Promise<BlobHarness>) {
  describe(`BlobStore contract: ${name}`, () => {
    let h: BlobHarness;
    let blobs: BlobStore;
    beforeAll(async () => {
      h = await harness();
      blobs = h.open();
      await blobs.prepare();
      await blobs.prepare();
    });
    afterAll(async () => {
      await blobs.close();
      await h.close();
    });

    const put = (url: string, body: Uint8Array, headers: Record<string, string>) =>
      fetch(url, { method: "PUT", body, headers });

    test("urlOrigin names the origin of every signed URL, or is null when the URLs are chatd's own", async () => {
      const origin = await blobs.urlOrigin();
      const key = newBlobKey();
      const upload = await blobs.signUpload(key, { contentType: "image/png", size: 10 }, 60_000);
      const download = await blobs.signDownload(
        key,
        { contentType: "image/png", contentDisposition: "inline" },
        60_000,
      );
      if (origin === null) expect(blobs.endpoint).not.toBeNull();
      else for (const url of [upload.url, download.url]) expect(new URL(url).origin).toBe(origin);
    });

    test("bytes PUT to the upload URL are stored whole and come back from the download URL", async () => {
      const key = newBlobKey();
      const bytes = patterned(3 * 1024 * 1024 + 17);
      const upload = await blobs.signUpload(key, { contentType: "application/pdf", size: bytes.length }, 60_000);
      expect(upload.method).toBe("PUT");
      expect(upload.headers).toEqual({ "content-type": "application/pdf" });
      expect(upload.expiresAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
      expect(upload.url).not.toContain("report");
      const reply = await put(upload.url, bytes, upload.headers);
      expect(reply.status).toBeLessThan(300);
      expect(await blobs.stat(key)).toEqual({ size: bytes.length, contentType: "application/pdf" });

      const disposition = contentDisposition('report "final"\r\n.pdf', "application/pdf");
      const download = await blobs.signDownload(
        key,
        { contentType: "application/pdf", contentDisposition: disposition },
        60_000,
      );
      const got = await fetch(download.url);
      expect(got.status).toBe(200);
      expect(got.headers.get("content-type")).toBe("application/pdf");
      expect(got.headers.get("content-disposition")).toBe(disposition);
      expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
    });

    test("an upload of another length or content type than signed is refused and stores nothing", async () => {
      const key = newBlobKey();
      const bytes = patterned(4096);
      const upload = await blobs.signUpload(key, { contentType: "image/png", size: bytes.length }, 60_000);
      expect((await put(upload.url, bytes.slice(1), upload.headers)).status).toBe(403);
      expect((await put(upload.url, patterned(4097), upload.headers)).status).toBe(403);
      expect((await put(upload.url, bytes, { "content-type": "text/html" })).status).toBe(403);
      expect(await blobs.stat(key)).toBeNull();
      expect((await put(upload.url, bytes, upload.headers)).status).toBeLessThan(300);
    });

    test("a tampered URL is refused: another signature, another key, another disposition", async () => {
      const key = newBlobKey();
      const bytes = patterned(1000);
      const upload = await blobs.signUpload(key, { contentType: "image/png", size: bytes.length }, 60_000);
      const flipped = (url: string) =>
        url.replace(/((?:sig|X-Amz-Signature)=)([A-Za-z0-9_-])/, (_m, p, c) => `${p}${c === "A" ? "B" : "A"}`);
      expect((await put(flipped(upload.url), bytes, upload.headers)).status).toBe(403);
      const otherKey = upload.url.replace(key, newBlobKey());
      expect((await put(otherKey, bytes, upload.headers)).status).toBe(403);
      expect(await blobs.stat(key)).toBeNull();

      await put(upload.url, bytes, upload.headers);
      const download = await blobs.signDownload(
        key,
        { contentType: "image/png", contentDisposition: contentDisposition("a.png", "image/png") },
        60_000,
      );
      expect((await fetch(flipped(download.url))).status).toBe(403);
      const inlineSwap = download.url.replace(/inline/, "attachment");
      expect(inlineSwap).not.toBe(download.url);
      expect((await fetch(inlineSwap)).status).toBe(403);
      expect((await fetch(download.url)).status).toBe(200);
    });

    test("an expired upload or download URL is refused", async () => {
      const past = h.open(() => Date.now() - HOUR);
      try {
        const key = newBlobKey();
        const bytes = patterned(2048);
        const stale = await past.signUpload(key, { contentType: "image/png", size: bytes.length }, 60_000);
        expect(stale.expiresAt.getTime()).toBeLessThan(Date.now());
        expect((await put(stale.url, bytes, stale.headers)).status).toBe(403);
        expect(await blobs.stat(key)).toBeNull();

        const fresh = await blobs.signUpload(key, { contentType: "image/png", size: bytes.length }, 60_000);
        await put(fresh.url, bytes, fresh.headers);
        const spec = { contentType: "image/png", contentDisposition: contentDisposition("a.png", "image/png") };
        expect((await fetch((await past.signDownload(key, spec, 60_000)).url)).status).toBe(403);
        expect((await fetch((await blobs.signDownload(key, spec, 60_000)).url)).status).toBe(200);
      } finally {
        await past.close();
      }
    });

    test("delete removes the object and is idempotent; a missing object has no stat and downloads 404", async () => {
      const key = newBlobKey();
      const bytes = patterned(512);
      const upload = await blobs.signUpload(key, { contentType: "text/plain", size: bytes.length }, 60_000);
      await put(upload.url, bytes, upload.headers);
      expect(await blobs.stat(key)).not.toBeNull();
      await blobs.delete(key);
      await blobs.delete(key);
      expect(await blobs.stat(key)).toBeNull();
      expect(await blobs.stat(newBlobKey())).toBeNull();
      const spec = { contentType: "text/plain", contentDisposition: contentDisposition("a.txt", "text/plain") };
      expect((await fetch((await blobs.signDownload(key, spec, 60_000)).url)).status).toBe(404);
    });

    test("ping answers", async () => {
      await blobs.ping();
    });
  });
}
