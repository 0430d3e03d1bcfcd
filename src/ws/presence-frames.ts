// The WebSocket frames of user-level presence: the client's presence.set and presence.watch, the
// replies presence.status and presence.watched, and the user.presence event. Spread into the client
// and server frame tables (protocol.ts, frames.ts), so the AsyncAPI document and the SDK list them.
import { t } from "elysia";

/** Most user ids one presence.watch may name. */
export const MAX_WATCHED = 200;

const Id = t.String({ format: "uuid" });
const ClientRef = t.Optional(t.String({ maxLength: 128, description: "echoed on the reply or error for this frame" }));
const ServerRef = t.Optional(t.String({ description: "the ref of the client frame this answers" }));
const Status = t.Union([t.Literal("online"), t.Literal("idle"), t.Literal("offline")]);
const LastSeen = t.Union([t.String({ format: "date-time" }), t.Null()], {
  description: "the last time the user was online (null: never)",
});

export const presenceClientFrames = {
  "presence.set": t.Object(
    {
      type: t.Literal("presence.set"),
      ref: ClientRef,
      status: t.Union([t.Literal("online"), t.Literal("idle")], {
        description: "idle holds until the client sets online again; online also counts as activity",
      }),
    },
    { additionalProperties: false },
  ),
  "presence.watch": t.Object(
    {
      type: t.Literal("presence.watch"),
      ref: ClientRef,
      user_ids: t.Array(Id, {
        maxItems: MAX_WATCHED,
        description:
          "replaces the connection's watched list; only users who share a room or DM with the caller are watched, the others are answered as unknown",
      }),
    },
    { additionalProperties: false },
  ),
};

const frame = <K extends string, T extends Parameters<typeof t.Object>[0]>(type: K, fields: T, description: string) =>
  t.Object({ type: t.Literal(type), ...fields }, { additionalProperties: false, description });

export const presenceServerFrames = {
  "presence.status": frame(
    "presence.status",
    { ref: ServerRef, status: t.Union([t.Literal("online"), t.Literal("idle")]) },
    "the reply to presence.set: this connection's status now",
  ),
  "presence.watched": frame(
    "presence.watched",
    {
      ref: ServerRef,
      users: t.Array(
        t.Object(
          {
            user_id: Id,
            status: t.Union([Status, t.Literal("unknown")], {
              description: "unknown: not watched (shares no room or DM with the caller, or no such user)",
            }),
            last_seen_at: LastSeen,
          },
          { additionalProperties: false },
        ),
        { description: "one per distinct id asked, in order" },
      ),
    },
    "the reply to presence.watch: the watched users' presence now; user.presence events follow",
  ),
  "user.presence": frame(
    "user.presence",
    { user_id: Id, status: Status, last_seen_at: LastSeen },
    "a watched user's or a DM partner's status changed (at most about one per user per second, the latest state); " +
      "also sent right after the connection opens for each DM partner who is online or idle",
  ),
};
