// chatd's entry point: read the command line and config, then run the command. Nothing else.

import { runReindex } from "./app/reindex";
import { RoleNotAvailable, startServer } from "./app/server";
import { createStore } from "./app/wire";
import { parseCommandLine, UsageError } from "./cli/args";
import { healthcheck } from "./cli/healthcheck";
import { helpText } from "./cli/help";
import { onStopSignal } from "./cli/signals";
import { ConfigError, loadConfig } from "./config";
import { AppError } from "./domain/errors";
import { createLogger } from "./log";
import { VERSION } from "./version";

async function main(argv: string[]): Promise<number> {
  const { command, flags, room } = parseCommandLine(argv);
  if (command === "help") {
    process.stdout.write(helpText(VERSION));
    return 0;
  }
  if (command === "version") {
    process.stdout.write(`chatd ${VERSION}\n`);
    return 0;
  }
  if (command === "healthcheck") {
    // A bad config is "unhealthy" (1), never Docker's reserved 2.
    try {
      return await healthcheck(loadConfig(flags, process.env));
    } catch (error) {
      process.stderr.write(`chatd healthcheck: ${(error as Error).message}\n`);
      return 1;
    }
  }
  const config = loadConfig(flags, process.env);
  const log = createLogger(config.logLevel);
  if (command === "migrate") {
    const store = await createStore(config);
    const { applied } = await store.migrate();
    await store.close();
    log.info("migrations done", { applied, already_applied: applied.length === 0 });
    return 0;
  }
  if (command === "reindex") return runReindex(config, log, room);
  const server = await startServer(config, log);
  onStopSignal(server.stop, log);
  return -1; // keep running until a signal
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error) => {
    const known = error instanceof UsageError || error instanceof ConfigError || error instanceof RoleNotAvailable;
    // A backend that cannot be reached at start (e.g. NATS): its message and why, without a stack.
    const cause = error instanceof AppError && error.code === "unavailable" ? error.cause : undefined;
    const text = known
      ? error.message
      : cause instanceof Error
        ? `${error.message}: ${cause.message}`
        : (error?.stack ?? error);
    process.stderr.write(`chatd: ${text}\n`);
    process.exit(2);
  },
);
