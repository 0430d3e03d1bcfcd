// What every answer to a hostile request or frame must be, as a list of problems (empty: fine): no
// 5xx, the contract's error shape with the code its status stands for and bounded sizes, no echo of
// a long input, refusals where the input can never be right; for frames, error frames with a known
// code and no other close than the documented ones.

/** The error codes each 4xx status may carry (README "Errors"; 426 is the WebSocket route without an upgrade). */
const CODES: Record<number, readonly string[]> = {
  400: ["validation_failed", "invalid_json"],
  401: ["unauthorized"],
  403: ["forbidden"],
  404: ["not_found"],
  405: ["method_not_allowed"],
  409: ["conflict"],
  413: ["payload_too_large"],
  415: ["unsupported_media_type"],
  426: ["upgrade_required"],
  429: ["rate_limited"],
};

/** Error frame codes (README "WebSocket gateway"). */
export const FRAME_CODES = new Set([
  "invalid_frame",
  "unknown_type",
  "validation_failed",
  "not_member",
  "not_found",
  "rate_limited",
  "content_too_long",
  "unavailable",
]);

/** Bounds from src/http/details.ts: 10 details, fields of 128 and messages of 200 characters (+1 for the ellipsis). */
const MAX_MESSAGE = 128 + 200;
const MAX_DETAIL_FIELD = 128;
const MAX_DETAIL_MESSAGE = 200;
export const MAX_ERROR_BYTES = 4096;
/** A success may carry stored text (a message of 500 code points, a page of rooms), never an input's size. */
const MAX_SUCCESS_BYTES = 256 * 1024;
/** A long input string must never come back this long. */
export const ECHO_WINDOW = 1024;

export type Answer = { status: number; headers: Headers; text: string } | { failed: string };

const isShortPrimitive = (value: unknown) =>
  value === null ||
  typeof value === "number" ||
  typeof value === "boolean" ||
  (typeof value === "string" && value.length <= 64);

/** Problems with an error body `{"error":{code,message,details?}}` for `status`. */
export function errorShapeProblems(status: number, body: unknown): string[] {
  const problems: string[] = [];
  if (typeof body !== "object" || body === null || Array.isArray(body)) return ["error body is not a JSON object"];
  if (Object.keys(body).join() !== "error") problems.push(`error body has keys ${Object.keys(body).join(",")}`);
  const error = (body as { error?: unknown }).error as Record<string, unknown> | undefined;
  if (typeof error !== "object" || error === null) return [...problems, "no error object"];
  const extra = Object.keys(error).filter((k) => !["code", "message", "details"].includes(k));
  if (extra.length) problems.push(`error has extra keys ${extra.join(",")}`);
  if (!CODES[status]?.includes(error.code as string))
    problems.push(`status ${status} with code ${JSON.stringify(error.code)}`);
  if (typeof error.message !== "string" || error.message.length > MAX_MESSAGE)
    problems.push("message missing or too long");
  if (error.details !== undefined) {
    const details = error.details;
    if (!Array.isArray(details) || details.length === 0 || details.length > 10)
      problems.push("details is not 1-10 items");
    else
      for (const detail of details) {
        const { field, message, ...rest } = detail as Record<string, unknown>;
        if (field !== undefined && (typeof field !== "string" || field.length > MAX_DETAIL_FIELD + 1))
          problems.push("detail field too long");
        if (typeof message !== "string" || message.length > MAX_DETAIL_MESSAGE + 1)
          problems.push("detail message missing or too long");
        if (!Object.values(rest).every(isShortPrimitive)) problems.push("detail carries a non-primitive or long value");
      }
  }
  return problems;
}

/** Whether `text` contains the start of a long input string, raw or JSON-escaped. */
export function echoes(text: string, inputs: readonly string[]): boolean {
  return inputs.some((input) => {
    const window = input.slice(0, ECHO_WINDOW);
    return text.includes(window) || text.includes(JSON.stringify(window).slice(1, -1));
  });
}

/** Problems with an HTTP answer; `refuse`: the request can never be right, so no 2xx. */
export function httpProblems(
  answer: Answer,
  options: { refuse: boolean; longInputs: readonly string[]; path: string },
): string[] {
  if ("failed" in answer) return [`no answer: ${answer.failed}`];
  const { status, headers, text } = answer;
  if (status >= 500) return [`status ${status}: ${text.slice(0, 300)}`];
  const problems: string[] = [];
  if (echoes(text, options.longInputs)) problems.push(`the response echoes a ${ECHO_WINDOW}+ character input`);
  if (status >= 400) {
    if (!headers.get("content-type")?.startsWith("application/json"))
      problems.push(`${status} is not application/json`);
    if (text.length > MAX_ERROR_BYTES) problems.push(`error body of ${text.length} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return [...problems, `${status} body is not JSON: ${text.slice(0, 200)}`];
    }
    problems.push(...errorShapeProblems(status, body));
    if (status === 401 && !headers.get("www-authenticate")?.startsWith("Bearer"))
      problems.push("401 without a Bearer challenge");
    if (status === 405 && !headers.get("allow")) problems.push("405 without Allow");
    if (status === 429 && !headers.get("retry-after")) problems.push("429 without Retry-After");
    return problems;
  }
  if (options.refuse) problems.push(`accepted (${status}) a request that can never be right`);
  if (options.path !== "/metrics" && text.length > MAX_SUCCESS_BYTES)
    problems.push(`success body of ${text.length} bytes`);
  return problems;
}

/** Server frames a client may get besides errors (README: replies, room events, ephemeral events). */
const FRAME_TYPES = new Set([
  "hello",
  "pong",
  "subscribed",
  "unsubscribed",
  "ack",
  "message.created",
  "message.updated",
  "message.deleted",
  "reaction.added",
  "reaction.removed",
  "member.joined",
  "member.left",
  "member.kicked",
  "member.banned",
  "member.role_changed",
  "room.updated",
  "room.deleted",
  "typing",
  "presence",
  "read",
  "presence.status",
  "presence.watched",
  "user.presence",
]);

/** Problems with the frames one hostile frame got back; `refuse`: it can never be right, so an error is due. */
export function frameProblems(
  frames: readonly Record<string, unknown>[],
  options: { refuse: boolean; longInputs: readonly string[] },
): string[] {
  const problems: string[] = [];
  for (const frame of frames) {
    const text = JSON.stringify(frame);
    if (echoes(text, options.longInputs))
      problems.push(`a ${frame.type} frame echoes a ${ECHO_WINDOW}+ character input`);
    if (frame.type === "error") {
      if (!FRAME_CODES.has(frame.code as string)) problems.push(`error frame with code ${JSON.stringify(frame.code)}`);
      if (typeof frame.message !== "string" || frame.message.length > MAX_MESSAGE)
        problems.push("error frame message missing or too long");
      if (text.length > 1024) problems.push(`error frame of ${text.length} bytes`);
    } else if (!FRAME_TYPES.has(frame.type as string))
      problems.push(`unexpected frame type ${JSON.stringify(frame.type)}`);
    else if (text.length > MAX_SUCCESS_BYTES) problems.push(`${frame.type} frame of ${text.length} bytes`);
  }
  if (options.refuse && !frames.some((f) => f.type === "error"))
    problems.push("no error for a frame that can never be right");
  return problems;
}
