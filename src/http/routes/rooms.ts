// /v1/rooms: create, list, read, update, delete and join rooms.
import { Elysia, t } from "elysia";
import type { Rooms } from "../../domain/rooms";
import { roomView } from "../../domain/views";
import { type Authenticator, authGuard } from "../auth";
import { errors, jsonBody } from "../schemas";
import {
  DEFAULT_PAGE,
  Limit,
  MAX_PAGE,
  MaxMembers,
  Room,
  RoomDescription,
  RoomName,
  RoomParams,
  Uuid,
} from "../schemas-chat";

export const roomRoutes = (rooms: Rooms, auth: Authenticator) =>
  new Elysia({ prefix: "/v1/rooms", tags: ["rooms"] })
    .use(authGuard(auth))
    .post(
      "",
      async ({ userId, body, set }) => {
        const room = await rooms.create(userId, {
          name: body.name,
          description: body.description,
          type: body.type,
          maxMembers: body.max_members,
        });
        set.status = 201;
        return roomView(room);
      },
      {
        auth: true,
        ...jsonBody({
          name: RoomName,
          description: t.Optional(RoomDescription),
          type: t.Union([t.Literal("public"), t.Literal("private")]),
          max_members: t.Optional(MaxMembers),
        }),
        response: { 201: Room, ...errors(400, 401) },
        detail: { summary: "Create a room; the caller becomes its owner" },
      },
    )
    .get(
      "",
      async ({ userId, query }) => {
        const page = await rooms.list(userId, {
          limit: query.limit ?? DEFAULT_PAGE,
          cursor: query.cursor,
          type: query.type,
          q: query.q,
        });
        return { rooms: page.rooms.map(roomView), next_cursor: page.nextCursor };
      },
      {
        auth: true,
        query: t.Object(
          {
            limit: Limit(MAX_PAGE),
            cursor: t.Optional(Uuid),
            type: t.Optional(t.Union([t.Literal("public"), t.Literal("private"), t.Literal("dm")])),
            q: t.Optional(t.String({ maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: t.Object({ rooms: t.Array(Room), next_cursor: t.Union([Uuid, t.Null()]) }),
          ...errors(400, 401),
        },
        detail: {
          summary: "Public rooms and the caller's rooms (DMs only with type=dm), oldest first, paged by cursor",
        },
      },
    )
    .get("/:id", async ({ userId, params }) => roomView((await rooms.access(userId, params.id)).room), {
      auth: true,
      params: RoomParams,
      response: { 200: Room, ...errors(400, 401, 404) },
      detail: { summary: "A room (404 for a private room the caller is not in)" },
    })
    .patch(
      "/:id",
      async ({ userId, params, body }) =>
        roomView(
          await rooms.update(userId, params.id, {
            name: body.name,
            description: body.description,
            type: body.type,
            maxMembers: body.max_members,
          }),
        ),
      {
        auth: true,
        params: RoomParams,
        ...jsonBody({
          name: t.Optional(RoomName),
          description: t.Optional(RoomDescription),
          type: t.Optional(t.Union([t.Literal("public"), t.Literal("private")])),
          max_members: t.Optional(MaxMembers),
        }),
        response: { 200: Room, ...errors(400, 401, 403, 404) },
        detail: { summary: "Change a room (owner or admin)" },
      },
    )
    .delete(
      "/:id",
      async ({ userId, params, set }) => {
        await rooms.delete(userId, params.id);
        set.status = 204;
      },
      {
        auth: true,
        params: RoomParams,
        response: { 204: t.Void(), ...errors(401, 403, 404) },
        detail: { summary: "Delete a room (owner only)" },
      },
    )
    .post("/:id/join", async ({ userId, params }) => roomView(await rooms.join(userId, params.id)), {
      auth: true,
      params: RoomParams,
      response: { 200: Room, ...errors(401, 403, 404, 409) },
      detail: { summary: "Join a public room (idempotent; 403 when banned, 409 when full)" },
    });
