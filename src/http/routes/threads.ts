// /v1/rooms/{id}/threads/{root}/messages: a thread's replies, paged like history.
import { Elysia, t } from "elysia";
import type { Threads } from "../../domain/threads";
import { type Authenticator, authGuard } from "../auth";
import { errors } from "../schemas";
import { Limit, Message, Uuid } from "../schemas-chat";

export const threadRoutes = (threads: Threads, auth: Authenticator) =>
  new Elysia({ prefix: "/v1/rooms/:id", tags: ["messages"] }).use(authGuard(auth)).get(
    "/threads/:root/messages",
    async ({ userId, params, query }) => {
      const page = await threads.page(userId, params.id, params.root, {
        limit: query.limit ?? 50,
        before: query.before,
        after: query.after,
      });
      return { root: page.root, messages: page.messages, has_more: page.hasMore };
    },
    {
      auth: true,
      params: t.Object({ id: Uuid, root: Uuid }),
      query: t.Object(
        { limit: Limit(200), before: t.Optional(Uuid), after: t.Optional(Uuid) },
        { additionalProperties: false },
      ),
      response: {
        200: t.Object({ root: Message, messages: t.Array(Message), has_more: t.Boolean() }),
        ...errors(400, 401, 403, 404),
      },
      detail: {
        summary:
          "A thread's live replies, like history: newest first (before=cursor: older), or after=cursor: newer, oldest first",
      },
    },
  );
