// Starting and stopping a chatd server process for a role: backends, migrations, HTTP, graceful stop.
import type { Config, Role } from "../config";
import { roomSubject } from "../domain/events";
import { Indexer } from "../domain/indexer";
import { createHttpApp } from "../http/app";
import { skipResponseValidation } from "../http/response-validation";
import { opsRoutes } from "../http/routes/ops";
import { webRoutes } from "../http/web";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import { createMetrics } from "../metrics";
import { checkNotify, createSeenTracker, type SeenTracker, startDispatchers } from "../notify";
import type { Store } from "../ports";
import { VERSION } from "../version";
import { Gateway, type Upgrader } from "../ws/gateway";
import { upgradeRoute } from "../ws/upgrade";
import { mountApi } from "./roles/api";
import {
  type Backends,
  busBackend,
  closeBackends,
  createBackends,
  createServices,
  probes,
  type Services,
  searchBackend,
} from "./wire";

export type RunningServer = {
  port: number;
  url: string;
  backends: Backends;
  /** The WebSocket gateway, when the role serves it. */
  gateway: Gateway | null;
  /** The search indexer, when the role runs it and search is configured. */
  indexer: Indexer | null;
  /** Every HTTP route the server answers (method and path pattern, e.g. `/v1/rooms/:id`). */
  routes: { method: string; path: string }[];
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), closes the backends. */
  stop(): Promise<void>;
};

export class RoleNotAvailable extends Error {}

/**
 * Seams for tests; production passes none. They decorate what wire.ts picked, never pick adapters.
 */
export type ServerSeams = {
  /** Wraps the configured store (a test's store that waits or fails on cue around the real one). */
  wrapStore?: (store: Store) => Store;
  /** The clock (ms since the epoch) of the domain services, the embedded limiter and the gateway. */
  now?: () => number;
};

/**
 * What each role serves. `all` is one process (it also indexes search in-process); the others are
 * parts of a split deployment: `indexer` consumes the event stream into the search index and serves
 * only /healthz, /readyz, /metrics (and /docs).
 */
const ROLES: Record<Role, { api: boolean; ws: boolean; indexer: boolean }> = {
  all: { api: true, ws: true, indexer: true },
  api: { api: true, ws: false, indexer: false },
  ws: { api: false, ws: true, indexer: false },
  indexer: { api: false, ws: false, indexer: true },
};

/**
 * Refuses a role that cannot work with this configuration: a part of a split deployment on an
 * in-process bus would not see the other parts' events, and an indexer needs a search backend.
 */
export function checkRole(config: Config) {
  if (config.role === "indexer" && searchBackend(config).kind === "none") {
    throw new RoleNotAvailable(
      'role "indexer" feeds the search index, and there is none: set OPENSEARCH_URL (e.g. http://127.0.0.1:9200), ' +
        "or use SQLite storage for SQLite FTS5",
    );
  }
  if (config.role !== "all" && busBackend(config).kind === "memory") {
    throw new RoleNotAvailable(
      `role "${config.role}" is one part of a split deployment and needs the shared bus: set NATS_URL ` +
        "(e.g. nats://127.0.0.1:4222, JetStream on) for every process, or run --role all",
    );
  }
}

export async function startServer(config: Config, log: Logger, seams: ServerSeams = {}): Promise<RunningServer> {
  checkRole(config);
  checkNotify(config);
  const role = ROLES[config.role];
  // Where clients reach this process, for the embedded blob store's signed URLs: PUBLIC_URL, else
  // this server's own address once it listens.
  let baseUrl = config.publicUrl?.replace(/\/+$/, "");
  const backends = await createBackends(config, log, seams.now, () => baseUrl ?? `http://localhost:${config.port}`);
  if (seams.wrapStore) backends.store = seams.wrapStore(backends.store);
  const { applied } = await backends.store.migrate();
  if (applied.length > 0) log.info("migrations applied", { applied });
  await backends.blobs.prepare();
  let listening = config.port;
  const services = createServices(config, backends, log, seams.now, () => listening);
  const metrics = createMetrics();

  const seen = role.ws ? createSeenTracker(config, backends, log) : null;
  const gateway = role.ws ? createGateway(config, backends, services, metrics, log, seams.now ?? Date.now, seen) : null;
  const indexer =
    role.indexer && backends.search
      ? new Indexer({
          stream: backends.stream,
          index: backends.search,
          store: backends.store,
          log: log.child({ component: "indexer" }),
          observer: metrics.indexer,
          // The in-process stream starts empty: what it held before a restart is read from the logs.
          sweepOnStart: busBackend(config).kind === "memory",
        })
      : null;
  await indexer?.start();

  const app = createHttpApp({
    log,
    metrics,
    maxBodyBytes: config.maxBodyBytes,
    version: VERSION,
    corsOrigins: config.corsOrigins,
  }).use(opsRoutes(probes(backends), metrics, { metricsToken: config.metricsToken }));
  // The web app is a client of the REST API: the roles that serve the API serve it too.
  if (role.api) mountApi(app, services, backends.blobs.endpoint).use(webRoutes(await backends.blobs.urlOrigin()));
  if (gateway) {
    app.use(gateway.routes());
    // The upgrade itself on Bun's router (ahead of Elysia's hooks), everything else it refuses by the route above.
    const upgrade = upgradeRoute({
      upgrade: (request, server: Upgrader, token, id) => gateway.upgrade(request, server, token, id),
      log,
      metrics,
      fallback: (request) => app.fetch(request),
    });
    app.config.serve = { ...app.config.serve, routes: { "/v1/ws": { GET: upgrade } } };
  }
  if (!config.httpValidateResponses) skipResponseValidation(app);
  app.listen({
    hostname: config.host,
    port: config.port,
    // Bun's own cap would answer a bare, unlogged 413; MAX_BODY_BYTES is enforced by the body parser
    // instead (declared lengths before routing, streamed ones as they arrive). Bun buffers no body
    // nobody reads, so this cap costs no memory.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    ...(gateway ? { websocket: gateway.handlers() } : {}),
  });
  const server = app.server;
  if (!server) throw new Error("server did not start");
  gateway?.attach(server);
  const port = server.port as number;
  listening = port;
  baseUrl ??= `http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${port}`;
  const sweeper = role.api ? startSweeper(services, config.attachmentSweepIntervalSeconds * 1000, log) : null;
  const dispatchers = role.api ? startDispatchers(config, backends, services, metrics, log) : null;
  log.info("chatd listening", { role: config.role, url: `http://${config.host}:${port}`, version: VERSION });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      gateway?.close();
      await sweeper?.stop();
      await dispatchers?.stop();
      const graceful = server.stop(false);
      const timeout = Bun.sleep(config.shutdownTimeoutSeconds * 1000).then(() => "timeout" as const);
      if ((await Promise.race([graceful, timeout])) === "timeout") {
        log.warn("shutdown timeout: closing remaining connections");
        await server.stop(true);
      }
      // Reset mails started by finished requests are sent before the store and mailer close.
      await services.accounts.settle();
      await seen?.close();
      services.sessions.close();
      await services.feed?.close();
      await indexer?.stop();
      await closeBackends(backends);
      metrics.close();
      log.info("chatd stopped");
    })();
    return stopping;
  };
  const routes = app.routes.map((route) => ({ method: route.method, path: route.path }));
  return { port, url: `http://127.0.0.1:${port}`, backends, gateway, indexer, routes, stop };
}

function createGateway(
  config: Config,
  backends: Backends,
  services: Services,
  metrics: Metrics,
  log: Logger,
  now: () => number,
  seen: SeenTracker | null,
) {
  return new Gateway({
    ...(seen ? { seen } : {}),
    bus: backends.bus,
    subjectOf: roomSubject,
    accounts: services.accounts,
    limiter: backends.limiter,
    presence: backends.presence,
    sessions: services.sessions,
    rooms: services.rooms,
    messages: services.messages,
    events: services.events,
    timeline: services.timeline,
    userPresences: services.userPresence,
    metrics,
    now,
    log: log.child({ component: "ws" }),
    settings: {
      heartbeatIntervalMs: config.wsHeartbeatIntervalMs,
      idleTimeoutSeconds: config.wsIdleTimeoutSeconds,
      maxPayloadBytes: config.wsMaxPayloadBytes,
      maxBufferedBytes: config.wsMaxBufferedBytes,
      recoveryLimit: config.wsRecoveryLimit,
      presenceIdleMs: config.presenceIdleSeconds * 1000,
      // A dead process's users turn offline within PRESENCE_TTL_SECONDS; watchers look as often as
      // the entries are refreshed.
      presencePollMs: Math.max(500, (config.presenceTtlSeconds * 1000) / 3),
    },
  });
}

/**
 * Cleans up expired uploads and deleted messages' objects every `intervalMs`, one round at a time
 * (never overlapping); a failed round is logged and the next one tries again.
 */
function startSweeper(services: Services, intervalMs: number, log: Logger) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let round: Promise<void> = Promise.resolve();
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      round = services.attachments
        .sweep()
        .then((removed) => {
          if (removed > 0) log.info("attachments cleaned up", { removed });
        })
        .catch((error) => log.warn("attachment sweep failed", { error }))
        .finally(schedule);
    }, intervalMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
