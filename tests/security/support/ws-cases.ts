// Hostile client frames: for each frame type of src/ws/protocol.ts, valid-shaped frames with one
// field mutated, hostile frames that keep the type, and odd refs and types; plus frames of no type
// at all: binary, not JSON, not UTF-8, empty, past the payload limit and past four times it.
import { clientFrames } from "../../../src/ws/protocol";
import type { Fixtures } from "./fixtures";
import { hostileBody, invalidUtf8, notJson } from "./hostile";
import { bytes, concat, type Json, longStrings, obj, raw, str, toBytes } from "./json-tree";
import type { Rng } from "./random";
import { mutated, type Schema, validValue } from "./schema";

export type FrameCase = {
  label: string;
  kind: "text" | "binary";
  payload: Uint8Array;
  /** The frame can never be right: an error frame is due. */
  refuse: boolean;
  longInputs: string[];
};

export const FRAME_TYPES = Object.keys(clientFrames);

/** The gateway's WS_MAX_PAYLOAD_BYTES in the server under test (its default). */
export const MAX_PAYLOAD = 65_536;

const frameCase = (label: string, value: Json, refuse: boolean, kind: "text" | "binary" = "text"): FrameCase => ({
  label,
  kind,
  payload: toBytes(value),
  refuse,
  longInputs: longStrings(value, 1024),
});

/** Case `index` of a frame type. */
export function typedFrameCase(type: string, fixtures: Fixtures, rng: Rng): FrameCase {
  const schema = (clientFrames as Record<string, unknown>)[type] as Schema;
  const ids = {
    ...fixtures.ids(),
    room: rng.weighted([
      [8, fixtures.room],
      [2, fixtures.privateRoom],
    ]),
  };
  const fields = Object.keys(schema.properties ?? {}).filter((f) => f !== "type");
  const typed = (entries: [string, Json][]) => obj(["type", str(type)], ...entries);
  return rng.weighted<() => FrameCase>([
    [
      10,
      () => {
        const m = mutated(schema, ids, rng, { type });
        return frameCase(m.label.replace("valid body", `valid ${type}`), m.value, m.refuse);
      },
    ],
    [
      7,
      () => {
        const h = hostileBody(rng, fields, typed);
        return frameCase(h.label, h.value, h.refuse || h.value.kind !== "object");
      },
    ],
    [1, () => frameCase(`valid ${type}`, raw(JSON.stringify(validValue(schema, "", ids, rng))), false)],
    [
      2,
      () => {
        const valid = validValue(schema, "", ids, rng) as Record<string, unknown>;
        const [label, ref] = rng.pick<[string, Json]>([
          ["ref of 129 characters", str("r".repeat(129))],
          ["ref of 100000 characters", str("r".repeat(100_000))],
          ["numeric ref", raw("1")],
          ["object ref", obj(["a", raw("1")])],
          ["ref with a lone surrogate", str("r\ud800")],
          ["ref with NUL and bidi controls", str("\u0000\u202e")],
        ]);
        const entries = Object.entries(valid).map(([k, v]) => [k, raw(JSON.stringify(v))] as [string, Json]);
        return frameCase(
          `${type} with ${label}`,
          obj(...entries, ["ref", ref]),
          label !== "ref with NUL and bidi controls",
        );
      },
    ],
  ])();
}

/** Frames no type can make right: wrong types, binary, not JSON, not UTF-8, too large. */
export function rawFrameCase(rng: Rng): FrameCase {
  return rng.weighted<() => FrameCase>([
    [
      3,
      () => {
        const type = rng.pick([
          raw('"SUBSCRIBE"'),
          str("ping\u0000"),
          raw("5"),
          raw("null"),
          str("__proto__"),
          str("constructor"),
          str("toString"),
          str("hasOwnProperty"),
          str("p\u0456ng"),
          str("x".repeat(5000)),
        ]);
        return frameCase(
          `type ${new TextDecoder().decode(toBytes(type)).slice(0, 30)}`,
          obj(["type", type], ["room_id", str(crypto.randomUUID())]),
          true,
        );
      },
    ],
    [1, () => frameCase("no type", obj(["room_id", str(crypto.randomUUID())]), true)],
    [
      2,
      () => {
        const text = rng.pick(['{"type":"ping"}', "\u0000\u0001\u00ff", "", "x".repeat(70_000)]);
        return frameCase(`binary frame ${JSON.stringify(text.slice(0, 20))}`, raw(text), true, "binary");
      },
    ],
    [
      3,
      () => {
        const bad = notJson(rng);
        return frameCase(bad.label, raw(bad.text), true);
      },
    ],
    [
      2,
      () =>
        frameCase(
          "invalid UTF-8 in a text frame",
          concat(raw('{"type":"ping","x":"'), bytes(...invalidUtf8(rng)), raw('"}')),
          true,
        ),
    ],
    [1, () => frameCase("empty text frame", raw(""), true)],
    [
      2,
      () => {
        const size = rng.pick([MAX_PAYLOAD + 1, 2 * MAX_PAYLOAD, 4 * MAX_PAYLOAD - 100]);
        return frameCase(
          `frame of ${size} bytes (over the limit)`,
          obj(["type", str("ping")], ["x", str("x".repeat(size))]),
          true,
        );
      },
    ],
    [
      1,
      () => {
        const size = rng.pick([4 * MAX_PAYLOAD + 1, 1_000_000]);
        return frameCase(
          `frame of ${size} bytes (over 4x the limit)`,
          obj(["type", str("ping")], ["x", str("x".repeat(size))]),
          true,
        );
      },
    ],
  ])();
}
