// Sends a hostile HTTP case and judges the answer; on a problem, shrinks the body to a minimal one
// that still shows it and writes a report that replays it.

import { rawRequest } from "../../support/raw-http";
import type { HttpCase } from "./http-cases";
import { type Json, preview, shrink, toBytes } from "./json-tree";
import { type Answer, httpProblems } from "./verdict";

/** A hostile request gets this long to be answered; past it, it counts as a hang. */
const ANSWER_TIMEOUT_MS = 15_000;

export async function send(base: string, c: HttpCase, body: Json | null = c.body): Promise<Answer> {
  const data = body ? toBytes(body) : null;
  // fetch sends no body on GET; the raw client does.
  if (data && c.method === "GET") return rawRequest(base, c.method, c.target, c.headers, data, ANSWER_TIMEOUT_MS);
  try {
    const response = await fetch(base + c.target, {
      method: c.method,
      headers: c.headers,
      body: data ?? undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch (error) {
    return { failed: String(error) };
  }
}

export const problemsOf = (c: HttpCase, answer: Answer) =>
  httpProblems(answer, { refuse: c.refuse, longInputs: c.longInputs, path: c.target.split("?")[0]! });

/** A problem the answer shows by itself (a 5xx, a bad shape, an echo, a hang), whatever the request was. */
const intrinsic = (problems: string[]) => problems.some((p) => !p.startsWith("accepted"));

/**
 * The smallest body (within a budget of requests) that still gets the problem, and its answer. Only
 * problems of the answer itself are shrunk: that a request must be refused is known of the original
 * body only (a smaller one, `{}`, may be fine), so such a case is reported as it was sent.
 */
export async function minimal(
  base: string,
  c: HttpCase,
): Promise<{ body: Json | null; answer: Answer; problems: string[] }> {
  let body = c.body;
  if (body && intrinsic(problemsOf(c, await send(base, c, body))))
    body = await shrink(body, async (candidate) => intrinsic(problemsOf(c, await send(base, c, candidate))), 30);
  const answer = await send(base, c, body);
  return { body, answer, problems: problemsOf(c, answer) };
}

export function report(
  replay: string,
  c: HttpCase,
  found: { body: Json | null; answer: Answer; problems: string[] },
): string {
  const { body, answer, problems } = found;
  const answered = "failed" in answer ? answer.failed : `${answer.status} ${answer.text.slice(0, 400)}`;
  return [
    `${replay}: ${c.label}`,
    `  problems: ${problems.join("; ")}`,
    `  request: ${c.method} ${c.target.length > 300 ? `${c.target.slice(0, 300)}…` : c.target}`,
    `  headers: ${JSON.stringify(c.headers, (_, v) => (typeof v === "string" && v.length > 200 ? `${v.slice(0, 200)}…` : v))}`,
    `  body (minimal): ${body ? preview(toBytes(body)) : "none"}`,
    `  answer: ${answered}`,
  ].join("\n");
}
