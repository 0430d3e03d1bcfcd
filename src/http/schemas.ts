// TypeBox schemas shared by routes (and so by the OpenAPI document), and the JSON views of records.
import { type IntegerOptions, Type } from "@sinclair/typebox";
import { type TSchema, t } from "elysia";
import type { Session } from "../domain/accounts";
import type { UserRecord } from "../ports/store";

/**
 * Names a schema for the OpenAPI document: it is written once under components.schemas (as `name`)
 * and referenced wherever it is used (see openapi.ts). One name, one schema.
 */
export const component = <T extends TSchema>(name: string, schema: T): T =>
  Object.assign(schema, { $id: `#/components/schemas/${name}` });

export const ErrorBody = component(
  "Error",
  t.Object({
    error: t.Object({
      code: t.String({ description: "stable snake_case error code" }),
      message: t.String(),
      details: t.Optional(t.Array(t.Record(t.String(), t.Unknown()))),
    }),
  }),
);

/**
 * An integer in a JSON body or frame: a JSON number only. Elysia's `t.Integer` also takes a numeric
 * string and decodes it with Number() ("0x10" is 16, " 1" is 1): query parameters need that (they are
 * strings), a JSON value of the wrong type must be refused like any other.
 */
export const JsonInteger = (options?: IntegerOptions) => Type.Integer(options);

/** Route detail of the routes anyone may call (signup, login, health...): no security requirement. */
export const PUBLIC = { security: [] };

export const User = component(
  "User",
  t.Object({
    id: t.String({ format: "uuid" }),
    username: t.String(),
    email: t.String(),
    email_verified: t.Boolean(),
    display_name: t.Union([t.String(), t.Null()]),
    created_at: t.String({ format: "date-time" }),
  }),
);

export const PublicUser = component(
  "PublicUser",
  t.Object({
    id: t.String({ format: "uuid" }),
    username: t.String(),
    display_name: t.Union([t.String(), t.Null()]),
    created_at: t.String({ format: "date-time" }),
  }),
);

export const TokenPair = component(
  "TokenPair",
  t.Object({
    access_token: t.String(),
    refresh_token: t.String(),
    token_type: t.Literal("Bearer"),
    expires_in: t.Integer({ description: "access token lifetime in seconds" }),
    user: User,
  }),
);

export const Username = t.String({ minLength: 3, maxLength: 32, pattern: "^[A-Za-z0-9_.-]+$" });
export const Email = t.String({ format: "email", maxLength: 254 });
export const Password = t.String({ minLength: 8, maxLength: 1024 });
export const OpaqueToken = t.String({ minLength: 1, maxLength: 512 });

/**
 * Route options for a JSON body of these fields; unknown fields are refused. `parse: "json"` only
 * labels the body for OpenAPI: the global parser in body.ts runs first and does the parsing.
 */
export const jsonBody = <T extends Parameters<typeof t.Object>[0]>(properties: T) => ({
  parse: "json" as const,
  body: t.Object(properties, { additionalProperties: false }),
});

export const userView = (user: UserRecord) => ({
  id: user.id,
  username: user.username,
  email: user.email,
  email_verified: user.emailVerified,
  display_name: user.displayName,
  created_at: user.createdAt.toISOString(),
});

export const publicUserView = (user: UserRecord) => ({
  id: user.id,
  username: user.username,
  display_name: user.displayName,
  created_at: user.createdAt.toISOString(),
});

export const sessionView = (session: Session) => ({
  access_token: session.accessToken,
  refresh_token: session.refreshToken,
  token_type: "Bearer" as const,
  expires_in: session.expiresIn,
  user: userView(session.user),
});

/** The error responses a route may give, for its OpenAPI entry. */
export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [status, ErrorBody]));
