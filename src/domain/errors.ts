// The one catalog of errors chatd raises. Every adapter translates its driver's failures into these;
// the HTTP layer maps them to the contract's error shape in exactly one place (http/errors.ts).

export type ErrorDetail = { field?: string; message: string; [key: string]: unknown };

export type AppErrorOptions = {
  details?: ErrorDetail[];
  /** For rate_limited: how long the caller should wait. */
  retryAfterMs?: number;
  /** For rate_limited: the name of the limit that refused (a metrics label: login_account, messages...). */
  limit?: string;
  /** True when the same request may succeed later unchanged (a backend was briefly down). */
  retryable?: boolean;
  /** For not_found: what was not found ("room", "message", ...). Not part of the response body. */
  resource?: string;
  /** For unauthorized: the RFC 6750 error code of the Bearer challenge ("invalid_token"), if any. */
  challenge?: string;
  cause?: unknown;
};

export class AppError extends Error {
  readonly details?: ErrorDetail[];
  readonly retryAfterMs?: number;
  readonly limit?: string;
  readonly retryable: boolean;
  readonly resource?: string;
  readonly challenge?: string;

  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
    this.limit = options.limit;
    this.retryable = options.retryable ?? false;
    this.resource = options.resource;
    this.challenge = options.challenge;
  }
}

/** A capability the configured adapter does not have. Never a silent no-op. */
export class NotSupported extends AppError {
  constructor(what: string) {
    super("not_supported", 501, `${what} is not supported by the configured backend`);
    this.name = "NotSupported";
  }
}

export const validationFailed = (message: string, details?: ErrorDetail[]) =>
  new AppError("validation_failed", 400, message, { details });
export const invalidJson = (message = "request body is not valid JSON") => new AppError("invalid_json", 400, message);
export const unauthorized = (message = "authentication required") => new AppError("unauthorized", 401, message);
/** A presented access token that is expired or invalid (the 401 says `error="invalid_token"`). */
export const invalidAccessToken = (error: AppError) =>
  new AppError("unauthorized", 401, error.message, { challenge: "invalid_token", cause: error });
export const forbidden = (message = "not allowed") => new AppError("forbidden", 403, message);
export const notFound = (what = "resource") => new AppError("not_found", 404, `${what} not found`, { resource: what });
export const methodNotAllowed = (method: string) =>
  new AppError("method_not_allowed", 405, `${method.slice(0, 16)} is not allowed on this route`);
export const conflict = (message: string, details?: ErrorDetail[]) =>
  new AppError("conflict", 409, message, { details });
export const payloadTooLarge = (limitBytes: number) =>
  new AppError("payload_too_large", 413, `request body exceeds ${limitBytes} bytes`);
export const unsupportedMediaType = (message = "request body must be application/json") =>
  new AppError("unsupported_media_type", 415, message);
/** Refused by the rate limit named `limit` (snake_case, stable: it labels chatd_http_rate_limited_total). */
export const rateLimited = (limit: string, retryAfterMs: number, message = "too many requests") =>
  new AppError("rate_limited", 429, message, { retryAfterMs, limit });
export const unavailable = (backend: string, cause?: unknown) =>
  new AppError("unavailable", 503, `${backend} is unavailable`, { retryable: true, cause });

/**
 * An append whose expected last sequence for its subject was not the actual one (someone else appended
 * first). `lastSeq` is the subject's actual last stream sequence when the backend reports it.
 */
export class SequenceConflict extends AppError {
  constructor(
    readonly subject: string,
    readonly expected: number,
    readonly lastSeq: number | undefined,
    cause?: unknown,
  ) {
    super("conflict", 409, `${subject}: expected last sequence ${expected}, is ${lastSeq ?? "unknown"}`, { cause });
    this.name = "SequenceConflict";
  }
}
