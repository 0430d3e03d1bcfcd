// /v1/attachments: create an upload (a pending attachment and its signed upload URL), complete it once
// the bytes are in the store, and read one with a short-lived download URL.
import { Elysia, t } from "elysia";
import type { Attachments } from "../../domain/attachments";
import { type Authenticator, authGuard } from "../auth";
import { errors, jsonBody } from "../schemas";
import { Attachment, AttachmentUpload, Uuid } from "../schemas-chat";

const Params = t.Object({ id: Uuid });

export const attachmentRoutes = (attachments: Attachments, auth: Authenticator) =>
  new Elysia({ prefix: "/v1/attachments", tags: ["attachments"] })
    .use(authGuard(auth))
    .post(
      "",
      async ({ userId, body, set }) => {
        const ticket = await attachments.create(userId, {
          filename: body.filename,
          contentType: body.content_type,
          size: body.size,
        });
        set.status = 201;
        return ticket;
      },
      {
        auth: true,
        ...jsonBody({
          filename: t.String({ minLength: 1, maxLength: 1024, description: "kept sanitized, at most 255 characters" }),
          content_type: t.String({
            minLength: 3,
            maxLength: 255,
            description: "one of ATTACHMENT_CONTENT_TYPES (type/subtype)",
          }),
          size: t.Integer({
            minimum: 1,
            maximum: Number.MAX_SAFE_INTEGER,
            description: "bytes; at most ATTACHMENT_MAX_BYTES",
          }),
        }),
        response: { 201: AttachmentUpload, ...errors(400, 401, 413) },
        detail: {
          summary: "Start an upload: PUT the bytes to upload_url (with upload_headers), then complete it",
        },
      },
    )
    .post("/:id/complete", async ({ userId, params }) => attachments.complete(userId, params.id), {
      auth: true,
      params: Params,
      response: { 200: Attachment, ...errors(400, 401, 404, 409) },
      detail: {
        summary: "Verify the uploaded object (size and type) and make the attachment ready (uploader only)",
      },
    })
    .get("/:id", async ({ userId, params }) => attachments.get(userId, params.id), {
      auth: true,
      params: Params,
      response: { 200: Attachment, ...errors(400, 401, 404) },
      detail: {
        summary: "An attachment with a short-lived download URL: for its uploader and members of its message's room",
      },
    });
