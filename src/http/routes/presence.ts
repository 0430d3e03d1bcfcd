// GET /v1/users/presence: users' online/idle/offline status and last_seen_at, for the users who share a
// room or DM with the caller; everyone else (and every unknown id) is `unknown`, alike.
import { Elysia, t } from "elysia";
import { validationFailed } from "../../domain/errors";
import type { UserPresences } from "../../domain/user-presence";
import { type Authenticator, authGuard } from "../auth";
import { errors } from "../schemas";
import { Uuid } from "../schemas-chat";

/** Most ids one request may ask about. */
export const MAX_PRESENCE_IDS = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const UserPresenceView = t.Object({
  user_id: Uuid,
  status: t.Union([t.Literal("online"), t.Literal("idle"), t.Literal("offline"), t.Literal("unknown")], {
    description: "unknown: a user who shares no room or DM with the caller, or no such user (not told apart)",
  }),
  last_seen_at: t.Union([t.String({ format: "date-time" }), t.Null()], {
    description: "the last time the user was online (null: never, or unknown)",
  }),
});

/** The ids of `ids=a,b,...`: 1..200 UUIDs (lower-cased; repeats count once). Throws validation_failed. */
export function parseIds(raw: string | undefined): string[] {
  const fail = (message: string) => validationFailed(message, [{ field: "ids", message }]);
  if (raw === undefined || raw.trim() === "") throw fail("ids: required, comma-separated user ids");
  const parts = raw.split(",");
  if (parts.length > MAX_PRESENCE_IDS) throw fail(`ids: at most ${MAX_PRESENCE_IDS} ids`);
  const ids = parts.map((part) => part.trim());
  const bad = ids.findIndex((id) => !UUID.test(id));
  if (bad >= 0) throw fail(`ids: item ${bad + 1} is not a user id (UUID)`);
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

export const presenceRoutes = (presences: UserPresences, auth: Authenticator) =>
  new Elysia({ prefix: "/v1/users", tags: ["users"] })
    .use(authGuard(auth))
    .get("/presence", async ({ userId, query }) => ({ users: await presences.lookup(userId, parseIds(query.ids)) }), {
      auth: true,
      query: t.Object(
        {
          ids: t.Optional(
            t.String({
              maxLength: 10_000,
              description: `comma-separated user ids, 1 to ${MAX_PRESENCE_IDS}`,
            }),
          ),
        },
        { additionalProperties: false },
      ),
      response: {
        200: t.Object({
          users: t.Array(UserPresenceView, { description: "one per distinct id, in the order asked" }),
        }),
        ...errors(400, 401, 429, 503),
      },
      detail: { summary: "Users' presence (online, idle, offline) and last seen time" },
    });
