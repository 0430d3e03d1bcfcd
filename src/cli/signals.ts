// Graceful stop on SIGTERM / SIGINT; a second signal exits at once.

export function onStopSignal(stop: () => Promise<void>, log: { info(msg: string, f?: object): void }) {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log.info("stopping", { signal });
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}
