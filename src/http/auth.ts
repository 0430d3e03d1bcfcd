// Bearer authentication for /v1 routes: `{ auth: true }` on a route resolves `userId` from the access
// token or answers 401 (with `WWW-Authenticate: Bearer error="invalid_token"` for a token that fails).
import { Elysia } from "elysia";
import type { AccessTokens } from "../domain/access-tokens";
import { AppError, invalidAccessToken, unauthorized } from "../domain/errors";

/** The token from `Authorization: Bearer <token>`, or null. */
export const bearerToken = (header: string | null | undefined): string | null => {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1] ?? null;
};

export const authGuard = (tokens: AccessTokens) =>
  new Elysia().macro({
    auth: {
      async resolve({ request }) {
        const token = bearerToken(request.headers.get("authorization"));
        if (!token) throw unauthorized("missing bearer token");
        const claims = await tokens.verify(token).catch((error) => {
          throw error instanceof AppError && error.status === 401 ? invalidAccessToken(error) : error;
        });
        return { userId: claims.userId };
      },
      detail: { security: [{ bearer: [] }] },
    },
  });
