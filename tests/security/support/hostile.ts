// Hostile values and whole bodies for requests and frames: nesting at, just past and far past the
// 32-level limit, arrays of 10^5 items and objects of 10^5 keys, prototype keys at any depth (also
// \u-escaped), numbers at the edges, strings with lone surrogates, NUL, bidi controls, zero-width and
// combining characters, very long strings, invalid UTF-8 bytes, duplicate keys, and text that is no
// JSON at all (the tables are in corpus.ts). Each comes with a label (what a failure report names) and
// whether the server must refuse it wherever it appears.
import {
  ESCAPED_STRINGS,
  INVALID_UTF8,
  JSON_SCALARS,
  LONG_COUNTS,
  LONG_UNITS,
  NOT_JSON,
  NUMBERS,
  PROTO_KEYS,
  STRING_GROUPS,
} from "./corpus";
import { arr, bytes, concat, type Json, nest, obj, raw, repeat, str } from "./json-tree";
import type { Rng } from "./random";

/**
 * `refuse`: no request or frame carrying it may succeed, whatever the field: it is not JSON, not
 * UTF-8, not well-formed Unicode, nested past the limit, has too many items, or a `__proto__` key.
 */
export type Hostile = { label: string; value: Json; refuse: boolean };

export const MAX_DEPTH = 32;
/** The server's bound on items (array elements and object members) in one body or frame (src/http/json.ts). */
export const MAX_ITEMS = 1000;

type Text = { label: string; value: string };

/** Strings that are awkward for text rules, storage, logs and terminals; none longer than `maxLength`. */
export function hostileString(rng: Rng, maxLength = 300_000): Text {
  const groups = STRING_GROUPS.map(([weight, label, values]) => [weight, [label, values]] as const);
  if (rng.chance(0.12)) {
    const unit = rng.pick(LONG_UNITS);
    const counts = LONG_COUNTS.filter((n) => n * unit.length <= maxLength);
    // Nothing long fits a short field: a string exactly at its limit.
    const count = counts.length > 0 ? rng.pick(counts) : Math.max(1, Math.floor(maxLength / unit.length));
    return { label: `long string ${JSON.stringify(unit)} x${count}`, value: unit.repeat(count) };
  }
  const [label, values] = rng.weighted(groups);
  const value = rng.pick(values);
  return { label: `${label} ${JSON.stringify(value).slice(0, 40)}`, value };
}

export const hostileNumber = (rng: Rng): string => rng.pick(NUMBERS);
export const protoKey = (rng: Rng): string => rng.pick(PROTO_KEYS);

/** Whether a key (JSON text) is `__proto__`, which JSON.parse makes an own property: refused everywhere. */
export const isProto = (key: string) => JSON.parse(key) === "__proto__";

const protoValue = (): Json => obj(["polluted", raw("true")], ["prototype", obj(["polluted", raw("true")])]);

const depthNode = (rng: Rng, depth: number, inner: Json = raw("0")) =>
  nest(depth, inner, rng.pick(["[", "{"] as const));

/** An object of `count` distinct keys, or as many one-key objects in an array. */
const wide = (rng: Rng, count: number): Hostile => {
  const members = Array.from({ length: count }, (_, i) => `"k${i}":0`);
  const flat = rng.chance(0.6);
  const text = flat ? `{${members.join(",")}}` : `[${members.map((m) => `{${m}}`).join(",")}]`;
  return {
    label: `${flat ? "object of" : "array of objects with"} ${count} distinct keys`,
    value: raw(text),
    refuse: (flat ? count : 2 * count) > MAX_ITEMS,
  };
};

/** A value of any JSON type, hostile in some way; `big` allows values of hundreds of kilobytes. */
export function hostileValue(rng: Rng, big = rng.chance(0.15)): Hostile {
  const value = (label: string, json: Json, refuse = false): Hostile => ({ label, value: json, refuse });
  const choices: [number, () => Hostile][] = [
    [
      6,
      () => {
        const text = hostileString(rng, big ? 300_000 : 5000);
        return value(text.label, str(text.value), !text.value.isWellFormed());
      },
    ],
    [
      3,
      () => {
        const number = hostileNumber(rng);
        return value(`number ${number.slice(0, 20)}`, raw(number));
      },
    ],
    [1, () => value("literal", raw(rng.pick(["true", "false", "null"])))],
    [
      2,
      () => value("wrong container", rng.pick([obj(), arr(), arr(raw("null")), obj(["a", raw("1")]), arr(str("x"))])),
    ],
    [
      2,
      () => {
        // The body object is one level, so a field's value may nest 31 more.
        const depth = rng.pick([MAX_DEPTH - 1, MAX_DEPTH - 2]);
        return value(`nesting ${depth} in a field (at the limit)`, depthNode(rng, depth));
      },
    ],
    [
      2,
      () => {
        const depth = rng.pick([MAX_DEPTH, MAX_DEPTH + 1, 100, 5000, ...(big ? [50_000, 200_000] : [])]);
        return value(`nesting ${depth} in a field (past the limit)`, depthNode(rng, depth), true);
      },
    ],
    [
      2,
      () => {
        const key = protoKey(rng);
        return value(`object with key ${key}`, obj([key, protoValue()]), isProto(key));
      },
    ],
    [
      1,
      () => {
        const key = rng.pick(['"\\u005f_proto__"', '"__proto__"']);
        return value(`${key} deep in arrays`, nest(rng.between(1, 20), obj([key, obj()])), true);
      },
    ],
    [
      1,
      () => {
        const [text, wellFormed] = rng.pick(ESCAPED_STRINGS);
        return value(`escaped string ${text}`, raw(text), !wellFormed);
      },
    ],
    [1, () => wide(rng, rng.pick([MAX_ITEMS - 10, MAX_ITEMS + 1]))],
  ];
  if (big) {
    choices.push([
      4,
      () => {
        const count = rng.pick([10_000, 100_000]);
        const item = rng.pick([raw("0"), raw("null"), str("ab"), obj(), arr(), raw("1e309")]);
        return value(`array of ${count}`, repeat(item, count), true);
      },
    ]);
    choices.push([2, () => wide(rng, rng.pick([20_000, 90_000]))]);
  }
  return rng.weighted(choices)();
}

export const invalidUtf8 = (rng: Rng): number[] => rng.pick(INVALID_UTF8);

/** A JSON string with invalid UTF-8 bytes inside it. */
export const invalidUtf8String = (rng: Rng): Json => concat(raw('"a'), bytes(...invalidUtf8(rng)), raw('b"'));

/** Text that is no JSON (`json: false`), or JSON no chatd body or frame is (a scalar, an array). */
export function notJson(rng: Rng): { label: string; text: string; json: boolean } {
  if (rng.chance(0.7)) {
    const text = rng.pick(NOT_JSON);
    return { label: `not JSON: ${JSON.stringify(text)}`, text, json: false };
  }
  const text = rng.pick(JSON_SCALARS);
  return { label: `JSON scalar or array ${text}`, text, json: true };
}

/**
 * A whole hostile body. `fields`: the names the route or frame takes, so hostile values land on real
 * field names too. `wrap` puts a value where a body or frame keeps its fields (a frame keeps `type`).
 */
export function hostileBody(
  rng: Rng,
  fields: readonly string[],
  wrap = (entries: [string, Json][]) => obj(...entries),
): Hostile {
  const field = () =>
    fields.length > 0 && rng.chance(0.8) ? rng.pick(fields) : rng.pick(["x", "data", "\u202e", "a".repeat(300), ""]);
  return rng.weighted<() => Hostile>([
    [
      3,
      () => {
        const depth = rng.pick([MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 2, 1000, 20_000, 500_000]);
        const inner = rng.pick([raw("0"), wrap([[field(), str("x")]])]);
        const over = depth + (inner.kind === "raw" ? 0 : 1) > MAX_DEPTH;
        return { label: `top-level nesting ${depth}`, value: depthNode(rng, depth, inner), refuse: over };
      },
    ],
    [
      2,
      () => {
        const count = rng.pick([1000, 100_000]);
        const item = rng.pick([raw("0"), obj(), str("x")]);
        return { label: `top-level array of ${count}`, value: repeat(item, count), refuse: count > MAX_ITEMS };
      },
    ],
    [1, () => wide(rng, rng.pick([MAX_ITEMS, MAX_ITEMS + 1, 90_000]))],
    [
      5,
      () => {
        const name = field();
        const value = hostileValue(rng);
        const label = `field ${JSON.stringify(name).slice(0, 40)} := ${value.label}`;
        return { label, value: wrap([[name, value.value]]), refuse: value.refuse };
      },
    ],
    [
      2,
      () => {
        const key = protoKey(rng);
        const depth = rng.between(0, 6);
        let value: Json = obj([key, protoValue()]);
        for (let i = 0; i < depth; i++) value = rng.chance(0.5) ? arr(value) : obj([field(), value]);
        return { label: `${key} at depth ${depth}`, value: wrap([[field(), value]]), refuse: isProto(key) };
      },
    ],
    [2, () => ({ label: "invalid UTF-8 in a string", value: wrap([[field(), invalidUtf8String(rng)]]), refuse: true })],
    [
      1,
      () => ({
        label: "invalid UTF-8 outside strings",
        value: concat(raw("{"), bytes(...invalidUtf8(rng)), raw("}")),
        refuse: true,
      }),
    ],
    [
      2,
      () => {
        const name = field();
        const [first, second] = rng.chance(0.5) ? [str("x"), raw("5")] : [raw("5"), str("x")];
        const label = `duplicate key ${JSON.stringify(name).slice(0, 40)}`;
        return {
          label,
          value: wrap([
            [name, first],
            [name, second],
          ]),
          refuse: false,
        };
      },
    ],
    [
      3,
      () => {
        const bad = notJson(rng);
        return { label: bad.label, value: raw(bad.text), refuse: !bad.json };
      },
    ],
  ])();
}
