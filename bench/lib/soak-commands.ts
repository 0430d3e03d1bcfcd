// What the soak coordinator (bench/soak.ts) asks a soak worker (soak-worker.ts) to do, and its answers.
import type { ConnSpec } from "./protocol";
import type { HistogramData } from "./stats";

/** A connection of the soak: its room, token, and its index among all receivers (picks its reconnect minute). */
export type SoakConnSpec = ConnSpec & { index: number };

export type SoakCommand =
  | { op: "sync" }
  | { op: "offset"; offsetMs: number }
  /** Opens `specs` (each to the gateway of `urls` its spec names; at most `maxInFlight` at once): receivers subscribe without `since`, senders wait for hello. */
  | { op: "connect"; urls: string[]; specs: SoakConnSpec[]; sender: boolean; maxInFlight: number; timeoutMs: number }
  /** Starts the measured window: CPU and the latency histogram start over (the counters never do). */
  | { op: "measure" }
  /** Receivers with `index % mod === slot` close, stay away `offlineMs`, reopen subscribing with `since` (+ `sinceSkew`: 0 except to prove the checks). */
  | {
      op: "reconnect";
      mod: number;
      slot: number;
      offlineMs: number;
      sinceSkew: number;
      maxInFlight: number;
      timeoutMs: number;
    }
  /** The sender's connections send `total` messages evenly over `durationMs`, round-robin over the rooms. */
  | { op: "send"; total: number; durationMs: number; chars: number }
  /** Counters so far; with `heads` (room → last acknowledged position) also how far receivers are behind. */
  | { op: "report"; heads?: Record<number, number> }
  | { op: "close" }
  | { op: "exit" };

export type SoakConnectResult = { opened: number; failed: number; timeToReady: HistogramData; seconds: number };
export type SoakReconnectResult = { closed: number; reconnected: number; errors: number; seconds: number };

export type SoakReport = {
  /** Room events received live, and replayed from `subscribed.missed`. */
  live: number;
  replayed: number;
  duplicated: number;
  outOfOrder: number;
  /** Jumps in a connection's positions; `lost` counts the positions still missing. */
  gaps: number;
  lost: number;
  /** Positions between a receiver's last one and its room's head (only with `heads`). */
  behind: number;
  reconnects: number;
  reconnectErrors: number;
  /** `subscribed` frames with `recovered: false` (more missed than WS_RECOVERY_LIMIT). */
  recoveryIncomplete: number;
  /** Connections the server closed (each reopened with `since`). */
  unexpectedCloses: number;
  sent: number;
  acked: number;
  sendErrors: number;
  connections: number;
  heads: Record<number, number>;
  latency: HistogramData;
  resubscribe: HistogramData;
  errorSamples: string[];
  cpu: { pid: number; seconds: number; wallSeconds: number; share: number };
};

export type SoakReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
