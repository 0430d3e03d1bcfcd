// /v1/search/messages: plain-text message search over the caller's rooms, with the index's watermark.
import { Elysia, t } from "elysia";
import type { Search } from "../../domain/search";
import { MAX_QUERY_LENGTH, MAX_TERMS } from "../../domain/search-query";
import { type Authenticator, authGuard } from "../auth";
import { errors } from "../schemas";
import { Cursor, DEFAULT_PAGE, Limit, MAX_PAGE, Message, NextCursor, Uuid } from "../schemas-chat";

const SearchResult = t.Object({
  message: Message,
  highlights: t.Array(t.String(), {
    maxItems: 3,
    description:
      "up to 3 fragments of the content, HTML-escaped, each match wrapped in <mark></mark> (the only markup); at most about 300 characters each",
  }),
});

export const searchRoutes = (search: Search, auth: Authenticator) =>
  new Elysia({ prefix: "/v1/search", tags: ["search"] }).use(authGuard(auth)).get(
    "/messages",
    async ({ userId, query }) => {
      const found = await search.messages(userId, {
        q: query.q ?? "",
        roomId: query.room_id,
        limit: query.limit ?? DEFAULT_PAGE,
        cursor: query.cursor,
      });
      return {
        results: found.results,
        next_cursor: found.nextCursor,
        indexed_through: found.indexedThrough?.toISOString() ?? null,
      };
    },
    {
      auth: true,
      query: t.Object(
        {
          // Required, checked by the domain (after authentication, like every route's input).
          q: t.Optional(
            t.String({
              // The domain counts code points after trimming; this bounds the raw text.
              maxLength: MAX_QUERY_LENGTH * 4,
              description: `plain text, at most ${MAX_QUERY_LENGTH} characters and ${MAX_TERMS} terms: words, "phrases", prefix* (2+ letters before *); every term must match`,
            }),
          ),
          room_id: t.Optional(Uuid),
          limit: Limit(MAX_PAGE),
          cursor: Cursor,
        },
        { additionalProperties: false },
      ),
      response: {
        200: t.Object({
          results: t.Array(SearchResult),
          next_cursor: NextCursor,
          indexed_through: t.Union([t.String({ format: "date-time" }), t.Null()], {
            description:
              "every message created or edited at or before this time is searchable; null before anything was indexed",
          }),
        }),
        ...errors(400, 401, 403, 404, 501, 503),
      },
      detail: {
        summary:
          "Search messages of the caller's rooms (or one room), newest first; results are messages as history shows them",
      },
    },
  );
