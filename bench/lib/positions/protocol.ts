// What the positions benchmark (bench/positions.ts) asks a writer process (writer.ts) to do, and what
// the writer answers, over Bun's IPC channel.
import type { HistogramData } from "../stats";

/** The store a writer opens: chatd's CassandraStore on a keyspace, or its SqliteStore on a file. */
export type StoreSpec =
  | { kind: "cassandra"; contactPoint: string; keyspace: string }
  | { kind: "sqlite"; file: string };

/**
 * A sequential write path, timed one call at a time:
 * - `plain`: a plain INSERT of a message-sized row (raw driver; on SQLite one autocommit INSERT),
 * - `lwt`: a linearizable INSERT (raw driver `IF NOT EXISTS`; on SQLite an IMMEDIATE transaction that
 *   moves a head and inserts at it, the least a dense position costs there),
 * - `append`: chatd's `store.appendMessage`.
 */
export type WritePath = "plain" | "lwt" | "append";

export type WriterCommand =
  | { op: "open"; store: StoreSpec }
  /** `warmup` unmeasured calls, then `samples` timed ones, into `roomId` (a raw path's key for plain/lwt). */
  | { op: "latency"; path: WritePath; roomId: string; warmup: number; samples: number; chars: number }
  /**
   * `store.appendMessage` (path `append`) or the raw linearizable write (path `lwt`, at positions
   * `positionBase` + 1, + 2, …) as fast as one sequential caller can, round-robin over `roomIds`, from
   * `startAt` (epoch ms) for `warmupMs` unmeasured then `durationMs` measured, or until `stop`.
   */
  | {
      op: "run";
      path: "append" | "lwt";
      roomIds: string[];
      positionBase: number;
      startAt: number;
      warmupMs: number;
      durationMs: number;
      chars: number;
    }
  | { op: "stop" }
  | { op: "exit" };

/** One acknowledged append: the room (index into the run's roomIds), the position and id it got. */
export type Appended = [room: number, position: number, id: string];

export type RunResult = {
  /** Appends that started inside the measured window (and completed). */
  measured: number;
  measuredSeconds: number;
  latency: HistogramData;
  /** Every acknowledged append of the run, warm-up included (none for the raw path). */
  appended: Appended[];
  errors: number;
  errorSamples: string[];
  /** CQL statements the store issued during the run, by kind (Cassandra only; empty on SQLite). */
  statements: Record<string, number>;
  /** How long each kind of statement took (Cassandra only), warm-up included. */
  statementLatency: Record<string, HistogramData>;
  cpu: { seconds: number; wallSeconds: number; share: number };
};

/** `appended`: for the `append` path, every acknowledged append (warm-up included). */
export type LatencyResult = { latency: HistogramData; appended: Appended[]; errors: number; errorSamples: string[] };

export type WriterReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
