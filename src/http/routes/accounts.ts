// /v1/auth: signup, email verification, login, refresh rotation, logout and password reset.
import { Elysia, t } from "elysia";
import type { Accounts } from "../../domain/accounts";
import { type Authenticator, authGuard } from "../auth";
import {
  Email,
  errors,
  jsonBody,
  OpaqueToken,
  Password,
  PUBLIC,
  sessionView,
  TokenPair,
  User,
  Username,
  userView,
} from "../schemas";

export const accountRoutes = (accounts: Accounts, auth: Authenticator) =>
  new Elysia({ prefix: "/v1/auth", tags: ["accounts"] })
    .use(authGuard(auth))
    .post(
      "/signup",
      async ({ body, set }) => {
        const user = await accounts.signup(body);
        set.status = 201;
        return { user: userView(user) };
      },
      {
        ...jsonBody({ username: Username, email: Email, password: Password }),
        response: { 201: t.Object({ user: User }), ...errors(400, 409, 413, 415) },
        detail: { ...PUBLIC, summary: "Create an account; mails a verification token" },
      },
    )
    .post("/verify-email", async ({ body }) => ({ user: userView(await accounts.verifyEmail(body.token)) }), {
      ...jsonBody({ token: OpaqueToken }),
      response: { 200: t.Object({ user: User }), ...errors(400) },
      detail: { ...PUBLIC, summary: "Confirm the email address with the mailed token" },
    })
    .post(
      "/login",
      async ({ body, request, server }) => {
        const address = server?.requestIP(request)?.address ?? "unknown";
        return sessionView(await accounts.login(body.login, body.password, address));
      },
      {
        ...jsonBody({ login: t.String({ minLength: 1, maxLength: 254 }), password: t.String({ maxLength: 1024 }) }),
        response: { 200: TokenPair, ...errors(400, 401, 429) },
        detail: { ...PUBLIC, summary: "Log in with username or email; failures are rate limited" },
      },
    )
    .post("/refresh", async ({ body }) => sessionView(await accounts.refresh(body.refresh_token)), {
      ...jsonBody({ refresh_token: OpaqueToken }),
      response: { 200: TokenPair, ...errors(400, 401) },
      detail: {
        ...PUBLIC,
        summary: "Exchange a refresh token for a new pair; reuse of an old one revokes the session",
      },
    })
    .post(
      "/logout",
      async ({ body, userId, set }) => {
        await accounts.logout(userId, body.refresh_token);
        set.status = 204;
      },
      {
        auth: true,
        ...jsonBody({ refresh_token: OpaqueToken }),
        response: { 204: t.Void(), ...errors(400, 401) },
        detail: { summary: "End the session of a refresh token" },
      },
    )
    .post(
      "/password/forgot",
      async ({ body, request, server, set }) => {
        await accounts.forgotPassword(body.email, server?.requestIP(request)?.address ?? "unknown");
        set.status = 202;
        return { status: "accepted" as const };
      },
      {
        ...jsonBody({ email: Email }),
        response: { 202: t.Object({ status: t.Literal("accepted") }), ...errors(400) },
        detail: { ...PUBLIC, summary: "Mail a reset token if the address has an account (rate limited); always 202" },
      },
    )
    .post(
      "/password/reset",
      async ({ body, set }) => {
        await accounts.resetPassword(body.token, body.password);
        set.status = 204;
      },
      {
        ...jsonBody({ token: OpaqueToken, password: Password }),
        response: { 204: t.Void(), ...errors(400) },
        detail: { ...PUBLIC, summary: "Set a new password with the mailed token; revokes every session" },
      },
    );
