// Valid-shaped bodies and frames from the server's own schemas (the OpenAPI document's JSON Schema, the
// frame schemas of src/ws/protocol.ts), and mutations of exactly one field, so a request passes the
// parser and reaches the route's validation and the domain with one thing wrong, or one odd but
// well-typed value.
import { hostileString, hostileValue, protoKey } from "./hostile";
import { fromValue, type Json, obj, raw, str } from "./json-tree";
import type { Rng } from "./random";

/** The parts of JSON Schema that chatd's schemas use. */
export type Schema = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
};

/** Real ids and names to put in valid-shaped values, by field name. */
export type Ids = { room: string; message: string; otherUser: string; username: string };

const future = () => new Date(Date.now() + 86_400_000).toISOString();
const unique = () => crypto.randomUUID().replaceAll("-", "").slice(0, 12);

/** A valid value for `schema`, chosen for the field `name` (a real id where the name says which). */
export function validValue(schema: Schema, name: string, ids: Ids, rng: Rng): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return rng.pick(schema.enum);
  if (schema.anyOf) return validValue(rng.pick(schema.anyOf.filter((s) => s.type !== "null")), name, ids, rng);
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== "null") ?? "null") : schema.type;
  switch (type) {
    case "object":
      return validObject(schema, ids, rng);
    case "array":
      return [];
    case "integer":
    case "number":
      return name === "since" ? 0 : Math.max(schema.minimum ?? 0, Math.min(10, schema.maximum ?? 10));
    case "boolean":
      return true;
    case "null":
      return null;
  }
  if (schema.format === "uuid") {
    if (name === "user_id") return ids.otherUser;
    if (name === "room_id" || name === "id") return ids.room;
    if (name === "message_id" || name === "reply_to" || name === "mid") return ids.message;
    return crypto.randomUUID();
  }
  if (schema.format === "email") return `fuzz${unique()}@example.test`;
  if (schema.format === "date-time") return future();
  const byName: Record<string, string> = {
    username: `fuzz${unique()}`,
    login: ids.username,
    password: "correct horse battery",
    content: "hello",
    name: "a room",
    description: "about it",
    display_name: "Fuzzy",
    reason: "spam",
    client_id: `c${unique()}`,
    ref: "r",
  };
  return byName[name] ?? "x".repeat(Math.max(1, schema.minLength ?? 1));
}

function validObject(schema: Schema, ids: Ids, rng: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (schema.required?.includes(key) || rng.chance(0.4)) out[key] = validValue(property, key, ids, rng);
  }
  return out;
}

/** The JSON types a schema admits. */
function typesOf(schema: Schema): Set<string> {
  if (schema.anyOf) return new Set(schema.anyOf.flatMap((s) => [...typesOf(s)]));
  if (schema.const !== undefined) return new Set([typeof schema.const === "string" ? "string" : "other"]);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  return new Set(types.map((t) => (t === "integer" ? "number" : t)));
}

/** The JSON type of a tree's value ("invalid" when it is no JSON value). */
function jsonType(node: Json): string {
  switch (node.kind) {
    case "raw": {
      try {
        const value = JSON.parse(node.text);
        return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
      } catch {
        return "invalid";
      }
    }
    case "array":
    case "repeat":
      return "array";
    case "nest":
      return node.open === "[" ? "array" : "object";
    case "object":
      return "object";
    default:
      return "invalid";
  }
}

/** Whether a hostile value in this field must be refused: refused anywhere, or not of the field's type. */
const refused = (value: { value: Json; refuse: boolean }, property: Schema) =>
  value.refuse || !typesOf(property).has(jsonType(value.value));

export type Mutated = { label: string; value: Json; refuse: boolean };

/**
 * A valid-shaped object for `schema` with one field mutated: a hostile value of any type (refused
 * when its type is not the field's), an odd value of the field's own type (it passes the schema and
 * meets the domain), a missing required field, an unknown or prototype key, or a repeated key.
 * `base` overrides fields (a frame's `type`).
 */
export function mutated(schema: Schema, ids: Ids, rng: Rng, base: Record<string, unknown> = {}): Mutated {
  const valid = { ...validObject(schema, ids, rng), ...base };
  const properties = Object.entries(schema.properties ?? {}).filter(([key]) => !(key in base));
  const entries = (): [string, Json][] => Object.entries(valid).map(([k, v]) => [k, fromValue(v)]);
  const kind =
    properties.length === 0
      ? rng.pick(["unknown", "proto"] as const)
      : rng.weighted([
          [5, "value"],
          [4, "typed"],
          [1, "missing"],
          [1, "unknown"],
          [1, "proto"],
          [1, "repeat"],
        ] as const);
  const [name, property] = properties.length > 0 ? rng.pick(properties) : ["", {}];
  const set = (value: Json) => [...entries().filter(([k]) => k !== name), [name, value] as [string, Json]];
  switch (kind) {
    case "value": {
      const value = hostileValue(rng);
      return {
        label: `valid body, ${name} := ${value.label}`,
        value: obj(...set(value.value)),
        refuse: refused(value, property),
      };
    }
    case "typed": {
      const types = typesOf(property);
      if (types.has("string")) {
        const text = hostileString(rng, property.maxLength ?? 5000);
        return {
          label: `valid body, ${name} := ${text.label}`,
          value: obj(...set(str(text.value))),
          refuse: !text.value.isWellFormed(),
        };
      }
      const bounds = [property.minimum, property.maximum].filter((n): n is number => n !== undefined);
      const number = rng.pick([
        ...bounds.flatMap((n) => [n - 1, n, n + 1].map(String)),
        "-0",
        "0.5",
        "9007199254740993",
      ]);
      return { label: `valid body, ${name} := ${number}`, value: obj(...set(raw(number))), refuse: false };
    }
    case "missing":
      if (!schema.required?.includes(name)) return mutated(schema, ids, rng, base);
      return {
        label: `valid body without ${name}`,
        value: obj(...entries().filter(([k]) => k !== name)),
        refuse: true,
      };
    case "unknown":
      return {
        label: "valid body with an unknown field",
        value: obj(...entries(), [rng.pick(["extra", "id", "owner_id", "role", "is_admin"]), raw("true")]),
        refuse: true,
      };
    case "proto": {
      const key = protoKey(rng);
      return {
        label: `valid body with key ${key}`,
        value: obj(...entries(), [key, obj(["polluted", raw("true")])]),
        refuse: true,
      };
    }
    case "repeat": {
      const value = hostileValue(rng, false);
      // JSON.parse keeps the last of repeated keys: the hostile one.
      return {
        label: `valid body, ${name} repeated as ${value.label}`,
        value: obj(...entries(), [name, value.value]),
        refuse: refused(value, property),
      };
    }
  }
}
