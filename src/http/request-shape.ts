// The shape every request must have, checked for all routes alike before Elysia's own validation:
// no query parameter the route does not name, and a body that matches the route's schema (a route
// without one takes no body: nothing, or `{}`). Refusals are 400 validation_failed with bounded details;
// so a bad body never reaches Elysia's ValidationError, which renders the whole value into its message.
import { Elysia } from "elysia";
import { type ErrorDetail, validationFailed } from "../domain/errors";
import { issueDetails, MAX_DETAILS } from "./details";
import type { RouteTable } from "./route-table";

const isEmptyBody = (body: unknown) =>
  body === null ||
  body === undefined ||
  (typeof body === "object" && !Array.isArray(body) && Object.keys(body).length === 0);

export const requestShape = (table: RouteTable) =>
  new Elysia().onTransform({ as: "global" }, ({ request, route, query, body }) => {
    const shape = table.shape(request.method, route);
    if (!shape) return;
    const unknown: ErrorDetail[] = [];
    for (const key in query) {
      if (shape.query.has(key)) continue;
      unknown.push({ field: key, message: "Unexpected query parameter" });
      if (unknown.length >= MAX_DETAILS) break;
    }
    if (unknown.length > 0) throw validationFailed("unknown query parameter", unknown);
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
