// CORS for browser apps on other origins (CORS_ORIGINS). An Origin that is listed exactly (or any, with
// `*`) gets Access-Control-Allow-Origin and the exposed headers on every response, and its preflight
// (OPTIONS with Access-Control-Request-Method) is answered 204 with the methods, headers and max age.
// Any other origin gets no Access-Control-* header at all, and its preflight is left to routing, so
// the browser refuses the call. Credentials are never allowed: chatd authenticates with bearer tokens,
// not cookies, which is also what makes `*` safe to offer.
//
// A small hook rather than @elysiajs/cors: that plugin sends Allow-Headers / Expose-Headers /
// Allow-Credentials to every origin, matches configured origins without their scheme, and registers
// OPTIONS routes on every path.
import { Elysia } from "elysia";

const METHODS = "GET, POST, PUT, PATCH, DELETE";
const ALLOW_HEADERS = "Authorization, Content-Type, X-Request-Id";
const EXPOSE_HEADERS = "Retry-After, X-Request-Id, Idempotent-Replayed";
/** How long a browser may reuse a preflight answer, in seconds. */
const MAX_AGE = "600";

export const cors = (origins: readonly string[]) => {
  const plugin = new Elysia({ name: "chatd.cors" });
  if (origins.length === 0) return plugin;
  const any = origins.includes("*");
  const listed = new Set(origins);
  return plugin.onRequest(({ request, set }) => {
    // The answer depends on Origin unless every origin gets the same one.
    if (!any) set.headers.vary = "Origin";
    const origin = request.headers.get("origin");
    if (origin === null || !(any || listed.has(origin))) return;
    set.headers["access-control-allow-origin"] = any ? "*" : origin;
    if (request.method !== "OPTIONS" || !request.headers.has("access-control-request-method")) {
      set.headers["access-control-expose-headers"] = EXPOSE_HEADERS;
      return;
    }
    set.headers["access-control-allow-methods"] = METHODS;
    set.headers["access-control-allow-headers"] = ALLOW_HEADERS;
    set.headers["access-control-max-age"] = MAX_AGE;
    set.status = 204;
    return new Response(null, { status: 204 });
  });
};
