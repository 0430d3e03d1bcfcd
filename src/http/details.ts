// Validation issues as error details, bounded: an error never echoes a client's input in full, so a
// hostile body cannot make its own refusal large or slow.
import type { ErrorDetail } from "../domain/errors";

/** Most details one error carries. */
export const MAX_DETAILS = 10;
const MAX_FIELD = 128;
const MAX_MESSAGE = 200;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** At most MAX_DETAILS details, their `field` and `message` cut to a bounded length. */
export function boundDetails(details: readonly ErrorDetail[]): ErrorDetail[] {
  return details.slice(0, MAX_DETAILS).map((detail) => ({
    ...detail,
    ...(detail.field !== undefined ? { field: clip(String(detail.field), MAX_FIELD) } : {}),
    message: clip(String(detail.message), MAX_MESSAGE),
  }));
}

/** A bounded one-line message for places that carry a single string (WebSocket error frames). */
export const boundMessage = (text: string) => clip(text, MAX_FIELD + MAX_MESSAGE);

/**
 * Details from TypeBox issues (a JSON pointer `path` and a `message`), reading no more of the
 * iterator than needed. `where` names the field of an issue about the whole value (body, query...).
 */
export function issueDetails(issues: Iterable<{ path?: string; message: string }>, where: string): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    const path = issue.path ? issue.path.slice(1).replaceAll("/", ".") : "";
    details.push({ field: clip(path || where, MAX_FIELD), message: clip(issue.message, MAX_MESSAGE) });
    if (details.length >= MAX_DETAILS) break;
  }
  return details;
}
