// Bearer authentication for /v1 routes: `{ auth: true }` on a route resolves `userId` from the access
// token or answers 401 (with `WWW-Authenticate: Bearer error="invalid_token"` for a token that fails),
// also for a token whose session was logged out or revoked (see sessions.ts).
import { Elysia } from "elysia";
import type { AccessClaims } from "../domain/access-tokens";
import { AppError, invalidAccessToken, unauthorized } from "../domain/errors";

/** What the guard needs: the claims of a valid token of a live session, or an `unauthorized` throw. */
export type Authenticator = { authenticate(token: string): Promise<AccessClaims> };

/** The token from `Authorization: Bearer <token>`, or null. */
export const bearerToken = (header: string | null | undefined): string | null => {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1] ?? null;
};

export const authGuard = (auth: Authenticator) =>
  new Elysia().macro({
    auth: {
      async resolve({ request }) {
        const token = bearerToken(request.headers.get("authorization"));
        if (!token) throw unauthorized("missing bearer token");
        const claims = await auth.authenticate(token).catch((error) => {
          throw error instanceof AppError && error.status === 401 ? invalidAccessToken(error) : error;
        });
        return { userId: claims.userId };
      },
      detail: { security: [{ bearer: [] }] },
    },
  });
