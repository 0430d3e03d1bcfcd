// What the coordinator asks a load worker to do, and what the worker answers (over Bun's IPC channel).
import type { ConnSpec } from "./protocol";
import type { Stage } from "./runner";
import type { HistogramData } from "./stats";
import type { TargetKind } from "./target";

export type Role = "receiver" | "sender";

export type Command =
  /** The worker's raw clock (ms since the epoch, sub-ms), for offset calibration. */
  | { op: "sync" }
  /** From now on the worker's clock is its raw clock minus this. */
  | { op: "offset"; offsetMs: number }
  /**
   * Opens `specs` as `role` connections, each to the gateway of `urls` its spec names, paced by
   * `stages` (this worker's share of the target over time) with at most `maxInFlight` handshakes at
   * once; resolves when all are ready or failed.
   */
  | {
      op: "connect";
      kind: TargetKind;
      urls: string[];
      specs: ConnSpec[];
      role: Role;
      stages: Stage[];
      maxInFlight: number;
      timeoutMs: number;
      /** Source addresses to bind the sockets to, round-robin (Node's `ws` only; Bun cannot). */
      localAddresses?: string[];
    }
  /** Starts the measurement window: clears delivery counters and samples CPU time. */
  | { op: "measure" }
  /** Sender connections send `total` messages evenly over `durationMs`, round-robin across rooms. */
  | { op: "send"; total: number; durationMs: number; chars: number }
  | { op: "progress" }
  | { op: "report" }
  /**
   * Virtual users loop one kind of request (`post` a message, `history`: GET a page, `me`: GET
   * /v1/users/me), for warmup (unmeasured) then duration.
   */
  | {
      op: "http";
      kind: TargetKind;
      url: string;
      request: HttpRequestKind;
      vus: { roomId: string; token?: string }[];
      warmupMs: number;
      durationMs: number;
      historyLimit: number;
      /** Characters of content per posted message. */
      chars: number;
    }
  /** Closes every connection (client side) and waits for them to be closed. */
  | { op: "close" }
  | { op: "exit" };

export type ConnectResult = {
  opened: number;
  failed: number;
  errors: string[];
  timeToReady: HistogramData;
  elapsedMs: number;
};

export type Progress = { received: number; sent: number; acked: number; sendErrors: number };

/**
 * CPU the worker used over the measurement window, as a share of one core, and how late a 5 ms
 * timer fired in it (event-loop lag, ms; absent from workers that predate it).
 */
export type WorkerCpu = {
  pid: number;
  seconds: number;
  wallSeconds: number;
  share: number;
  lagMs?: { p50: number; p99: number; max: number };
};

export type Report = Progress & {
  latency: HistogramData;
  outOfOrder: number;
  /** Per room: how many receiver connections, and the deliveries they got together. */
  rooms: Record<number, { connections: number; received: number }>;
  /** Per room: messages this worker's senders had accepted (acked by chatd; sent, for the baseline). */
  accepted: Record<number, number>;
  deliveryBytes: number;
  errorSamples: string[];
  closedUnexpectedly: number;
  cpu: WorkerCpu;
};

export type HttpRequestKind = "post" | "history" | "me";

export type HttpResult = {
  latency: HistogramData;
  errors: number;
  errorSamples: string[];
  seconds: number;
  cpu: WorkerCpu;
};

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
