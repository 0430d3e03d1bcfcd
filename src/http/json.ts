// Decoding untrusted JSON text (request bodies and WebSocket frames): nesting is bounded before
// JSON.parse builds anything, and `__proto__` keys are refused wherever they appear.
import { invalidJson, validationFailed } from "../domain/errors";

/** Deepest nesting of arrays and objects accepted. chatd's own bodies and frames nest two levels. */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Tracks the nesting depth of JSON text fed in pieces (bytes or a string), skipping brackets inside
 * strings. Throws `invalid_json` as soon as the depth passes MAX_JSON_DEPTH, so a body is refused
 * while it is still arriving. Only ASCII code units matter, so UTF-8 bytes can be fed split anywhere.
 * It does not check the JSON otherwise: JSON.parse does that afterwards.
 */
export class DepthScanner {
  #depth = 0;
  #inString = false;
  #escaped = false;

  feed(chunk: Uint8Array | string): void {
    if (typeof chunk === "string") {
      for (let i = 0; i < chunk.length; i++) this.#step(chunk.charCodeAt(i));
    } else {
      for (let i = 0; i < chunk.length; i++) this.#step(chunk[i]!);
    }
  }

  #step(c: number) {
    if (this.#inString) {
      if (this.#escaped) this.#escaped = false;
      else if (c === BACKSLASH) this.#escaped = true;
      else if (c === QUOTE) this.#inString = false;
    } else if (c === QUOTE) this.#inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++this.#depth > MAX_JSON_DEPTH) throw invalidJson(`JSON nesting is deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) this.#depth--;
  }
}

/**
 * Parses JSON text: `invalid_json` when it is not JSON or nests too deep; `validation_failed`
 * naming the field when an object has a `__proto__` key (see protoKeyField). `alreadyScanned`: the
 * text went through a DepthScanner while it arrived.
 */
export function parseJson(text: string, alreadyScanned = false): unknown {
  if (!alreadyScanned) new DepthScanner().feed(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidJson();
  }
  const field = protoKeyField(text, value);
  if (field !== null) throw validationFailed("request is invalid", [{ field, message: "Unexpected property" }]);
  return value;
}

/**
 * The dotted path of the first `__proto__` key in a value parsed from `text`, or null. JSON.parse
 * makes such a key an own property, which a later copy or `Object.assign` would turn into the
 * object's prototype, so inherited values would slip past validation: it is refused everywhere.
 */
export function protoKeyField(text: string, value: unknown): string | null {
  // The key needs those letters in the text, or a \u escape spelling some of them.
  if (!text.includes("__proto__") && !text.includes("\\u")) return null;
  return protoKeyPath(value)?.join(".") ?? null;
}

/** The key path of the first `__proto__` key in the value, or null. Depth is already bounded. */
function protoKeyPath(value: unknown): string[] | null {
  if (typeof value !== "object" || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item !== "object" || item === null) continue;
      const found = protoKeyPath(item);
      if (found !== null) return [String(i), ...found];
    }
    return null;
  }
  if (Object.hasOwn(value, "__proto__")) return ["__proto__"];
  for (const key in value) {
    const found = protoKeyPath((value as Record<string, unknown>)[key]);
    if (found !== null) return [key, ...found];
  }
  return null;
}
