// Process metrics measured the Bun way (prom-client's Node collectors are not meaningful on Bun): RSS,
// JavaScript heap, CPU time, open file descriptors and event-loop lag, read when /metrics is scraped.
import { readdirSync } from "node:fs";
import { Counter, Gauge, type Registry } from "prom-client";

/** How often the event-loop timer fires; its lateness is the lag. */
const LAG_INTERVAL_MS = 200;

/** Registers the process metrics; the returned function stops the lag timer. */
export function processMetrics(registry: Registry): () => void {
  new Gauge({
    name: "chatd_process_resident_memory_bytes",
    help: "Resident memory of the process",
    registers: [registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });

  // Next to RSS: a growing heap is live JavaScript objects (a leak, or data kept on purpose); a
  // growing RSS with a flat heap is the allocators' pages.
  new Gauge({
    name: "chatd_process_heap_bytes",
    help: "JavaScript heap in use",
    registers: [registry],
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });

  let cpuSeen = 0;
  new Counter({
    name: "chatd_process_cpu_seconds_total",
    help: "CPU time used by the process, user and system",
    registers: [registry],
    collect() {
      const { user, system } = process.cpuUsage();
      const total = (user + system) / 1e6;
      if (total > cpuSeen) this.inc(total - cpuSeen);
      cpuSeen = Math.max(cpuSeen, total);
    },
  });

  // Linux only: elsewhere the metric is absent rather than wrong.
  if (openFds() !== null) {
    new Gauge({
      name: "chatd_process_open_fds",
      help: "Open file descriptors (sockets included)",
      registers: [registry],
      collect() {
        this.set(openFds() ?? 0);
      },
    });
  }

  // A timer that should fire every LAG_INTERVAL_MS; how late it fires is how long the loop was busy.
  let expected = performance.now() + LAG_INTERVAL_MS;
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - expected);
    expected = now + LAG_INTERVAL_MS;
  }, LAG_INTERVAL_MS);
  timer.unref();
  new Gauge({
    name: "chatd_event_loop_lag_seconds",
    help: "Largest event-loop delay (timer drift) since the previous scrape",
    registers: [registry],
    collect() {
      this.set(Math.max(0, worst) / 1000);
      worst = 0;
    },
  });
  return () => clearInterval(timer);
}

function openFds(): number | null {
  try {
    // The listing itself holds one descriptor open.
    return readdirSync("/proc/self/fd").length - 1;
  } catch {
    return null;
  }
}
