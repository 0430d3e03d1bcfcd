// The server → client frames of the WebSocket protocol as TypeBox schemas: the replies (hello,
// subscribed, unsubscribed, ack, pong, error) and every room event (events.ts). They are what the
// AsyncAPI document (asyncapi.ts) publishes and what the SDK's frame types are generated from, and a
// test validates every frame the server really sends against them, so the three cannot drift apart.
import { type Static, type TSchema, t } from "elysia";
import type { PositionedEvent, RoomEvent } from "../domain/events";
import { Message, Room, ThreadSummary } from "../http/schemas-chat";

const Id = t.String({ format: "uuid" });
const Ref = t.Optional(t.String({ description: "the ref of the client frame this answers" }));
const Seq = t.Integer({ minimum: 1, description: "the room position of this event" });
const Role = t.Union([t.Literal("owner"), t.Literal("admin"), t.Literal("member")]);

const frame = <K extends string, T extends Parameters<typeof t.Object>[0]>(type: K, fields: T, description: string) =>
  t.Object({ type: t.Literal(type), ...fields }, { additionalProperties: false, description });

/** A durable room event: it carries `room_id` and its room position `seq`. */
const durable = <K extends string, T extends Parameters<typeof t.Object>[0]>(type: K, fields: T, description: string) =>
  frame(type, { room_id: Id, ...fields, seq: Seq }, description);

const reaction = { message_id: Id, emoji: t.String(), user_id: Id };

/** Durable room events by type, each with its position; `subscribed.missed` replays them. */
export const durableEvents = {
  "message.created": durable("message.created", { message: Message }, "a message was sent"),
  "message.updated": durable("message.updated", { message: Message }, "a message was edited"),
  "message.deleted": durable("message.deleted", { message_id: Id }, "a message was deleted (now a tombstone)"),
  "reaction.added": durable("reaction.added", reaction, "a user added a reaction"),
  "reaction.removed": durable("reaction.removed", reaction, "a user removed a reaction"),
  "member.joined": durable("member.joined", { user_id: Id, username: t.String(), role: Role }, "a user joined"),
  "member.left": durable("member.left", { user_id: Id }, "a member left"),
  "member.kicked": durable("member.kicked", { user_id: Id }, "a member was kicked"),
  "member.banned": durable("member.banned", { user_id: Id }, "a member was banned"),
  "member.role_changed": durable("member.role_changed", { user_id: Id, role: Role }, "a member's role changed"),
  "message.pinned": durable(
    "message.pinned",
    { message_id: Id, user_id: Id },
    "a moderator (user_id) pinned a message (GET /v1/rooms/{id}/pins lists them)",
  ),
  "message.unpinned": durable(
    "message.unpinned",
    { message_id: Id, user_id: Id },
    "a message was unpinned: by a moderator, or because user_id deleted it",
  ),
  "thread.updated": durable(
    "thread.updated",
    {
      root_id: Id,
      thread: t.Union([ThreadSummary, t.Null()], { description: "null: the root has no live replies left" }),
    },
    "a thread's summary changed (a reply was sent or deleted); it follows the reply's own event",
  ),
  "room.updated": durable("room.updated", { room: Room }, "the room's settings changed"),
  "room.deleted": durable("room.deleted", {}, "the room was deleted"),
};

/** Ephemeral room events: no position, never replayed. */
export const ephemeralEvents = {
  typing: frame("typing", { room_id: Id, user_id: Id, username: t.String() }, "a member is typing (not to the typist)"),
  presence: frame(
    "presence",
    { room_id: Id, user_id: Id, username: t.String(), status: t.Union([t.Literal("joined"), t.Literal("left")]) },
    "a user's first connection subscribed to the room, or their last one left it",
  ),
  read: frame("read", { room_id: Id, user_id: Id, message_id: Id }, "a member's read marker moved"),
};

const DurableEvent = t.Union(Object.values(durableEvents));

/** The replies to client frames and the frames the server sends on its own. */
export const replyFrames = {
  hello: frame(
    "hello",
    {
      session_id: t.String({ description: "this connection's id" }),
      user: t.Object({ id: Id, username: t.String() }, { additionalProperties: false }),
      heartbeat_interval_ms: t.Integer({ minimum: 1, description: "the server pings a socket silent this long" }),
    },
    "sent once, right after the connection opens",
  ),
  subscribed: frame(
    "subscribed",
    {
      ref: Ref,
      room_id: Id,
      missed: t.Array(DurableEvent, { description: "the room's durable events after `since`, in position order" }),
      recovered: t.Boolean({ description: "whether `missed` holds every event after `since`" }),
      seq: t.Integer({ minimum: 0, description: "the room position this reply is complete through" }),
    },
    "the reply to subscribe: live events follow from seq + 1",
  ),
  unsubscribed: frame(
    "unsubscribed",
    {
      ref: Ref,
      room_id: Id,
      reason: t.Optional(
        t.Union([t.Literal("left"), t.Literal("kicked"), t.Literal("banned"), t.Literal("room_deleted")], {
          description: "set when the server took the socket out of the room; nothing more comes from it",
        }),
      ),
    },
    "the reply to unsubscribe, or the end of a subscription the server decided",
  ),
  ack: frame("ack", { ref: Ref, message: Message }, "the reply to message.send: the stored message"),
  pong: frame("pong", { ref: Ref }, "the reply to ping"),
  error: frame(
    "error",
    {
      ref: Ref,
      code: t.String({
        description:
          "invalid_frame, unknown_type, validation_failed, not_member, not_found, rate_limited, " +
          "content_too_long, conflict, unavailable (retryable), internal",
      }),
      message: t.String(),
      retry_after_ms: t.Optional(t.Integer({ minimum: 0, description: "with rate_limited: when to try again" })),
    },
    "a frame was refused; the connection stays open",
  ),
};

/** Events for one user, on every socket of theirs whatever rooms it subscribed to. */
export const userFrames = {
  mention: frame(
    "mention",
    { room_id: Id, message: Message },
    "a message mentions you (@username, or @here from a moderator); also listed by GET /v1/mentions",
  ),
};

/** Every server → client frame by type. */
export const serverFrames: Record<string, TSchema> = {
  ...replyFrames,
  ...durableEvents,
  ...ephemeralEvents,
  ...userFrames,
};

// The schemas describe what the domain publishes: a change to the event types that the schemas do
// not follow stops the type check here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SchemaEvent = Static<(typeof durableEvents)[keyof typeof durableEvents]>;
type SchemaEphemeral = Static<(typeof ephemeralEvents)[keyof typeof ephemeralEvents]>;
const durableMatches: Same<SchemaEvent["type"], PositionedEvent["type"]> = true;
const allMatch: Same<SchemaEvent["type"] | SchemaEphemeral["type"], RoomEvent["type"]> = true;
void durableMatches;
void allMatch;
