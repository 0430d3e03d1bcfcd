// /v1/users: the caller's own account and other users' public profiles.
import { Elysia, t } from "elysia";
import type { Accounts } from "../../domain/accounts";
import { notFound } from "../../domain/errors";
import { type Authenticator, authGuard } from "../auth";
import { errors, jsonBody, PublicUser, publicUserView, User, userView } from "../schemas";

const DisplayName = t.Union([
  t.String({ minLength: 1, maxLength: 256, description: "at most 64 characters (code points) after trimming" }),
  t.Null(),
]);

export const userRoutes = (accounts: Accounts, auth: Authenticator) =>
  new Elysia({ prefix: "/v1/users", tags: ["users"] })
    .use(authGuard(auth))
    .get(
      "/me",
      async ({ userId }) => {
        const user = await accounts.getUser(userId);
        if (!user) throw notFound("user");
        return userView(user);
      },
      { auth: true, response: { 200: User, ...errors(401, 404) }, detail: { summary: "The caller's account" } },
    )
    .patch(
      "/me",
      async ({ userId, body }) => {
        const user = await accounts.updateProfile(userId, { displayName: body.display_name });
        if (!user) throw notFound("user");
        return userView(user);
      },
      {
        auth: true,
        ...jsonBody({ display_name: t.Optional(DisplayName) }),
        response: { 200: User, ...errors(400, 401, 404) },
        detail: { summary: "Change the caller's display name (null clears it)" },
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
