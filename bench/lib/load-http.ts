// The HTTP part of a load worker: closed-loop virtual users, each iteration a POST of a message then a
// GET of a history page, timed per request.
import type { Command, HttpResult } from "./commands";
import { Histogram } from "./stats";

/**
 * Runs the command's virtual users until its time is up; only requests that start after the warm-up
 * and end within the measured window count.
 */
export async function virtualUsers(cmd: Extract<Command, { op: "http" }>): Promise<HttpResult> {
  const post = new Histogram();
  const get = new Histogram();
  let errors = 0;
  const errorSamples: string[] = [];
  const warmEnd = performance.now() + cmd.warmupMs;
  const end = warmEnd + cmd.durationMs;
  const timed = async (h: Histogram, expected: number, url: string, init: RequestInit) => {
    const t0 = performance.now();
    let error: string | null = null;
    try {
      const response = await fetch(url, init);
      const body = await response.text();
      if (response.status !== expected) error = `${init.method} ${response.status} ${body}`;
    } catch (e) {
      error = `${init.method} ${String(e)}`;
    }
    const t1 = performance.now();
    if (t0 < warmEnd || t1 > end) return;
    if (error) {
      errors++;
      if (errorSamples.length < 5) errorSamples.push(error.slice(0, 300));
    } else h.record(t1 - t0);
  };
  const vu = async (spec: { roomId: string; token?: string }, index: number) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (spec.token) headers.authorization = `Bearer ${spec.token}`;
    const messages = `${cmd.url}/v1/rooms/${spec.roomId}/messages`;
    const history = `${messages}?limit=${cmd.historyLimit}`;
    for (let i = 0; performance.now() < end; i++) {
      const body = JSON.stringify({ content: `bench http ${index} ${i} `.padEnd(cmd.chars, "x") });
      await timed(post, 201, messages, { method: "POST", headers, body });
      await timed(get, 200, history, { method: "GET", headers });
    }
  };
  const cpuAt = process.cpuUsage();
  const wallAt = performance.now();
  await Promise.all(cmd.vus.map(vu));
  const used = process.cpuUsage(cpuAt);
  const seconds = (used.user + used.system) / 1e6;
  const wallSeconds = (performance.now() - wallAt) / 1000;
  return {
    post: post.toJSON(),
    get: get.toJSON(),
    errors,
    errorSamples,
    seconds: cmd.durationMs / 1000,
    cpu: { pid: process.pid, seconds, wallSeconds, share: seconds / wallSeconds },
  };
}
