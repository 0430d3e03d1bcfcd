// /v1/rooms/{id}/members, bans, roles and the audit log: membership and moderation.
import { Elysia, t } from "elysia";
import type { Rooms } from "../../domain/rooms";
import { auditView, banView, memberView } from "../../domain/views";
import { type Authenticator, authGuard } from "../auth";
import { errors, jsonBody } from "../schemas";
import {
  AuditEntry,
  Ban,
  DEFAULT_PAGE,
  Limit,
  MAX_PAGE,
  Member,
  MemberParams,
  NextCursor,
  PageQuery,
  RoomParams,
  Uuid,
} from "../schemas-chat";

export const memberRoutes = (rooms: Rooms, auth: Authenticator) =>
  new Elysia({ prefix: "/v1/rooms/:id", tags: ["members"] })
    .use(authGuard(auth))
    .get(
      "/members",
      async ({ userId, params, query }) => {
        const page = await rooms.members(userId, params.id, {
          limit: query.limit ?? DEFAULT_PAGE,
          cursor: query.cursor,
        });
        return { members: page.members.map(memberView), next_cursor: page.nextCursor };
      },
      {
        auth: true,
        params: RoomParams,
        query: PageQuery,
        response: { 200: t.Object({ members: t.Array(Member), next_cursor: NextCursor }), ...errors(400, 401, 404) },
        detail: { summary: "Members of a room, oldest join first, paged by cursor" },
      },
    )
    .get(
      "/presence",
      async ({ userId, params, query }) => {
        const page = await rooms.online(userId, params.id, {
          limit: query.limit ?? DEFAULT_PAGE,
          cursor: query.cursor,
        });
        return {
          online: page.online.map((m) => ({ user_id: m.userId, username: m.username })),
          next_cursor: page.nextCursor,
        };
      },
      {
        auth: true,
        params: RoomParams,
        query: t.Object({ limit: Limit(MAX_PAGE), cursor: t.Optional(Uuid) }, { additionalProperties: false }),
        response: {
          200: t.Object({
            online: t.Array(t.Object({ user_id: Uuid, username: t.String() })),
            next_cursor: t.Union([Uuid, t.Null()]),
          }),
          ...errors(400, 401, 404),
        },
        detail: { summary: "Members connected to the room over WebSocket right now, by user id, paged by cursor" },
      },
    )
    .post(
      "/members",
      async ({ userId, params, body, set }) => {
        const { member, created } = await rooms.invite(userId, params.id, body.user_id);
        set.status = created ? 201 : 200;
        return memberView(member);
      },
      {
        auth: true,
        params: RoomParams,
        ...jsonBody({ user_id: Uuid }),
        response: { 200: Member, 201: Member, ...errors(400, 401, 403, 404, 409) },
        detail: { summary: "Add a user to the room (owner or admin); 409 when banned or full" },
      },
    )
    .delete(
      "/members/me",
      async ({ userId, params, set }) => {
        await rooms.leave(userId, params.id);
        set.status = 204;
      },
      {
        auth: true,
        params: RoomParams,
        response: { 204: t.Void(), ...errors(401, 403, 404, 409) },
        detail: { summary: "Leave the room" },
      },
    )
    .delete(
      "/members/:user_id",
      async ({ userId, params, set }) => {
        await rooms.kick(userId, params.id, params.user_id);
        set.status = 204;
      },
      {
        auth: true,
        params: MemberParams,
        response: { 204: t.Void(), ...errors(400, 401, 403, 404) },
        detail: { summary: "Kick a member ranked below the caller (owner or admin)" },
      },
    )
    .put(
      "/members/:user_id/role",
      async ({ userId, params, body }) => memberView(await rooms.setRole(userId, params.id, params.user_id, body.role)),
      {
        auth: true,
        params: MemberParams,
        ...jsonBody({ role: t.Union([t.Literal("admin"), t.Literal("member")]) }),
        response: { 200: Member, ...errors(400, 401, 403, 404) },
        detail: { summary: "Make a member admin or member (owner only)" },
      },
    )
    .post(
      "/bans",
      async ({ userId, params, body, set }) => {
        const ban = await rooms.ban(userId, params.id, body.user_id, {
          reason: body.reason,
          expiresAt: body.expires_at ? new Date(body.expires_at) : null,
        });
        set.status = 201;
        return banView(ban);
      },
      {
        auth: true,
        params: RoomParams,
        ...jsonBody({
          user_id: Uuid,
          reason: t.Optional(
            t.Union([t.String({ maxLength: 2000, description: "at most 500 characters after trimming" }), t.Null()]),
          ),
          expires_at: t.Optional(t.Union([t.String({ format: "date-time" }), t.Null()])),
        }),
        response: { 201: Ban, ...errors(400, 401, 403, 404) },
        detail: { summary: "Ban a user (owner or admin); removes them from the room" },
      },
    )
    .delete(
      "/bans/:user_id",
      async ({ userId, params, set }) => {
        await rooms.unban(userId, params.id, params.user_id);
        set.status = 204;
      },
      {
        auth: true,
        params: MemberParams,
        response: { 204: t.Void(), ...errors(400, 401, 403, 404) },
        detail: { summary: "Lift a ban (owner or admin)" },
      },
    )
    .get(
      "/audit",
      async ({ userId, params, query }) => {
        const page = await rooms.auditLog(userId, params.id, {
          limit: query.limit ?? DEFAULT_PAGE,
          cursor: query.cursor,
        });
        return { entries: page.entries.map(auditView), next_cursor: page.nextCursor };
      },
      {
        auth: true,
        params: RoomParams,
        query: t.Object({ limit: Limit(MAX_PAGE), cursor: t.Optional(Uuid) }, { additionalProperties: false }),
        response: {
          200: t.Object({ entries: t.Array(AuditEntry), next_cursor: t.Union([Uuid, t.Null()]) }),
          ...errors(400, 401, 403, 404),
        },
        detail: { summary: "Moderation log, newest first (owner or admin), paged by cursor (an entry id)" },
      },
    );
