// PUT/GET /v1/blobs/{key}: the embedded blob store's own signed URLs (no bearer token: the signature
// is the authorization). The upload streams its body straight to the store (`parse: "none"`: the JSON
// body parser and its MAX_BODY_BYTES leave it alone; ATTACHMENT_MAX_BYTES applies instead).
import { Elysia, t } from "elysia";
import type { BlobEndpoint } from "../../ports/blob";
import { errors, PUBLIC } from "../schemas";

const Params = t.Object({
  key: t.String({ pattern: "^[A-Za-z0-9_-]{43}$", description: "an object key, as the signed URL has it" }),
});
const Expires = t.String({ pattern: "^[0-9]{1,12}$", description: "Unix time (seconds) the URL is valid until" });
const Sig = t.String({ maxLength: 128, description: "HMAC-SHA256 signature of the URL" });

const declaredLength = (header: string | null) =>
  header !== null && /^\d{1,16}$/.test(header) ? Number(header) : null;

export const blobRoutes = (endpoint: BlobEndpoint) =>
  new Elysia({ prefix: "/v1/blobs", tags: ["attachments"] })
    .put(
      "/:key",
      async ({ params, query, request, set }) => {
        await endpoint.receive(params.key, {
          query,
          contentType: request.headers.get("content-type"),
          contentLength: declaredLength(request.headers.get("content-length")),
          body: request.body,
        });
        set.status = 204;
      },
      {
        parse: "none",
        params: Params,
        query: t.Object({ expires: Expires, sig: Sig }, { additionalProperties: false }),
        response: { 204: t.Void(), ...errors(400, 403, 409, 413) },
        detail: {
          ...PUBLIC,
          summary: "Upload an attachment's bytes to a signed upload URL (exactly the signed length and type)",
        },
      },
    )
    .get(
      "/:key",
      async ({ params, query }) => {
        const download = await endpoint.open(params.key, query);
        return new Response(download.body, {
          headers: {
            "content-type": download.contentType,
            "content-disposition": download.contentDisposition,
            "content-length": String(download.size),
          },
        });
      },
      {
        params: Params,
        query: t.Object(
          {
            expires: Expires,
            type: t.String({ maxLength: 255 }),
            disposition: t.String({ maxLength: 2048 }),
            sig: Sig,
          },
          { additionalProperties: false },
        ),
        response: {
          200: t.String({ format: "binary", description: "the object's bytes, with the signed type and disposition" }),
          ...errors(400, 403, 404),
        },
        detail: { ...PUBLIC, summary: "Download an attachment from a signed download URL" },
      },
    );
