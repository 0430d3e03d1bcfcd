// Request bodies: JSON only, at most `limit` bytes, read as a stream so an oversized or too deeply
// nested body is refused while it arrives, without buffering it. An empty body parses as null. This
// is the only body parser: every route, also one that takes no body, reads through it — except a
// route that streams its body itself (`parse: "none"`, see route-table.ts: the blob upload), which
// gets the body unread and enforces its own limit.
import { Elysia } from "elysia";
import { payloadTooLarge, unsupportedMediaType } from "../domain/errors";
import { DepthScanner, parseJson } from "./json";
import type { RouteTable } from "./route-table";

const isJson = (contentType: string) => /^application\/([\w.+-]+\+)?json\b/i.test(contentType);

async function readLimited(request: Request, limit: number, scanner: DepthScanner | null): Promise<string> {
  if (Number(request.headers.get("content-length")) > limit) throw payloadTooLarge(limit);
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.byteLength;
    if (total > limit) throw payloadTooLarge(limit);
    scanner?.feed(chunk);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export const jsonBody = (limit: number, routes: RouteTable) =>
  new Elysia()
    .onParse({ as: "global" }, async ({ request, route }) => {
      // null (not undefined): parsing is done, Elysia tries no parser of its own.
      if (routes.shape(request.method, route)?.streamsBody) return null;
      const json = isJson(request.headers.get("content-type") ?? "");
      const text = await readLimited(request, limit, json ? new DepthScanner() : null);
      if (text.trim() === "") return null;
      if (!json) throw unsupportedMediaType();
      return parseJson(text, true);
    })
    // Routes that never parse (GET, HEAD) still refuse a declared length over the limit; Bun drops
    // the unread body.
    .onTransform({ as: "global" }, ({ request, route }) => {
      if (routes.shape(request.method, route)?.streamsBody) return;
      if (Number(request.headers.get("content-length")) > limit) throw payloadTooLarge(limit);
    });
