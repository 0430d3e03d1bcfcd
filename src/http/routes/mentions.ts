// /v1/mentions: the messages that mention the caller, across the rooms they are in, newest first.
import { Elysia, t } from "elysia";
import type { MentionInbox } from "../../domain/mention-inbox";
import { type Authenticator, authGuard } from "../auth";
import { errors } from "../schemas";
import { DEFAULT_PAGE, Message, NextCursor, PageQuery, Uuid } from "../schemas-chat";

export const mentionRoutes = (mentions: MentionInbox, auth: Authenticator) =>
  new Elysia({ prefix: "/v1", tags: ["conversations"] }).use(authGuard(auth)).get(
    "/mentions",
    async ({ userId, query }) => {
      const page = await mentions.list(userId, { limit: query.limit ?? DEFAULT_PAGE, cursor: query.cursor });
      return { mentions: page.mentions, next_cursor: page.nextCursor };
    },
    {
      auth: true,
      query: PageQuery,
      response: {
        200: t.Object({
          mentions: t.Array(
            t.Object({
              room_id: Uuid,
              message: Message,
              unread: t.Boolean({ description: "after the caller's read marker of the room" }),
            }),
          ),
          next_cursor: NextCursor,
        }),
        ...errors(400, 401),
      },
      detail: {
        summary: "Messages that mention the caller, newest first, in rooms they are still in; paged by cursor",
      },
    },
  );
