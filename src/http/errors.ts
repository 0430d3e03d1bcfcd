// The single place errors become HTTP responses: the contract's `{"error": {code, message, details?}}`.
// Anything that is not a catalog error is logged with its stack and answered as a bare 500. Also the
// headers errors carry: Retry-After (429), WWW-Authenticate (401), Allow (405).
import { Elysia, type ValidationError } from "elysia";
import { AppError, invalidJson, methodNotAllowed, notFound, validationFailed } from "../domain/errors";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import { boundDetails, boundMessage, issueDetails } from "./details";
import type { RouteTable } from "./route-table";

export function toAppError(code: string | number, error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  if (code === "PARSE") {
    const cause = (error as Error).cause;
    return cause instanceof AppError ? cause : invalidJson();
  }
  if (code === "VALIDATION") {
    const invalid = error as ValidationError;
    return validationFailed("request is invalid", issueDetails(invalid.all as never, invalid.type));
  }
  if (code === "NOT_FOUND") return notFound("route");
  return null;
}

/** The response body of a catalog error; its message and details are bounded (see details.ts). */
export const errorBody = (error: AppError) => ({
  error: {
    code: error.code,
    message: boundMessage(error.message),
    ...(error.details ? { details: boundDetails(error.details) } : {}),
  },
});

export const errorMapper = (log: Logger, metrics: Metrics, routes: RouteTable) =>
  new Elysia().onError({ as: "global" }, ({ code, error, set, request }) => {
    let appError = toAppError(code, error);
    if (!appError) {
      log.error("unhandled error", { method: request.method, url: request.url, error });
      set.status = 500;
      return { error: { code: "internal", message: "internal server error" } };
    }
    if (code === "NOT_FOUND") {
      // A known path asked with another method: 405 naming the methods it answers.
      const allowed = routes.methodsFor(new URL(request.url).pathname);
      // (A path the router did not match for a method it lists stays 404: the patterns are an approximation.)
      if (allowed.length > 0 && !allowed.includes(request.method)) {
        appError = methodNotAllowed(request.method);
        set.headers.allow = allowed.join(", ");
      }
    }
    if (appError.status >= 500) log.warn("request failed", { code: appError.code, error: appError.cause ?? appError });
    set.status = appError.status;
    if (appError.status === 429) metrics.observeRateLimited(appError.limit ?? "unnamed");
    if (appError.retryAfterMs !== undefined)
      set.headers["retry-after"] = String(Math.ceil(appError.retryAfterMs / 1000));
    if (appError.status === 401)
      set.headers["www-authenticate"] = appError.challenge ? `Bearer error="${appError.challenge}"` : "Bearer";
    return errorBody(appError);
  });
