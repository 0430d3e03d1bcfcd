// The HTTP part of a load worker: closed-loop virtual users, each sending one kind of request (POST a
// message, GET a history page, or GET /v1/users/me) as soon as the previous one answered, timed.
import type { Command, HttpResult } from "./commands";
import { Histogram } from "./stats";

const EXPECTED = { post: 201, history: 200, me: 200 } as const;

/**
 * Runs the command's virtual users until its time is up; only requests that start after the warm-up
 * and end within the measured window count.
 */
export async function virtualUsers(cmd: Extract<Command, { op: "http" }>): Promise<HttpResult> {
  const latency = new Histogram();
  let errors = 0;
  const errorSamples: string[] = [];
  const expected = EXPECTED[cmd.request];
  const warmEnd = performance.now() + cmd.warmupMs;
  const end = warmEnd + cmd.durationMs;
  const timed = async (url: string, init: RequestInit) => {
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
    } else latency.record(t1 - t0);
  };
  const vu = async (spec: { roomId: string; token?: string }, index: number) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (spec.token) headers.authorization = `Bearer ${spec.token}`;
    const messages = `${cmd.url}/v1/rooms/${spec.roomId}/messages`;
    const history = `${messages}?limit=${cmd.historyLimit}`;
    const me = `${cmd.url}/v1/users/me`;
    for (let i = 0; performance.now() < end; i++) {
      if (cmd.request === "post") {
        const body = JSON.stringify({ content: `bench http ${index} ${i} `.padEnd(cmd.chars, "x") });
        await timed(messages, { method: "POST", headers, body });
      } else await timed(cmd.request === "history" ? history : me, { method: "GET", headers });
    }
  };
  const cpuAt = process.cpuUsage();
  const wallAt = performance.now();
  await Promise.all(cmd.vus.map(vu));
  const used = process.cpuUsage(cpuAt);
  const seconds = (used.user + used.system) / 1e6;
  const wallSeconds = (performance.now() - wallAt) / 1000;
  return {
    latency: latency.toJSON(),
    errors,
    errorSamples,
    seconds: cmd.durationMs / 1000,
    cpu: { pid: process.pid, seconds, wallSeconds, share: seconds / wallSeconds },
  };
}
