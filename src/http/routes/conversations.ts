// /v1/dms and /v1/unread: direct messages and unread counts across the caller's rooms.
import { Elysia, t } from "elysia";
import type { Conversations } from "../../domain/conversations";
import { roomView } from "../../domain/views";
import { type Authenticator, authGuard } from "../auth";
import { errors, jsonBody } from "../schemas";
import { DEFAULT_PAGE, Message, NextCursor, PageQuery, Room, Uuid } from "../schemas-chat";

export const conversationRoutes = (conversations: Conversations, auth: Authenticator) =>
  new Elysia({ prefix: "/v1", tags: ["conversations"] })
    .use(authGuard(auth))
    .post(
      "/dms",
      async ({ userId, body, set }) => {
        const { room, created } = await conversations.openDm(userId, body.user_id);
        set.status = created ? 201 : 200;
        return roomView(room);
      },
      {
        auth: true,
        ...jsonBody({ user_id: Uuid }),
        response: { 200: Room, 201: Room, ...errors(400, 401, 404) },
        detail: { summary: "The DM room with a user: 201 when created, 200 when it existed" },
      },
    )
    .get(
      "/dms",
      async ({ userId, query }) => {
        const page = await conversations.listDms(userId, { limit: query.limit ?? DEFAULT_PAGE, cursor: query.cursor });
        return {
          conversations: page.conversations.map((c) => ({
            room: roomView(c.room),
            other_user: c.other ? { id: c.other.id, username: c.other.username } : null,
            last_message: c.lastMessage,
            unread: c.unread,
          })),
          next_cursor: page.nextCursor,
        };
      },
      {
        auth: true,
        query: PageQuery,
        response: {
          200: t.Object({
            conversations: t.Array(
              t.Object({
                room: Room,
                other_user: t.Union([t.Object({ id: Uuid, username: t.String() }), t.Null()]),
                last_message: t.Union([Message, t.Null()]),
                unread: t.Integer(),
              }),
            ),
            next_cursor: NextCursor,
          }),
          ...errors(400, 401),
        },
        detail: { summary: "The caller's DMs, most recent activity first, paged by cursor" },
      },
    )
    .get(
      "/unread",
      async ({ userId, query }) => {
        const page = await conversations.unread(userId, { limit: query.limit ?? DEFAULT_PAGE, cursor: query.cursor });
        return {
          rooms: page.rooms.map((r) => ({ room_id: r.roomId, unread: r.unread, mention: r.mention })),
          next_cursor: page.nextCursor,
        };
      },
      {
        auth: true,
        query: PageQuery,
        response: {
          200: t.Object({
            rooms: t.Array(t.Object({ room_id: Uuid, unread: t.Integer(), mention: t.Boolean() })),
            next_cursor: NextCursor,
          }),
          ...errors(400, 401),
        },
        detail: {
          summary:
            "Unread counts (up to 1000) of the caller's rooms in join order, paged by cursor; mention: one of them @mentions the caller",
        },
      },
    );
