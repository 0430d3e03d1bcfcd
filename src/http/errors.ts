// The single place errors become HTTP responses: the contract's `{"error": {code, message, details?}}`.
// Anything that is not a catalog error is logged with its stack and answered as a bare 500.
import { Elysia, type ValidationError } from "elysia";
import { AppError, type ErrorDetail, invalidJson, notFound, validationFailed } from "../domain/errors";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";

export function toAppError(code: string | number, error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  if (code === "PARSE") {
    const cause = (error as Error).cause;
    return cause instanceof AppError ? cause : invalidJson();
  }
  if (code === "VALIDATION") return validationFailed("request is invalid", validationDetails(error as ValidationError));
  if (code === "NOT_FOUND") return notFound("route");
  return null;
}

function validationDetails(error: ValidationError): ErrorDetail[] {
  const where = error.type; // body, query, params, headers
  return error.all.map((issue) => {
    const path = "path" in issue && issue.path ? issue.path.slice(1).replaceAll("/", ".") : "";
    return { field: path || where, message: issue.message };
  });
}

export const errorBody = (error: AppError) => ({
  error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
});

export const errorMapper = (log: Logger, metrics: Metrics) =>
  new Elysia().onError({ as: "global" }, ({ code, error, set, request }) => {
    const appError = toAppError(code, error);
    if (!appError) {
      log.error("unhandled error", { method: request.method, url: request.url, error });
      set.status = 500;
      return { error: { code: "internal", message: "internal server error" } };
    }
    if (appError.status >= 500) log.warn("request failed", { code: appError.code, error: appError.cause ?? appError });
    set.status = appError.status;
    if (appError.status === 429) metrics.observeRateLimited(appError.limit ?? "unnamed");
    if (appError.retryAfterMs !== undefined)
      set.headers["retry-after"] = String(Math.ceil(appError.retryAfterMs / 1000));
    return errorBody(appError);
  });
