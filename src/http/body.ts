// Request bodies: JSON only, UTF-8 only, at most `limit` bytes, read as a stream so an oversized, too
// deeply nested or too wide (items in arrays and objects) body is refused while it arrives. An empty
// body parses as null. This is the only body parser: every route, also one that takes no body, reads
// through it — except a route that streams its body itself (`parse: "none"`, see route-table.ts: the
// blob upload), which gets the body unread and enforces its own limit.
import { Elysia } from "elysia";
import { invalidJson, payloadTooLarge, unsupportedMediaType, validationFailed } from "../domain/errors";
import { JsonScanner, parseJson } from "./json";
import type { RouteTable } from "./route-table";

const isJson = (contentType: string) => /^application\/([\w.+-]+\+)?json\b/i.test(contentType);

/**
 * JSON text is UTF-8 (RFC 8259): bytes that are not are refused, not replaced with U+FFFD, which
 * would store something else than was sent. A byte order mark is kept, so JSON.parse refuses it.
 */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

async function readLimited(request: Request, limit: number, scanner: JsonScanner | null): Promise<Buffer> {
  const length = request.headers.get("content-length");
  if (Number(length) > limit) throw payloadTooLarge(limit);
  if (!request.body) return Buffer.alloc(0);
  // A declared length within the limit bounds the body (HTTP framing): read it whole, which skips the
  // stream's per-chunk promises (about 7 % of a POST's CPU). Chunked bodies stream below.
  if (length !== null && !request.headers.has("transfer-encoding")) {
    const data = Buffer.from(await request.arrayBuffer());
    scanner?.feed(data);
    return data;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.byteLength;
    if (total > limit) throw payloadTooLarge(limit);
    scanner?.feed(chunk);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Whether a request declares a body (a length above 0, or chunks). */
const declaresBody = (request: Request) =>
  Number(request.headers.get("content-length")) > 0 || request.headers.has("transfer-encoding");

export const jsonBody = (limit: number, routes: RouteTable) =>
  new Elysia()
    .onParse({ as: "global" }, async ({ request, route }) => {
      // null (not undefined): parsing is done, Elysia tries no parser of its own.
      if (routes.shape(request.method, route)?.streamsBody) return null;
      const json = isJson(request.headers.get("content-type") ?? "");
      const data = await readLimited(request, limit, json ? new JsonScanner() : null);
      if (!json) {
        if (data.toString("utf8").trim() === "") return null;
        throw unsupportedMediaType();
      }
      let text: string;
      try {
        text = utf8.decode(data);
      } catch {
        throw invalidJson("request body is not valid UTF-8");
      }
      if (text.trim() === "") return null;
      return parseJson(text, true);
    })
    // Routes that never parse (GET, HEAD) still refuse a declared length over the limit. Bun hands no
    // body of a GET or HEAD to the application (it drops it unread), so one that is declared at all
    // is refused: it cannot be read to see whether it is `{}`, and ignoring it would lose it silently.
    .onTransform({ as: "global" }, ({ request, route }) => {
      if (routes.shape(request.method, route)?.streamsBody) return;
      if (Number(request.headers.get("content-length")) > limit) throw payloadTooLarge(limit);
      if ((request.method === "GET" || request.method === "HEAD") && declaresBody(request))
        throw validationFailed("request is invalid", [
          { field: "body", message: `a ${request.method} request takes no body` },
        ]);
    });
