// Helpers every bus and stream adapter shares, so they agree on what a valid subject and header is and
// which subjects a pattern matches (the rules of ports/bus.ts, which are NATS's for `>`).
import type { Logger } from "../log";
import type { BusHandler, BusHeaders } from "../ports/bus";
import type { ConsumeOptions } from "../ports/stream";

const TOKEN = /^[^\s*>.]+$/;

/** True for a subject to publish on: non-empty tokens without whitespace or wildcards. */
const isSubject = (subject: string) => subject.split(".").every((token) => TOKEN.test(token));

/** Throws a TypeError unless `subject` may be published on. */
export function assertSubject(subject: string): void {
  if (!isSubject(subject)) throw new TypeError(`invalid subject ${JSON.stringify(subject)}`);
}

/** Throws a TypeError unless `pattern` may be subscribed to: a subject, optionally ending in `.>` (or `>`). */
export function assertPattern(pattern: string): void {
  if (pattern === ">") return;
  const base = pattern.endsWith(".>") ? pattern.slice(0, -2) : pattern;
  if (!isSubject(base)) throw new TypeError(`invalid subject pattern ${JSON.stringify(pattern)}`);
}

/** The literal part a `>` pattern requires (`a.b.` for `a.b.>`), or null for an exact pattern. */
export const wildcardPrefix = (pattern: string): string | null =>
  pattern === ">" ? "" : pattern.endsWith(".>") ? pattern.slice(0, -1) : null;

/** Whether the (valid) subject matches the (valid) pattern. */
export function matches(pattern: string, subject: string): boolean {
  const prefix = wildcardPrefix(pattern);
  return prefix === null ? pattern === subject : subject.startsWith(prefix) && subject.length > prefix.length;
}

/** Throws a TypeError unless `name` is a durable consumer name: letters, digits, `-` and `_`. */
export function assertConsumerName(name: string): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new TypeError(`invalid consumer name ${JSON.stringify(name)}`);
}

const HEADER_NAME = /^[!-9;-~]+$/;

/** Throws a TypeError unless every header name is a token of printable ASCII without `:` and no value has CR or LF. */
export function assertHeaders(headers: BusHeaders): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    if (/[\r\n]/.test(value)) throw new TypeError(`invalid value for header ${name}`);
  }
}

export const NO_HEADERS: BusHeaders = Object.freeze({});

/** Calls a subscriber's handler; an error it throws is logged and stops nothing else. */
export function deliver(
  log: Logger,
  handler: BusHandler,
  subject: string,
  data: Uint8Array,
  headers: BusHeaders,
): void {
  try {
    handler(subject, data, headers);
  } catch (error) {
    log.error("bus handler failed", { subject, error });
  }
}

/** The window in which a stream append's msgId is remembered (JetStream's default). */
export const DUPLICATE_WINDOW_MS = 120_000;

/** Most messages one consumer name has delivered and not acked; past it, new deliveries wait. */
export const MAX_ACK_PENDING = 1000;

/** ConsumeOptions with the port's defaults filled in. */
export const consumeDefaults = (options: ConsumeOptions): Required<ConsumeOptions> => ({
  batch: options.batch ?? 100,
  ackWaitMs: options.ackWaitMs ?? 30_000,
  retryDelayMs: options.retryDelayMs ?? 1000,
});
