// Reconnect delays: exponential with jitter, so a server restart is not met by every client at once.

export type BackoffOptions = { baseMs?: number; maxMs?: number };

/**
 * The delay before reconnect attempt `attempt` (0 = the first retry): "equal jitter" — half of
 * min(max, base · 2^attempt), plus a random part of up to the other half. Never zero, never above max.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random) {
  const base = options.baseMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}
