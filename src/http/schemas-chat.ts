// TypeBox schemas of rooms, members, messages and their queries, for routes and the OpenAPI document.
import { t } from "elysia";
import { component, JsonInteger } from "./schemas";

export const Uuid = t.String({ format: "uuid" });
export const RoomParams = t.Object({ id: Uuid });
export const MemberParams = t.Object({ id: Uuid, user_id: Uuid });
export const MessageParams = t.Object({ id: Uuid, mid: Uuid });
export const ReactionParams = t.Object({
  id: Uuid,
  mid: Uuid,
  emoji: t.String({
    minLength: 1,
    maxLength: 64,
    pattern: "^[^\\s\\u0000-\\u001f]+$",
    description: "one emoji (an RGI emoji sequence) or a :short_name: of up to 32 of a-z 0-9 _ + -",
  }),
});

const Nullable = <T extends Parameters<typeof t.Union>[0][number]>(schema: T, description?: string) =>
  t.Union([schema, t.Null()], description ? { description } : {});
const Time = t.String({ format: "date-time" });

// Text lengths are checked by the domain in code points after trimming (domain/text.ts); the schema
// bounds only the raw input.
export const RoomName = t.String({
  minLength: 1,
  maxLength: 400,
  description: "at most 100 characters (code points) after trimming, at least one visible",
});
export const RoomDescription = Nullable(
  t.String({ maxLength: 4000, description: "at most 1000 characters after trimming; nothing visible clears it" }),
);
export const MaxMembers = Nullable(JsonInteger({ minimum: 1, maximum: 100_000 }));

export const Room = component(
  "Room",
  t.Object({
    id: Uuid,
    type: t.Union([t.Literal("public"), t.Literal("private"), t.Literal("dm")]),
    name: t.String(),
    description: Nullable(t.String()),
    max_members: Nullable(t.Integer()),
    owner_id: Uuid,
    member_count: t.Integer(),
    created_at: Time,
  }),
);

export const Member = component(
  "Member",
  t.Object({ user_id: Uuid, username: t.String(), role: t.String(), joined_at: Time }),
);

export const Ban = component(
  "Ban",
  t.Object({
    user_id: Uuid,
    banned_by: Uuid,
    reason: Nullable(t.String()),
    expires_at: Nullable(Time),
    created_at: Time,
  }),
);

export const AuditEntry = component(
  "AuditEntry",
  t.Object({
    id: Uuid,
    action: t.String(),
    actor_id: Uuid,
    target_user_id: Nullable(Uuid),
    message_id: Nullable(Uuid),
    details: t.Record(t.String(), t.Unknown()),
    created_at: Time,
  }),
);

export const ThreadSummary = component(
  "ThreadSummary",
  t.Object({
    reply_count: t.Integer({ minimum: 1, description: "live (not deleted) replies" }),
    last_reply_at: Time,
  }),
);

export const Message = component(
  "Message",
  t.Object({
    id: Uuid,
    seq: t.Integer({ minimum: 0, description: "the room position of the message's creation" }),
    room_id: Uuid,
    author_id: Uuid,
    author_username: t.String(),
    content: t.String(),
    created_at: Time,
    edited_at: Nullable(Time),
    deleted: t.Boolean(),
    reply_to: Nullable(Uuid),
    thread_root: Nullable(Uuid, "the thread root this message is a reply in; null: not a thread reply"),
    thread: Nullable(ThreadSummary, "a thread root's replies; null when it has none"),
    mentions: t.Array(Uuid, {
      description: "the users the message mentions (room members, resolved when sent or edited)",
    }),
    attachments: t.Array(t.Object({ id: Uuid, filename: t.String(), content_type: t.String(), size: t.Integer() })),
    reactions: t.Array(t.Object({ emoji: t.String(), count: t.Integer(), me: t.Boolean() })),
    client_id: Nullable(t.String()),
  }),
);

/** `limit` query parameter: default and maximum per route. */
export const Limit = (max: number) =>
  t.Optional(t.Integer({ minimum: 1, maximum: max, description: `default 50, at most ${max}` }));

/** Every list but message history pages the same way: `limit` (default 50) and the `cursor` of a page. */
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;
/** The `cursor` query parameter: a `next_cursor` the list returned, handed back unchanged. */
export const Cursor = t.Optional(
  t.String({ minLength: 1, maxLength: 200, description: "next_cursor of the previous page" }),
);
export const NextCursor = t.Union([t.String(), t.Null()], {
  description: "the cursor of the next page; null at the end",
});
export const PageQuery = t.Object({ limit: Limit(MAX_PAGE), cursor: Cursor }, { additionalProperties: false });

export const AttachmentUpload = component(
  "AttachmentUpload",
  t.Object({
    id: Uuid,
    upload_url: t.String({ description: "PUT the bytes here, with upload_headers, before expires_at" }),
    upload_method: t.Literal("PUT"),
    upload_headers: t.Record(t.String(), t.String()),
    expires_at: Time,
  }),
);

export const Attachment = component(
  "Attachment",
  t.Object({
    id: Uuid,
    filename: t.String(),
    content_type: t.String(),
    size: t.Integer({ minimum: 1 }),
    status: t.Union([t.Literal("pending"), t.Literal("ready")]),
    download_url: Nullable(t.String({ description: "short-lived signed URL; null while pending" })),
    expires_at: Nullable(Time),
  }),
);
