// Request bodies: JSON only, at most `limit` bytes, read as a stream so an oversized body is refused
// without buffering it. An empty body parses as null.
import { Elysia } from "elysia";
import { invalidJson, payloadTooLarge, unsupportedMediaType } from "../domain/errors";

const isJson = (contentType: string) => /^application\/([\w.+-]+\+)?json\b/i.test(contentType);

async function readLimited(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length"));
  if (declared > limit) throw payloadTooLarge(limit);
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.byteLength;
    if (total > limit) throw payloadTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export const jsonBody = (limit: number) =>
  new Elysia().onParse({ as: "global" }, async ({ request }) => {
    const text = await readLimited(request, limit);
    if (text.trim() === "") return null;
    if (!isJson(request.headers.get("content-type") ?? "")) throw unsupportedMediaType();
    try {
      return JSON.parse(text);
    } catch {
      throw invalidJson();
    }
  });
