// Session revocation events: when a login (refresh family, the access tokens' `sid`) ends, one event
// on the bus tells every process, so REST refuses its access tokens and WebSockets close, whichever
// process the revocation happened in.

/** The bus subject of session revocations. */
export const SESSION_REVOKED_SUBJECT = "chat.session.revoked";

export type SessionRevokedReason = "logout" | "revoked" | "password_reset";

/**
 * `session_ids` are the sessions (refresh families) that ended. On `password_reset` every session of
 * the user issued until `at` ended, listed or not. `at` is an RFC 3339 time.
 */
export type SessionRevoked = {
  user_id: string;
  session_ids: string[];
  reason: SessionRevokedReason;
  at: string;
};

const REASONS: ReadonlySet<string> = new Set<SessionRevokedReason>(["logout", "revoked", "password_reset"]);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeSessionRevoked = (event: SessionRevoked): Uint8Array => encoder.encode(JSON.stringify(event));

/** The event, or null when the bytes are not one (another writer's bug must not break a subscriber). */
export function decodeSessionRevoked(data: Uint8Array): SessionRevoked | null {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { user_id, session_ids, reason, at } = value as Record<string, unknown>;
  if (typeof user_id !== "string" || typeof reason !== "string" || !REASONS.has(reason)) return null;
  if (!Array.isArray(session_ids) || !session_ids.every((id) => typeof id === "string")) return null;
  if (typeof at !== "string" || Number.isNaN(Date.parse(at))) return null;
  return { user_id, session_ids, reason: reason as SessionRevokedReason, at };
}
