// Hostile JSON as a tree that can say what JSON.stringify cannot: keys spelled with \u escapes or
// repeated, raw invalid UTF-8 bytes, nesting far past any recursion limit, arrays of 10^5 items. It
// writes itself out as bytes without recursion on depth, and offers smaller versions of itself, so a
// failing case can be shrunk to a minimal one.

export type Json =
  /** JSON text as it is: a number, a literal, an escaped string, or a fragment that is no JSON at all. */
  | { kind: "raw"; text: string; source?: string }
  /** Bytes spliced in as they are (invalid UTF-8). */
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "array"; items: Json[] }
  /** An array of `count` copies of `item`. */
  | { kind: "repeat"; item: Json; count: number }
  /** Keys are JSON string literals as written (so `"\u005f_proto__"` stays escaped, and keys may repeat). */
  | { kind: "object"; entries: [string, Json][] }
  /** `depth` levels of `open` around `inner` (`[` arrays, `{"a":` objects). */
  | { kind: "nest"; depth: number; open: "[" | "{"; inner: Json }
  /** Parts written one after the other, nothing between (a string with raw bytes inside it). */
  | { kind: "concat"; parts: Json[] };

export const raw = (text: string): Json => ({ kind: "raw", text });
/** A string value; JSON.stringify writes a lone surrogate as its \u escape. */
export const str = (value: string): Json => ({ kind: "raw", text: JSON.stringify(value), source: value });
export const bytes = (...values: number[]): Json => ({ kind: "bytes", bytes: Uint8Array.from(values) });
export const concat = (...parts: Json[]): Json => ({ kind: "concat", parts });
export const arr = (...items: Json[]): Json => ({ kind: "array", items });
export const repeat = (item: Json, count: number): Json => ({ kind: "repeat", item, count });
export const nest = (depth: number, inner: Json, open: "[" | "{" = "["): Json => ({ kind: "nest", depth, open, inner });
/** An object from [key, value] pairs; a key is quoted with JSON.stringify unless it already starts with `"`. */
export const obj = (...entries: [string, Json][]): Json => ({
  kind: "object",
  entries: entries.map(([key, value]) => [key.startsWith('"') ? key : JSON.stringify(key), value]),
});

/** Any plain JSON value (from JSON.parse or a literal) as a tree. */
export function fromValue(value: unknown): Json {
  if (Array.isArray(value)) return arr(...value.map(fromValue));
  if (value !== null && typeof value === "object")
    return obj(...Object.entries(value).map(([k, v]) => [k, fromValue(v)] as [string, Json]));
  if (typeof value === "string") return str(value);
  return raw(JSON.stringify(value) ?? "null");
}

const encoder = new TextEncoder();

/** The tree as text; raw bytes come out as U+FFFD (use toBytes to send them). */
export function toText(node: Json): string {
  return new TextDecoder().decode(toBytes(node));
}

export function toBytes(node: Json): Uint8Array {
  const parts: (string | Uint8Array)[] = [];
  write(node, parts);
  const chunks = parts.map((part) => (typeof part === "string" ? encoder.encode(part) : part));
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function write(node: Json, out: (string | Uint8Array)[]): void {
  switch (node.kind) {
    case "raw":
      out.push(node.text);
      return;
    case "bytes":
      out.push(node.bytes);
      return;
    case "array":
      out.push("[");
      node.items.forEach((item, i) => {
        if (i > 0) out.push(",");
        write(item, out);
      });
      out.push("]");
      return;
    case "repeat": {
      const item: (string | Uint8Array)[] = [];
      write(node.item, item);
      const text = item.every((part) => typeof part === "string") ? item.join("") : null;
      out.push("[");
      if (text !== null) out.push(Array(node.count).fill(text).join(","));
      else for (let i = 0; i < node.count; i++) out.push(...(i > 0 ? [","] : []), ...item);
      out.push("]");
      return;
    }
    case "object":
      out.push("{");
      node.entries.forEach(([key, value], i) => {
        out.push(i > 0 ? `,${key}:` : `${key}:`);
        write(value, out);
      });
      out.push("}");
      return;
    case "concat":
      for (const part of node.parts) write(part, out);
      return;
    case "nest":
      out.push(node.open === "[" ? "[".repeat(node.depth) : '{"a":'.repeat(node.depth));
      write(node.inner, out);
      out.push(node.open === "[" ? "]".repeat(node.depth) : "}".repeat(node.depth));
  }
}

/** Strings longer than `min` characters anywhere in the tree (what a response must not echo). */
export function longStrings(node: Json, min: number, found: string[] = []): string[] {
  if (node.kind === "raw" && node.source !== undefined && node.source.length > min) found.push(node.source);
  else if (node.kind === "array") for (const item of node.items) longStrings(item, min, found);
  else if (node.kind === "repeat" || node.kind === "nest")
    longStrings(node.kind === "repeat" ? node.item : node.inner, min, found);
  else if (node.kind === "object") for (const [, value] of node.entries) longStrings(value, min, found);
  return found;
}

/** Smaller versions of the tree, most shrinking first. */
export function* smaller(node: Json): Generator<Json> {
  switch (node.kind) {
    case "raw":
      if (node.source !== undefined && node.source.length > 1) {
        const half = [...node.source].slice(0, Math.ceil([...node.source].length / 2)).join("");
        yield str(half);
      }
      return;
    case "bytes":
    case "concat":
      return;
    case "array":
      if (node.items.length > 1) {
        yield arr(...node.items.slice(0, Math.ceil(node.items.length / 2)));
        yield arr(...node.items.slice(Math.ceil(node.items.length / 2)));
      }
      for (let i = 0; i < Math.min(node.items.length, 8); i++) {
        for (const item of smaller(node.items[i]!)) yield arr(...node.items.map((old, j) => (j === i ? item : old)));
      }
      return;
    case "repeat":
      if (node.count > 1) yield repeat(node.item, Math.floor(node.count / 2));
      for (const item of smaller(node.item)) yield repeat(item, node.count);
      return;
    case "object":
      for (let i = 0; i < node.entries.length; i++)
        yield { kind: "object", entries: node.entries.filter((_, j) => j !== i) };
      for (let i = 0; i < node.entries.length; i++) {
        const [key, value] = node.entries[i]!;
        for (const item of smaller(value)) {
          yield { kind: "object", entries: node.entries.map((old, j) => (j === i ? [key, item] : old)) };
        }
      }
      return;
    case "nest":
      if (node.depth > 1) yield nest(Math.floor(node.depth / 2), node.inner, node.open);
      if (node.depth > 1) yield nest(node.depth - 1, node.inner, node.open);
      for (const inner of smaller(node.inner)) yield nest(node.depth, inner, node.open);
  }
}

/**
 * Greedy shrinking: keeps the first smaller tree that still fails, until none does or `budget`
 * attempts are spent. Each attempt is one request, so the budget bounds the cost of a failure.
 */
export async function shrink(node: Json, fails: (candidate: Json) => Promise<boolean>, budget = 40): Promise<Json> {
  let current = node;
  let attempts = 0;
  let progress = true;
  while (progress && attempts < budget) {
    progress = false;
    for (const candidate of smaller(current)) {
      if (attempts++ >= budget) break;
      if (await fails(candidate)) {
        current = candidate;
        progress = true;
        break;
      }
    }
  }
  return current;
}

/** A printable view of bytes: short ones in full, long ones cut, invalid UTF-8 shown as \xNN. */
export function preview(data: Uint8Array, max = 600): string {
  const head = data.subarray(0, max);
  let text = "";
  const decoder = new TextDecoder("utf-8", { fatal: true });
  try {
    text = JSON.stringify(decoder.decode(head, { stream: true }));
  } catch {
    text = `"${[...head].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join("")}"`;
  }
  return data.length > max ? `${text}… (${data.length} bytes in all)` : text;
}
