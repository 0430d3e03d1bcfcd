// /v1/rooms/{id}/webhooks: a room's outbound webhooks, managed by its owner. The signing secret is in
// the creation answer only.
import { Elysia, t } from "elysia";
import { notFound } from "../../domain/errors";
import { type Webhooks, webhookView } from "../../domain/webhooks";
import { type Authenticator, authGuard } from "../auth";
import { component, errors, jsonBody } from "../schemas";
import { RoomParams, Uuid } from "../schemas-chat";

const Webhook = component(
  "Webhook",
  t.Object({
    id: Uuid,
    room_id: Uuid,
    url: t.String(),
    created_by: Uuid,
    created_at: t.String({ format: "date-time" }),
  }),
);

export const webhookRoutes = (webhooks: Webhooks, auth: Authenticator) =>
  new Elysia({ prefix: "/v1/rooms/:id/webhooks", tags: ["webhooks"] })
    .use(authGuard(auth))
    .post(
      "",
      async ({ userId, params, body, set }) => {
        const { hook, secret } = await webhooks.create(userId, params.id, body.url);
        set.status = 201;
        return { ...webhookView(hook), secret };
      },
      {
        auth: true,
        params: RoomParams,
        ...jsonBody({ url: t.String({ minLength: 1, maxLength: 2048, description: "http(s) URL of the receiver" }) }),
        response: {
          201: t.Composite([
            Webhook,
            t.Object({ secret: t.String({ description: "the signing secret; shown here only, never again" }) }),
          ]),
          ...errors(400, 401, 403, 404),
        },
        detail: {
          summary:
            "Add a webhook to the room (owner only): its durable events are POSTed to the URL, signed with the secret returned here once",
        },
      },
    )
    .get("", async ({ userId, params }) => ({ webhooks: (await webhooks.list(userId, params.id)).map(webhookView) }), {
      auth: true,
      params: RoomParams,
      response: { 200: t.Object({ webhooks: t.Array(Webhook) }), ...errors(400, 401, 403, 404) },
      detail: { summary: "The room's webhooks, oldest first, without their secrets (owner only)" },
    })
    .delete(
      "/:hook_id",
      async ({ userId, params, set }) => {
        if (!(await webhooks.delete(userId, params.id, params.hook_id))) throw notFound("webhook");
        set.status = 204;
      },
      {
        auth: true,
        params: t.Object({ id: Uuid, hook_id: Uuid }),
        response: { 204: t.Void(), ...errors(400, 401, 403, 404) },
        detail: { summary: "Remove a webhook of the room (owner only); deliveries to it stop" },
      },
    );
