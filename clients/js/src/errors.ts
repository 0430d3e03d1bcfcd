// The one error the SDK throws for a refused request or frame: the contract's error shape, typed.

export type ErrorDetail = Record<string, unknown>;

/**
 * A request (HTTP status) or frame (status 0) chatd refused, with its stable `code`. `retryAfterMs`
 * is set on `rate_limited`; `retryable` says whether the same call may succeed later unchanged.
 */
export class ChatdError extends Error {
  override readonly name = "ChatdError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly retryAfterMs?: number,
    readonly requestId?: string,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.code === "rate_limited" || this.code === "unavailable" || this.status >= 500;
  }
}

/** Thrown when the login session is over (logged out, revoked, password reset): log in again. */
export class SessionEndedError extends ChatdError {
  constructor(readonly reason: SessionEndReason) {
    super(401, "unauthorized", `session ended: ${reason}`);
  }
}

export type SessionEndReason = "logged_out" | "session_revoked";

/** The ChatdError of an error response body (any JSON, or none). */
export function errorFromResponse(status: number, body: unknown, headers: Headers): ChatdError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const retryAfter = Number(headers.get("retry-after"));
  return new ChatdError(
    status,
    typeof error?.code === "string" ? error.code : `http_${status}`,
    typeof error?.message === "string" ? error.message : `HTTP ${status}`,
    Array.isArray(error?.details) ? (error.details as ErrorDetail[]) : [],
    Number.isFinite(retryAfter) && headers.has("retry-after") ? retryAfter * 1000 : undefined,
    headers.get("x-request-id") ?? undefined,
  );
}
