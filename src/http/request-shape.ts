// The shape every request must have, checked for all routes alike before Elysia's own validation:
// no query parameter the route does not name, query values of the route's schema, and a body that
// matches the route's schema (a route without one takes no body: nothing, or `{}`; a route that
// streams its body itself is left to read it, see route-table.ts). Refusals are
// 400 validation_failed with bounded details, so a bad body never reaches Elysia's ValidationError,
// which renders the whole value into its message (seconds and gigabytes for a deeply nested one).
import type { TSchema } from "@sinclair/typebox";
import type { TypeCheck } from "@sinclair/typebox/compiler";
import { TransformDecodeError } from "@sinclair/typebox/value";
import { Elysia } from "elysia";
import { type ErrorDetail, validationFailed } from "../domain/errors";
import { issueDetails, MAX_DETAILS } from "./details";
import type { RouteTable } from "./route-table";

const isEmptyBody = (body: unknown) =>
  body === null ||
  body === undefined ||
  (typeof body === "object" && !Array.isArray(body) && Object.keys(body).length === 0);

/**
 * What is wrong with the query, by parameter, or null. Query values arrive as strings that the
 * schema decodes (a limit of "0" is a string that decodes to an out-of-range integer), so the values
 * are decoded too: Elysia's own decode failure would not name the parameter.
 */
function queryProblems(check: TypeCheck<TSchema>, query: Record<string, unknown>): ErrorDetail[] | null {
  if (!check.Check(query)) return issueDetails(check.Errors(query), "query");
  try {
    check.Decode(query);
    return null;
  } catch (error) {
    if (!(error instanceof TransformDecodeError)) throw error;
    const inner = (error.error as { valueError?: { message?: string } }).valueError?.message;
    return issueDetails([{ path: error.path, message: inner ?? "invalid value" }], "query");
  }
}

export const requestShape = (table: RouteTable) =>
  new Elysia().onTransform({ as: "global" }, ({ request, route, query, body }) => {
    const shape = table.shape(request.method, route);
    if (!shape) return;
    const unknown: ErrorDetail[] = [];
    for (const key in query) {
      if (shape.query.has(key) || shape.openQuery) continue;
      unknown.push({ field: key, message: "Unexpected query parameter" });
      if (unknown.length >= MAX_DETAILS) break;
    }
    if (unknown.length > 0) throw validationFailed("unknown query parameter", unknown);
    const problems = shape.queryCheck ? queryProblems(shape.queryCheck, query) : null;
    if (problems) throw validationFailed("request is invalid", problems);
    if (shape.streamsBody) return;
    if (shape.body) {
      if (!shape.body.Check(body))
        throw validationFailed("request is invalid", issueDetails(shape.body.Errors(body), "body"));
    } else if (!isEmptyBody(body)) {
      const fields = typeof body === "object" && !Array.isArray(body) ? Object.keys(body as object) : [];
      const details = fields.length
        ? fields.map((field) => ({ field, message: "Unexpected property" }))
        : [{ field: "body", message: "this route takes no body" }];
      throw validationFailed("request is invalid", details);
    }
  });
