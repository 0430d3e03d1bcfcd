// Response schemas document every route (OpenAPI) and are checked where mistakes are caught: in
// tests. On the production hot path Elysia's check of every field on the way out (TypeBox Encode and
// Check of each message of a history page) cost more than the page's query, so it is off unless
// HTTP_VALIDATE_RESPONSES is set (the test server sets it, so every HTTP test checks every response).
import type { AnyElysia } from "elysia";

type ResponseMap = Record<string, object>;

/**
 * Makes Elysia skip checking the responses of every route mounted on `app` so far: each status's
 * schema is replaced by a copy marked `noValidate` (not enumerable, so documents built from the
 * copies are the same). Call it once every route is mounted and before the app serves a request
 * (Elysia builds each route's handler, with its checks, on its first request).
 */
export function skipResponseValidation(app: AnyElysia): void {
  for (const route of app.routes) {
    const responses = (route.hooks as { response?: ResponseMap }).response;
    if (!responses || typeof responses !== "object") continue;
    for (const [status, schema] of Object.entries(responses)) {
      const copy = { ...schema };
      Object.defineProperty(copy, "noValidate", { value: true, enumerable: false });
      responses[status] = copy;
    }
  }
}
