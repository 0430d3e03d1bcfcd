// Decoding untrusted JSON text (request bodies and WebSocket frames): nesting and the number of items
// in arrays and objects are bounded before JSON.parse builds anything, and `__proto__` keys and text
// that is not well-formed Unicode are refused wherever they appear.
import { invalidJson, validationFailed } from "../domain/errors";

/** Deepest nesting of arrays and objects accepted. chatd's own bodies and frames nest two levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * Most items in one text: array elements and object members, all arrays and objects together.
 * chatd's bodies and frames have fewer than twenty. JSON.parse of a megabyte of small items (330,000
 * empty objects, 95,000 distinct keys, 500,000 zeros) held the event loop 50-280 ms, far more than
 * reading the same bytes as one string.
 */
export const MAX_JSON_ITEMS = 1000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * Tracks the nesting depth and the items (the first one in each non-empty array or object, and one
 * per comma) of JSON text fed in pieces (bytes or a string), outside strings. Throws `invalid_json` as
 * soon as the depth passes MAX_JSON_DEPTH or the items pass MAX_JSON_ITEMS, so a body is refused while
 * it is still arriving. Only ASCII code units matter, so UTF-8 bytes can be fed split anywhere. It
 * does not check the JSON otherwise: JSON.parse does that afterwards.
 */
export class JsonScanner {
  #depth = 0;
  #items = 0;
  /** An array or object just opened: whether it is empty shows at the next byte that is not a space. */
  #opened = false;
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
      return;
    }
    if (this.#opened && !isSpace(c)) {
      this.#opened = false;
      if (c !== CLOSE_ARRAY && c !== CLOSE_OBJECT) this.#item();
    }
    if (c === QUOTE) this.#inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++this.#depth > MAX_JSON_DEPTH) throw invalidJson(`JSON nesting is deeper than ${MAX_JSON_DEPTH} levels`);
      this.#opened = true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) this.#depth--;
    else if (c === COMMA) this.#item();
  }

  #item() {
    if (++this.#items > MAX_JSON_ITEMS)
      throw invalidJson(`JSON has more than ${MAX_JSON_ITEMS} items in its arrays and objects`);
  }
}

/**
 * Parses JSON text: `invalid_json` when it is not JSON, nests too deep or has too many items; `validation_failed`
 * naming the field when an object has a `__proto__` key or a key or string is not well-formed
 * Unicode (see refusedContent). `alreadyScanned`: the text went through a JsonScanner while it arrived.
 */
export function parseJson(text: string, alreadyScanned = false): unknown {
  if (!alreadyScanned) new JsonScanner().feed(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidJson();
  }
  const refused = refusedContent(text, value);
  if (refused !== null)
    throw validationFailed("request is invalid", [{ field: refused.field || "body", message: refused.message }]);
  return value;
}

/** What a parsed value may not hold: the dotted path to it (empty: the value itself) and why. */
export type Refused = { field: string; message: string };

/**
 * The first thing in a value parsed from `text` that is refused wherever it appears, or null:
 * - a `__proto__` key: JSON.parse makes it an own property, which a later copy or `Object.assign`
 *   would turn into the object's prototype, so inherited values would slip past validation;
 * - a key or string that is not well-formed Unicode (a lone surrogate, which only a \u escape can
 *   write): storage and hashing turn every lone surrogate into U+FFFD, so two different values would
 *   become one (two client_ids, two passwords) and what is kept would not be what was sent.
 */
export function refusedContent(text: string, value: unknown): Refused | null {
  // Both need those letters in the text, or a \u escape.
  if (!text.includes("__proto__") && !text.includes("\\u")) return null;
  const found = refusedPath(value);
  return found && { field: found.path.join("."), message: found.message };
}

const UNEXPECTED = "Unexpected property";
const NOT_UNICODE = "must be valid Unicode text";

/** The key path of the first refused key or string, and why. Depth is already bounded. */
function refusedPath(value: unknown): { path: string[]; message: string } | null {
  if (typeof value === "string") return value.isWellFormed() ? null : { path: [], message: NOT_UNICODE };
  if (typeof value !== "object" || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item !== "string" && (typeof item !== "object" || item === null)) continue;
      const found = refusedPath(item);
      if (found !== null) return { ...found, path: [String(i), ...found.path] };
    }
    return null;
  }
  if (Object.hasOwn(value, "__proto__")) return { path: ["__proto__"], message: UNEXPECTED };
  for (const key in value) {
    // The name is shown with U+FFFD in place of the lone surrogate, so the error is well-formed too.
    if (!key.isWellFormed()) return { path: [key.toWellFormed()], message: NOT_UNICODE };
    const found = refusedPath((value as Record<string, unknown>)[key]);
    if (found !== null) return { ...found, path: [key, ...found.path] };
  }
  return null;
}
