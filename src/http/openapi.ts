// The OpenAPI 3.1 document of the HTTP API (GET /docs/json). @elysiajs/openapi's generator turns each
// route's own schemas into paths; this module completes what routes cannot say about themselves and
// corrects what the generator renders wrongly, each rule once:
// - a schema named with `component()` (schemas.ts) is written once under components.schemas and
//   referenced by `$ref` wherever it appears (nullable uses become `anyOf [$ref, null]`);
// - a value Elysia also accepts as a numeric string (t.Integer, t.Numeric, as query parameters need)
//   is documented as the number it decodes to;
// - a response without a body (204) has no content;
// - the headers the global hooks set are on every response they appear on: X-Request-Id everywhere,
//   Retry-After on every 429.
import { toOpenAPISchema } from "@elysiajs/openapi";
import type { AnyElysia } from "elysia";

export type DocumentInfo = { title: string; version: string; description: string };

type Node = Record<string, unknown>;

export const COMPONENT_PREFIX = "#/components/schemas/";

const securitySchemes = {
  bearer: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from POST /v1/auth/login or /v1/auth/refresh",
  },
  metrics_token: {
    type: "http",
    scheme: "bearer",
    description: "METRICS_TOKEN; needed only when the server sets it",
  },
};

const headers = {
  XRequestId: {
    description: "The request's id: the client's valid X-Request-Id, else a generated one; also in the log line",
    schema: { type: "string", pattern: "^[\\w.:-]{1,128}$" },
  },
  RetryAfter: {
    description: "Seconds to wait before trying again",
    schema: { type: "integer", minimum: 0 },
  },
};

const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null && !Array.isArray(value);

/** The numeric member of Elysia's `anyOf [numeric string, number]`, with the outer options. */
function decodedNumber(node: Node): Node | null {
  const members = node.anyOf;
  if (!Array.isArray(members) || members.length !== 2) return null;
  const [text, number] = members as [unknown, unknown];
  if (!isNode(text) || !isNode(number) || text.type !== "string") return null;
  if (text.format !== "integer" && text.format !== "numeric") return null;
  if (number.type !== "integer" && number.type !== "number") return null;
  const { anyOf: _, ...outer } = node;
  return { ...outer, ...number };
}

/**
 * Applies the schema rules to a generated tree, collecting named schemas into `components` (also
 * used for the AsyncAPI document's frame schemas, which name the same components).
 */
export function shape(value: unknown, components: Record<string, Node>): unknown {
  if (Array.isArray(value)) return value.map((item) => shape(item, components));
  if (!isNode(value)) return value;
  const number = decodedNumber(value);
  if (number) return shape(number, components);
  const out: Node = {};
  for (const [key, child] of Object.entries(value)) if (key !== "$id") out[key] = shape(child, components);
  const id = value.$id;
  if (typeof id !== "string" || !id.startsWith(COMPONENT_PREFIX)) return out;

  const name = id.slice(COMPONENT_PREFIX.length);
  const nullable = Array.isArray(out.type) && out.type.includes("null");
  if (nullable) {
    const types = (out.type as string[]).filter((type) => type !== "null");
    out.type = types.length === 1 ? types[0] : types;
  }
  const existing = components[name];
  if (existing && !Bun.deepEquals(existing, out)) throw new Error(`OpenAPI: two different schemas are named ${name}`);
  components[name] = out;
  return nullable ? { anyOf: [{ $ref: id }, { type: "null" }] } : { $ref: id };
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function completeResponses(operation: Node) {
  const responses = (operation.responses ?? {}) as Record<string, Node>;
  for (const [status, response] of Object.entries(responses)) {
    // The generator writes `content: {type: "void"}` for bodiless responses: no media type means none.
    if (isNode(response.content) && !Object.keys(response.content).some((key) => key.includes("/")))
      delete response.content;
    const own = isNode(response.headers) ? response.headers : {};
    response.headers = {
      "X-Request-Id": { $ref: "#/components/headers/XRequestId" },
      ...(status === "429" ? { "Retry-After": { $ref: "#/components/headers/RetryAfter" } } : {}),
      ...own,
    };
  }
}

export function openApiDocument(app: AnyElysia, info: DocumentInfo) {
  const generated = toOpenAPISchema(app);
  const schemas: Record<string, Node> = {};
  const paths = shape(generated.paths, schemas) as Record<string, Node>;
  for (const item of Object.values(paths))
    for (const method of METHODS) if (isNode(item[method])) completeResponses(item[method] as Node);
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: "3.1.1",
    info,
    servers: [{ url: "/", description: "the server this document is served by" }],
    paths,
    components: { schemas: sorted, headers, securitySchemes },
  };
}
