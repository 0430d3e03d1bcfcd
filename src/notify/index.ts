// The notification jobs of a process: the digest and webhook dispatchers (api role, and `all`), each
// active in one process at a time behind its lease, and the last-seen tracker of the WebSocket
// gateway (ws role, and `all`).
import type { Backends, Services } from "../app/wire";
import { type Config, ConfigError } from "../config";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import { LeasedLoop } from "./leased-loop";
import { SeenTracker } from "./seen";
import { WebhookDispatcher } from "./webhook-dispatcher";

export { SeenTracker } from "./seen";

/** A lease outlives a few rounds of its job, and at least this long. */
const MIN_LEASE_MS = 15_000;

export function createSeenTracker(config: Config, backends: Backends, log: Logger) {
  return new SeenTracker({
    store: backends.store,
    refreshMs: Math.max(50, Math.min((config.notifyAfterMinutes * 60_000) / 3, 60_000)),
    log: log.child({ component: "seen" }),
  });
}

/** Refuses a global webhook without its secret (deliveries could not be signed). */
export function checkNotify(config: Config) {
  if (!config.webhookUrl !== !config.webhookSecret)
    throw new ConfigError("WEBHOOK_URL and WEBHOOK_SECRET go together: set both, or neither");
}

/** Starts both dispatchers; `stop` waits for their rounds and deliveries and gives the leases up. */
export function startDispatchers(
  config: Config,
  backends: Backends,
  services: Services,
  metrics: Metrics,
  log: Logger,
) {
  const digestLog = log.child({ component: "digests" });
  const pollMs = config.notifyPollSeconds * 1000;
  const digests = new LeasedLoop({
    store: backends.store,
    name: "digests",
    intervalMs: pollMs,
    leaseMs: Math.max(MIN_LEASE_MS, 3 * pollMs),
    round: async () => {
      const sent = await services.digests.run({
        observe: metrics.notify.digest,
        onError: (error) => digestLog.warn("digest not sent", { error }),
      });
      if (sent > 0) digestLog.info("digests sent", { count: sent });
    },
    log: digestLog,
  });
  const hookLog = log.child({ component: "webhooks" });
  const global =
    config.webhookUrl && config.webhookSecret ? { url: config.webhookUrl, secret: config.webhookSecret } : null;
  const dispatcher = new WebhookDispatcher({
    store: backends.store,
    timeline: services.timeline,
    box: services.box,
    global,
    settings: {
      allowPrivate: config.webhookAllowPrivate,
      retryForMs: config.webhookRetryForSeconds * 1000,
      retryBaseMs: config.webhookRetryBaseMs,
      retryMaxMs: config.webhookRetryMaxMs,
      timeoutMs: config.webhookTimeoutMs,
    },
    observe: metrics.notify.webhook,
    log: hookLog,
  });
  const webhooks = new LeasedLoop({
    store: backends.store,
    name: "webhooks",
    intervalMs: config.webhookPollMs,
    leaseMs: Math.max(MIN_LEASE_MS, 3 * config.webhookPollMs),
    round: () => dispatcher.round(),
    onLost: () => dispatcher.reset(),
    log: hookLog,
  });
  digests.start();
  webhooks.start();
  return {
    async stop() {
      await dispatcher.stop();
      await Promise.all([digests.stop(), webhooks.stop()]);
    },
  };
}
