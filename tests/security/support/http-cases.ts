// Hostile requests for one route of the OpenAPI document: its path with the real ids or a hostile
// parameter, a hostile query now and then, a valid token (Ana's or Bob's), none or a bad one, and a
// body that is valid-shaped with one field mutated, hostile throughout, or (routes without a body)
// nothing, `{}` or something that must be refused.
import type { Fixtures } from "./fixtures";
import { hostileBody, hostileString } from "./hostile";
import { type Json, longStrings, raw, toBytes, toText } from "./json-tree";
import type { Rng } from "./random";
import { mutated, type Schema, validValue } from "./schema";

export type Operation = {
  method: string;
  /** The OpenAPI path template, `/v1/rooms/{id}`. */
  template: string;
  pathParams: string[];
  query: { name: string; schema: Schema }[];
  body: Schema | null;
};

export type HttpCase = {
  label: string;
  method: string;
  /** Path and query, as sent. */
  target: string;
  headers: Record<string, string>;
  body: Json | null;
  /** The request can never be right: no 2xx. */
  refuse: boolean;
  longInputs: string[];
};

/** The operations of an OpenAPI document (`/docs/*` is the document itself, left out). */
export function operationsOf(spec: { paths: Record<string, Record<string, any>> }): Operation[] {
  return Object.entries(spec.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const parameters = (op.parameters ?? []) as { name: string; in: string; schema: Schema }[];
      return {
        method: method.toUpperCase(),
        template,
        pathParams: parameters.filter((p) => p.in === "path").map((p) => p.name),
        query: parameters.filter((p) => p.in === "query").map(({ name, schema }) => ({ name, schema })),
        body: op.requestBody?.content?.["application/json"]?.schema ?? null,
      };
    }),
  );
}

/** Percent-encodes a string, also one with lone surrogates (as the replacement character's bytes). */
const encode = (text: string) =>
  [...new TextEncoder().encode(text)]
    .map((b) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
    )
    .join("");

/** `.` or `..`, any of their dots percent-encoded. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/** Path segments that are not what a route expects, as sent (already percent-encoded or not). */
const HOSTILE_SEGMENTS = [
  "not-a-uuid",
  "%00",
  "%2e%2e",
  "..%2F..%2Fetc",
  "%ZZ",
  "%E0%A4%A",
  "%ED%A0%80",
  "%C0%80",
  "%FF",
  "%E2%80%AE",
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "%20",
  "me",
  "__proto__",
  "constructor",
  "%F0%9F%91%8D",
  "a%CC%81",
  `:${"a".repeat(40)}:`,
  "x".repeat(2000),
  "%F0%9F%91%8D".repeat(20),
  "01234567-89AB-4DEF-8123-456789ABCDEF",
  "01234567-89ab-4def-8123-456789abcdef%0A",
];

const QUERY_VALUES = [
  "",
  "0",
  "-0",
  "1e309",
  "NaN",
  "1.5",
  "201",
  "0x10",
  "%201",
  "1%00",
  "%EF%BC%91",
  "99999999999999999999",
  "%ED%A0%80",
  "%ZZ",
];

/** A real value for a path parameter (`id` is a user's on /v1/users, else a room's). */
function realParam(name: string, template: string, fixtures: Fixtures, rng: Rng): string {
  switch (template.startsWith("/v1/users/") && name === "id" ? "user_id" : name) {
    case "id":
      return rng.weighted([
        [8, fixtures.room],
        [1, fixtures.privateRoom],
        [1, crypto.randomUUID()],
      ]);
    case "mid":
      return rng.weighted([
        [9, fixtures.message],
        [1, crypto.randomUUID()],
      ]);
    case "user_id":
      return rng.weighted([
        [6, fixtures.bob.id],
        [3, fixtures.ana.id],
        [1, crypto.randomUUID()],
      ]);
    case "emoji":
      return encode(rng.pick(["👍", ":smile:", "❤️", "🇫🇷", "👨‍👩‍👧‍👦"]));
    default:
      return crypto.randomUUID();
  }
}

/** Authorization headers that carry no valid token. */
const BAD_AUTH = [
  "Bearer",
  "Bearer ",
  "Bearer x",
  "Basic dXNlcjpwYXNz",
  "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
  "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAifQ.c2lnbmF0dXJl",
  `Bearer ${"a".repeat(8000)}`,
  "Bearer \u00e9",
  "Bearer a b",
];

const CONTENT_TYPES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "application/json; charset=utf-16",
  "application/vnd.chatd+json",
  "APPLICATION/JSON",
  "multipart/form-data; boundary=x",
  "application/jsonp",
  "",
];

/** Case `index` of the operation: strata by index so every route gets each kind of case. */
export function httpCase(op: Operation, index: number, fixtures: Fixtures, rng: Rng): HttpCase {
  const labels: string[] = [];
  const headers: Record<string, string> = {};
  const longInputs: string[] = [];
  let refuse = false;

  // Token: every fourth case carries none or a bad one; the rest are Ana's (mostly) or Bob's.
  if (index % 4 === 3) {
    const auth = rng.chance(0.3) ? null : rng.pick(BAD_AUTH);
    if (auth !== null) headers.authorization = auth;
    labels.push(auth === null ? "no token" : `token ${JSON.stringify(auth.slice(0, 40))}`);
  } else {
    headers.authorization = `Bearer ${rng.chance(0.8) ? fixtures.ana.api.token : fixtures.bob.api.token}`;
  }

  // Path: every fifth case (of a route with parameters) has one hostile parameter.
  const hostileParam = op.pathParams.length > 0 && index % 5 === 4 ? rng.pick(op.pathParams) : null;
  let dotSegment = false;
  const path = op.template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (name !== hostileParam) return realParam(name, op.template, fixtures, rng);
    const segment = rng.pick(HOSTILE_SEGMENTS);
    labels.push(`path ${name} = ${segment.slice(0, 40)}`);
    if (segment.length > 1024) longInputs.push(segment);
    dotSegment ||= DOT_SEGMENT.test(segment);
    return segment;
  });

  // Query: every fourth case (offset by one) has one.
  let query = "";
  if (index % 4 === 1) {
    const known = op.query.length > 0 && rng.chance(0.6) ? rng.pick(op.query) : null;
    const kind = known ? rng.pick(["edge", "text", "repeat"]) : rng.pick(["unknown", "proto", "long"]);
    if (known && kind === "edge") query = `${known.name}=${rng.pick(QUERY_VALUES)}`;
    else if (known && kind === "text") {
      // Bounded: a request head past 16 KiB is Bun's own 431, before chatd sees it.
      const text = hostileString(rng, 2000);
      query = `${known.name}=${encode(text.value)}`;
      if (text.value.length > 1024) longInputs.push(text.value);
    } else if (known) query = `${known.name}=1&${known.name}=2`;
    else if (kind === "unknown") query = `${rng.pick(["bogus", "limit[]", "q[x]", "%00", "token"])}=1`;
    else if (kind === "proto") query = rng.pick(["__proto__=1", "constructor[prototype][x]=1", "__proto__[x]=1"]);
    else query = `x=${"y".repeat(8000)}`;
    if (!known && !(op.template === "/v1/ws" && query.startsWith("token="))) refuse = true;
    labels.push(`query ${query.slice(0, 60)}`);
  }

  // Body.
  let body: Json | null = null;
  const bodyless = op.body === null;
  const getLike = op.method === "GET";
  if (!bodyless) {
    const kind = rng.weighted([
      [9, "mutated"],
      [9, "hostile"],
      [2, "valid"],
      [1, "oversized"],
    ] as const);
    const ids = fixtures.ids();
    if (kind === "mutated") {
      const m = mutated(op.body!, ids, rng);
      body = m.value;
      refuse ||= m.refuse;
      labels.push(m.label);
    } else if (kind === "hostile") {
      const h = hostileBody(rng, Object.keys(op.body!.properties ?? {}));
      body = h.value;
      refuse ||= h.refuse;
      labels.push(h.label);
    } else if (kind === "valid") {
      body = raw(JSON.stringify(validValue(op.body!, "", ids, rng)));
      labels.push("valid body");
    } else {
      body = raw(JSON.stringify({ x: "x".repeat(1024 * 1024 + rng.int(100_000)) }));
      refuse = true;
      labels.push("body over MAX_BODY_BYTES");
    }
  } else if (rng.chance(getLike ? 0.15 : 0.5)) {
    const h = hostileBody(rng, ["x", "id"]);
    body = h.value;
    refuse ||= h.refuse || !emptyish(body);
    labels.push(`${h.label} (the route takes no body)`);
  } else if (!getLike && rng.chance(0.2)) {
    body = raw(rng.pick(["{}", "null", " "]));
    labels.push(`body ${toText(body)} (counts as none)`);
  }
  if (body) {
    const type = rng.chance(0.85) ? "application/json" : rng.pick(CONTENT_TYPES);
    if (type) headers["content-type"] = type;
    if (!/^application\/([\w.+-]+\+)?json\b/i.test(type) && toText(body).trim() !== "") {
      refuse = true;
      labels.push(`content-type ${JSON.stringify(type)}`);
    }
    longInputs.push(...longStrings(body, 1024));
  }
  // A dot segment, encoded or not, is resolved before routing (RFC 3986 5.2.4, as WHATWG URLs and every
  // HTTP server do): `/v1/rooms/{id}/messages/%2e%2e` is `/v1/rooms/{id}`, another route with rules of
  // its own, so nothing about this route's input says the answer must be a refusal.
  if (dotSegment) refuse = false;
  return {
    label: labels.join("; ") || "no body",
    method: op.method,
    target: query ? `${path}?${query}` : path,
    headers,
    body,
    refuse,
    longInputs,
  };
}

/** A body the routes without one take as none: empty, whitespace, `null` or `{}`. */
function emptyish(body: Json): boolean {
  const bytes = toBytes(body);
  try {
    const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes) || "null");
    return value === null || (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);
  } catch {
    return false;
  }
}
