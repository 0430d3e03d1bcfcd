// /v1/rooms/{id}/pins: pinned messages (owner and admins pin and unpin; members list them).
import { Elysia, t } from "elysia";
import type { Pins } from "../../domain/pins";
import { type Authenticator, authGuard } from "../auth";
import { errors } from "../schemas";
import { Message, MessageParams, RoomParams, Uuid } from "../schemas-chat";

const Pin = t.Object({ message: Message, pinned_by: Uuid, pinned_at: t.String({ format: "date-time" }) });

export const pinRoutes = (pins: Pins, auth: Authenticator) =>
  new Elysia({ prefix: "/v1/rooms/:id", tags: ["messages"] })
    .use(authGuard(auth))
    .get("/pins", async ({ userId, params }) => ({ pins: await pins.list(userId, params.id) }), {
      auth: true,
      params: RoomParams,
      response: { 200: t.Object({ pins: t.Array(Pin) }), ...errors(400, 401, 403, 404) },
      detail: { summary: "The room's pinned messages, newest pin first (at most 50; members only)" },
    })
    .put(
      "/pins/:mid",
      async ({ userId, params, set }) => {
        await pins.pin(userId, params.id, params.mid);
        set.status = 204;
      },
      {
        auth: true,
        params: MessageParams,
        response: { 204: t.Void(), ...errors(400, 401, 403, 404, 409) },
        detail: {
          summary: "Pin a message (owner or admin; idempotent; audited); 409 for a deleted message or past 50 pins",
        },
      },
    )
    .delete(
      "/pins/:mid",
      async ({ userId, params, set }) => {
        await pins.unpin(userId, params.id, params.mid);
        set.status = 204;
      },
      {
        auth: true,
        params: MessageParams,
        response: { 204: t.Void(), ...errors(400, 401, 403, 404) },
        detail: { summary: "Unpin a message (owner or admin; idempotent; audited)" },
      },
    );
