// /v1/users: the caller's own account and other users' public profiles.
import { Elysia, t } from "elysia";
import type { Accounts } from "../../domain/accounts";
import type { Digests } from "../../domain/digests";
import { notFound } from "../../domain/errors";
import { type Authenticator, authGuard } from "../auth";
import { errors, jsonBody, PublicUser, publicUserView, User, userView } from "../schemas";

const DisplayName = t.Union([
  t.String({ minLength: 1, maxLength: 256, description: "at most 64 characters (code points) after trimming" }),
  t.Null(),
]);

/** The caller's own account: the user and their notification preferences. */
const Me = t.Composite([
  User,
  t.Object({
    notify_email: t.Boolean({ description: "missed-message digests by mail (default true)" }),
    notify_include_text: t.Boolean({
      description: "digests may quote message text, from private rooms and DMs too (default false)",
    }),
  }),
]);

export const userRoutes = (accounts: Accounts, auth: Authenticator, digests: Digests) =>
  new Elysia({ prefix: "/v1/users", tags: ["users"] })
    .use(authGuard(auth))
    .get(
      "/me",
      async ({ userId }) => {
        const [user, prefs] = await Promise.all([accounts.getUser(userId), digests.preferences(userId)]);
        if (!user) throw notFound("user");
        return { ...userView(user), notify_email: prefs.email, notify_include_text: prefs.includeText };
      },
      { auth: true, response: { 200: Me, ...errors(401, 404) }, detail: { summary: "The caller's account" } },
    )
    .patch(
      "/me",
      async ({ userId, body }) => {
        const user = await accounts.updateProfile(userId, { displayName: body.display_name });
        if (!user) throw notFound("user");
        const patch = {
          ...(body.notify_email === undefined ? {} : { email: body.notify_email }),
          ...(body.notify_include_text === undefined ? {} : { includeText: body.notify_include_text }),
        };
        const prefs = await (Object.keys(patch).length > 0
          ? digests.setPreferences(userId, patch)
          : digests.preferences(userId));
        return { ...userView(user), notify_email: prefs.email, notify_include_text: prefs.includeText };
      },
      {
        auth: true,
        ...jsonBody({
          display_name: t.Optional(DisplayName),
          notify_email: t.Optional(t.Boolean()),
          notify_include_text: t.Optional(t.Boolean()),
        }),
        response: { 200: Me, ...errors(400, 401, 404) },
        detail: { summary: "Change the caller's display name (null clears it) and notification preferences" },
      },
    )
    .get(
      "/:id",
      async ({ params }) => {
        const user = await accounts.getUser(params.id);
        if (!user) throw notFound("user");
        return publicUserView(user);
      },
      {
        auth: true,
        params: t.Object({ id: t.String({ format: "uuid" }) }),
        response: { 200: PublicUser, ...errors(400, 401, 404) },
        detail: { summary: "A user's public profile (no email)" },
      },
    );
