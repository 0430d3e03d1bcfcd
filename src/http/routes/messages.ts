// /v1/rooms/{id}/messages, reactions and read markers.
import { withHeaders } from "@elysiajs/openapi";
import { Elysia, t } from "elysia";
import type { Messages } from "../../domain/messages";
import { type Authenticator, authGuard } from "../auth";
import { errors, jsonBody } from "../schemas";
import { Limit, Message, MessageParams, ReactionParams, RoomParams, Uuid } from "../schemas-chat";

const ClientId = t.String({ minLength: 1, maxLength: 64 });

export const messageRoutes = (messages: Messages, auth: Authenticator) =>
  new Elysia({ prefix: "/v1/rooms/:id", tags: ["messages"] })
    .use(authGuard(auth))
    .post(
      "/messages",
      async ({ userId, params, body, set }) => {
        const { message, created } = await messages.send(userId, params.id, {
          content: body.content,
          clientId: body.client_id,
          replyTo: body.reply_to,
          threadRoot: body.thread_root,
          attachmentIds: body.attachment_ids,
        });
        set.status = 201;
        if (!created) set.headers["idempotent-replayed"] = "true";
        return message;
      },
      {
        auth: true,
        params: RoomParams,
        ...jsonBody({
          content: t.String({ maxLength: 100_000 }),
          client_id: t.Optional(t.Union([ClientId, t.Null()])),
          reply_to: t.Optional(t.Union([Uuid, t.Null()])),
          thread_root: t.Optional(
            t.Union([Uuid, t.Null()], {
              description: "send as a reply in this message's thread (threads do not nest)",
            }),
          ),
          attachment_ids: t.Optional(t.Array(Uuid, { maxItems: 10 })),
        }),
        response: {
          201: withHeaders(Message, {
            "Idempotent-Replayed": t.Literal("true", { description: "present when a repeated client_id replays" }),
          }),
          ...errors(400, 401, 403, 404, 429),
        },
        detail: {
          summary: "Send a message; a repeated client_id returns the first message (header Idempotent-Replayed: true)",
        },
      },
    )
    .get(
      "/messages",
      async ({ userId, params, query }) => {
        const page = await messages.history(userId, params.id, {
          limit: query.limit ?? 50,
          before: query.before,
          after: query.after,
        });
        return { messages: page.messages, has_more: page.hasMore };
      },
      {
        auth: true,
        params: RoomParams,
        query: t.Object(
          { limit: Limit(200), before: t.Optional(Uuid), after: t.Optional(Uuid) },
          { additionalProperties: false },
        ),
        response: {
          200: t.Object({ messages: t.Array(Message), has_more: t.Boolean() }),
          ...errors(400, 401, 403, 404),
        },
        detail: {
          summary: "History: newest first (before=cursor: older ones), or after=cursor: newer ones, oldest first",
        },
      },
    )
    .patch(
      "/messages/:mid",
      async ({ userId, params, body }) => messages.edit(userId, params.id, params.mid, body.content),
      {
        auth: true,
        params: MessageParams,
        ...jsonBody({ content: t.String({ maxLength: 100_000 }) }),
        response: { 200: Message, ...errors(400, 401, 403, 404, 409) },
        detail: { summary: "Edit a message (author only); sets edited_at" },
      },
    )
    .delete(
      "/messages/:mid",
      async ({ userId, params, set }) => {
        await messages.delete(userId, params.id, params.mid);
        set.status = 204;
      },
      {
        auth: true,
        params: MessageParams,
        response: { 204: t.Void(), ...errors(400, 401, 403, 404) },
        detail: { summary: "Delete a message (author, or owner/admin: audited); leaves a tombstone" },
      },
    )
    .put(
      "/messages/:mid/reactions/:emoji",
      async ({ userId, params, set }) => {
        await messages.react(userId, params.id, params.mid, params.emoji, true);
        set.status = 204;
      },
      {
        auth: true,
        params: ReactionParams,
        response: { 204: t.Void(), ...errors(400, 401, 403, 404, 409) },
        detail: { summary: "Add the caller's reaction (idempotent)" },
      },
    )
    .delete(
      "/messages/:mid/reactions/:emoji",
      async ({ userId, params, set }) => {
        await messages.react(userId, params.id, params.mid, params.emoji, false);
        set.status = 204;
      },
      {
        auth: true,
        params: ReactionParams,
        response: { 204: t.Void(), ...errors(400, 401, 403, 404, 409) },
        detail: { summary: "Remove the caller's reaction (idempotent)" },
      },
    )
    .post(
      "/read",
      async ({ userId, params, body }) => ({
        room_id: params.id,
        message_id: await messages.markRead(userId, params.id, body.message_id),
      }),
      {
        auth: true,
        params: RoomParams,
        ...jsonBody({ message_id: Uuid }),
        response: { 200: t.Object({ room_id: Uuid, message_id: Uuid }), ...errors(400, 401, 403, 404) },
        detail: { summary: "Move the caller's read marker forward to a message" },
      },
    );
