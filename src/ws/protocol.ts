// The WebSocket protocol: client frames (validated with compiled TypeBox schemas), server frame
// builders, and the one mapping from catalog errors to error frames.
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { type Static, t } from "elysia";
import type { AppError } from "../domain/errors";
import { boundMessage } from "../http/details";
import { JsonScanner, refusedContent } from "../http/json";
import { JsonInteger } from "../http/schemas";

const Ref = t.Optional(t.String({ maxLength: 128, description: "echoed on the reply or error for this frame" }));
const Id = t.String({ format: "uuid" });
const frame = <K extends string, T extends Parameters<typeof t.Object>[0]>(type: K, fields: T) =>
  t.Object({ type: t.Literal(type), ref: Ref, ...fields }, { additionalProperties: false });

/** The client → server frames by type; the AsyncAPI document (asyncapi.ts) is generated from them. */
export const clientFrames = {
  subscribe: frame("subscribe", {
    room_id: Id,
    // The last room position the client saw, or a message id (after that message's position).
    since: t.Optional(t.Union([JsonInteger({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), Id])),
  }),
  unsubscribe: frame("unsubscribe", { room_id: Id }),
  "message.send": frame("message.send", {
    room_id: Id,
    content: t.String({ maxLength: 100_000 }),
    client_id: t.Optional(t.Union([t.String({ minLength: 1, maxLength: 64 }), t.Null()])),
    reply_to: t.Optional(t.Union([Id, t.Null()])),
    thread_root: t.Optional(t.Union([Id, t.Null()])),
    attachment_ids: t.Optional(t.Array(Id, { maxItems: 10 })),
  }),
  typing: frame("typing", { room_id: Id }),
  read: frame("read", { room_id: Id, message_id: Id }),
  ping: frame("ping", {}),
};

type Schemas = typeof clientFrames;
export type ClientFrameType = keyof Schemas;
export type ClientFrame = { [K in ClientFrameType]: Static<Schemas[K]> }[ClientFrameType];

const checkers = new Map(Object.entries(clientFrames).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]));

/** Why a frame was refused: the error frame's code and message, and the ref when one could be read. */
export class FrameError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly ref?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The frame's ref when it is one the reply may carry back (a well-formed string of at most 128). */
const refOf = (value: unknown) => {
  const ref = (value as { ref?: unknown } | null)?.ref;
  return typeof ref === "string" && ref.length <= 128 && ref.isWellFormed() ? ref : undefined;
};

/**
 * Decodes one text frame by the same rules as request bodies (nesting and items bounded, `__proto__`
 * and text that is not well-formed Unicode refused). Throws FrameError: invalid_frame (binary, not
 * JSON, nested too deep, too many items, not an object, or larger than maxBytes), unknown_type,
 * validation_failed (naming the first bad field; `__proto__` is one, and so is a lone surrogate).
 */
export function decodeFrame(raw: string | Buffer, maxBytes: number): ClientFrame {
  if (typeof raw !== "string") throw new FrameError("invalid_frame", "frames must be JSON text");
  try {
    new JsonScanner().feed(raw);
  } catch (error) {
    throw new FrameError("invalid_frame", (error as Error).message);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new FrameError("invalid_frame", "frame is not valid JSON");
  }
  const ref = refOf(value);
  if (raw.length > maxBytes || Buffer.byteLength(raw) > maxBytes) {
    throw new FrameError("invalid_frame", `frame exceeds ${maxBytes} bytes`, ref);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FrameError("invalid_frame", "a frame is a JSON object with a type", ref);
  }
  const refused = refusedContent(raw, value);
  if (refused !== null)
    throw new FrameError("validation_failed", boundMessage(`${refused.field}: ${refused.message}`), ref);
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string") throw new FrameError("validation_failed", "type: required string", ref);
  const checker = checkers.get(type);
  if (!checker) throw new FrameError("unknown_type", `unknown frame type "${type.slice(0, 64)}"`, ref);
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First();
    const field = first?.path.slice(1).replaceAll("/", ".") || "frame";
    throw new FrameError("validation_failed", boundMessage(`${field}: ${first?.message ?? "invalid"}`), ref);
  }
  return value as ClientFrame;
}

/** The error frame for a catalog error raised while handling a frame. */
export function frameErrorFor(error: AppError, ref: string | undefined): FrameError {
  if (error.code === "rate_limited") return new FrameError("rate_limited", error.message, ref, error.retryAfterMs);
  if (error.code === "forbidden" || (error.code === "not_found" && error.resource === "room")) {
    return new FrameError("not_member", "not a member of this room", ref);
  }
  if (error.code === "validation_failed") {
    const detail = error.details?.[0];
    const code = error.details?.some((d) => d.reason === "too_long") ? "content_too_long" : "validation_failed";
    return new FrameError(
      code,
      boundMessage(detail?.field ? `${detail.field}: ${detail.message}` : error.message),
      ref,
    );
  }
  return new FrameError(error.code, error.message, ref);
}

export const withRef = (ref: string | undefined) => (ref !== undefined ? { ref } : {});

export const errorFrame = (error: FrameError) =>
  JSON.stringify({
    type: "error",
    ...withRef(error.ref),
    code: error.code,
    message: error.message,
    ...(error.retryAfterMs !== undefined ? { retry_after_ms: error.retryAfterMs } : {}),
  });
