// Reads a server's /metrics (Prometheus text) into numbers, so tests can assert how figures moved.

export type Samples = Map<string, number>;

/** Every sample line, keyed as printed: `name` or `name{label="value",...}`. */
export async function readMetrics(url: string): Promise<Samples> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const samples: Samples = new Map();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** One sample's value; a series not printed yet counts as 0. */
export const sample = (samples: Samples, key: string) => samples.get(key) ?? 0;

/** How much each of `keys` moved from `before` to `after`. */
export const moved = (before: Samples, after: Samples, keys: string[]) =>
  Object.fromEntries(keys.map((key) => [key, sample(after, key) - sample(before, key)]));

/** Polls until `check` holds on a fresh read (the server updates some figures after the client saw why). */
export async function metricsWhen(url: string, check: (samples: Samples) => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await readMetrics(url);
    if (check(samples)) return samples;
    if (Date.now() > deadline) throw new Error(`metrics did not reach the expected values within ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}
