// Security headers on every HTTP response chatd writes, errors included (404, 405, 413, 500): set when
// the request arrives, so every later answer carries them. Routes that serve something else (the /docs
// page and its assets) override Content-Security-Policy and Cache-Control for themselves.
import { Elysia } from "elysia";

/** The API answers JSON only: nothing in a response may load, run or be framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export const securityHeaders = () =>
  new Elysia({ name: "chatd.security-headers" }).onRequest(({ set }) => {
    set.headers["x-content-type-options"] = "nosniff";
    set.headers["referrer-policy"] = "no-referrer";
    set.headers["x-frame-options"] = "DENY";
    set.headers["content-security-policy"] = API_CSP;
    // Responses are per user (tokens, profiles, messages): no cache, shared or private, keeps them.
    set.headers["cache-control"] = "no-store";
  });
