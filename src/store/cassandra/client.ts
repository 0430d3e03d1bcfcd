// The Cassandra session chatd uses: one driver Client with chatd's policies, timeouts and consistency
// levels, every query prepared (only DDL and USE run unprepared), every driver error translated
// (errors.ts) before it leaves here.
//
// Consistency and idempotence — what each helper below applies:
// - `read` / `write`: LOCAL_QUORUM (the client default), isIdempotent true. Plain writes here set fixed
//   values (no counters, no list appends, no `now()`), so the driver may safely retry them on another
//   node after a timeout; reads likewise.
// - `batch`: a LOGGED batch (atomic across the partitions of one denormalised write), LOCAL_QUORUM,
//   isIdempotent true for the same reason.
// - `lwt` / `lwtBatch`: a lightweight transaction (`IF NOT EXISTS`, `IF col = ?`), isIdempotent false — a retried
//   compare-and-set could see its own first attempt and report "not applied". Its Paxos phase runs at
//   LOCAL_SERIAL for room-scoped state (member counts, memberships, client ids, reactions, edits, bans,
//   audit) and at SERIAL for invariants that must hold across data centres (unique usernames and
//   emails, one DM room per pair, single-use tokens, the migration lease); in one data centre both
//   cost the same. A Paxos read (`consistency: LOCAL_SERIAL`) backs the first reading of a count.
// - Timeouts: `timeoutMs` is the driver's per-request read timeout and bounds connecting, so no call
//   hangs while Cassandra is down: it fails with `unavailable` (HTTP 503) instead. Schema changes get a
//   longer timeout of their own.
// - Write timestamps: server-side, not the driver's client-side ones. A coordinator hands out strictly
//   increasing timestamps to plain writes and Paxos alike, so an edit or delete (LWT) that follows an
//   insert within the same millisecond still wins; client clocks would race the server's there. The
//   one exception is read markers, written with their message's own time on purpose (reactions.ts).
// - Load balancing: token-aware over DC-aware round robin with the configured local DC. Reconnection:
//   exponential from 0.5 s up to 5 s, so the session recovers by itself soon after Cassandra returns.
import { Client, policies, type QueryOptions, types } from "cassandra-driver";
import type { Replication } from "../../config/schema";
import { translate } from "./errors";

export type { Replication };

export type CassandraOptions = {
  /** host[:port] entries. */
  contactPoints: string[];
  keyspace: string;
  localDataCenter: string;
  /** Used when chatd creates the keyspace. */
  replication: Replication;
  username?: string;
  password?: string;
  /** Per-request timeout; past it a call fails with `unavailable`. */
  timeoutMs: number;
  /**
   * Width of the time buckets messages are partitioned by (default: one day). Fixed for a keyspace by
   * its first migration; a process configured differently refuses to start.
   */
  messageBucketMs?: number;
  /** Room positions per room-log partition (default 4096); fixed for a keyspace like the bucket width. */
  logBlockSize?: number;
  /** Seconds a pending attachment's row outlives its expiry before its TTL drops it (default 60). */
  attachmentTtlSlackSeconds?: number;
};

export type Row = types.Row;
export type Statement = { query: string; params: unknown[] };
type Options = {
  timestamp?: number;
  fetchSize?: number;
  pageState?: string | Buffer;
  readTimeout?: number;
  /** For a linearizable (Paxos) read: types.consistencies.localSerial or serial. */
  consistency?: number;
};

const { consistencies } = types;
const DDL_TIMEOUT_MS = 60_000;

export class Cql {
  readonly #client: Client;
  readonly keyspace: string;
  /** Connected with the keyspace in use; reset on failure so the next call tries again. */
  #session: Promise<void> | undefined;

  constructor(options: CassandraOptions) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,47}$/.test(options.keyspace))
      throw new Error(`invalid keyspace name: ${options.keyspace}`);
    this.keyspace = options.keyspace;
    const { loadBalancing, reconnection } = policies;
    this.#client = new Client({
      contactPoints: options.contactPoints,
      localDataCenter: options.localDataCenter,
      ...(options.username && options.password
        ? { credentials: { username: options.username, password: options.password } }
        : {}),
      policies: {
        loadBalancing: new loadBalancing.TokenAwarePolicy(
          new loadBalancing.DCAwareRoundRobinPolicy(options.localDataCenter),
        ),
        reconnection: new reconnection.ExponentialReconnectionPolicy(500, 5_000, false),
        // Server-side write timestamps (documented as `null` in the driver; its typings lack it).
        timestampGeneration: null as unknown as policies.timestampGeneration.TimestampGenerator,
      },
      socketOptions: { connectTimeout: Math.min(options.timeoutMs, 5000), readTimeout: options.timeoutMs },
      queryOptions: {
        consistency: consistencies.localQuorum,
        serialConsistency: consistencies.localSerial,
        prepare: true,
        isIdempotent: false,
      },
      protocolOptions: { maxSchemaAgreementWaitSeconds: 30 },
    });
  }

  /** Connects (without a keyspace: the migration runner may have to create it first). */
  async connect(): Promise<void> {
    await this.#guard(() => this.#client.connect());
  }

  /** Makes the keyspace the session's (every pooled connection, also after reconnecting). */
  async useKeyspace(): Promise<void> {
    await this.#guard(() => this.#client.execute(`USE "${this.keyspace}"`));
    this.#session = Promise.resolve();
  }

  #open(): Promise<void> {
    this.#session ??= (async () => {
      await this.connect();
      await this.useKeyspace();
    })().catch((error) => {
      this.#session = undefined;
      throw error;
    });
    return this.#session;
  }

  async read(query: string, params: unknown[], options: Options = {}) {
    return this.#execute(query, params, { ...options, isIdempotent: true });
  }

  async write(query: string, params: unknown[], options: Options = {}): Promise<void> {
    await this.#execute(query, params, { ...options, isIdempotent: true });
  }

  /** The first row of a read, or null. */
  async one(query: string, params: unknown[], options: Options = {}): Promise<Row | null> {
    return (await this.read(query, params, options)).first() ?? null;
  }

  /**
   * A lightweight transaction. `applied` says whether the condition held; when it did not, `row` holds
   * the current values of the columns the condition names (for `IF NOT EXISTS`: the existing row).
   */
  async lwt(query: string, params: unknown[], scope: "room" | "global", options: Options = {}) {
    const result = await this.#execute(query, params, {
      ...options,
      isIdempotent: false,
      serialConsistency: scope === "global" ? consistencies.serial : consistencies.localSerial,
    });
    return { applied: result.wasApplied(), row: result.first() };
  }

  /**
   * A conditional batch on ONE partition (Cassandra refuses others): every statement is applied, in one
   * Paxos round, only if every `IF` in it holds; `applied` as for `lwt`. Not idempotent, like `lwt`.
   */
  async lwtBatch(statements: Statement[], scope: "room" | "global") {
    await this.#open();
    const queries = statements.map(({ query, params }) => ({ query, params }));
    const result = await this.#guard(() =>
      this.#client.batch(queries, {
        prepare: true,
        logged: true,
        isIdempotent: false,
        serialConsistency: scope === "global" ? consistencies.serial : consistencies.localSerial,
      }),
    );
    return { applied: result.wasApplied() };
  }

  /** A logged batch: all of it is applied, eventually, or none. */
  async batch(statements: Statement[]): Promise<void> {
    if (statements.length === 0) return;
    await this.#open();
    const queries = statements.map(({ query, params }) => ({ query, params }));
    await this.#guard(() => this.#client.batch(queries, { prepare: true, logged: true, isIdempotent: true }));
  }

  /** Every row of a read, fetched `fetchSize` at a time, so a large partition is never held in memory. */
  async *rows(query: string, params: unknown[], fetchSize = 500): AsyncGenerator<Row> {
    let pageState: string | undefined;
    do {
      const result = await this.read(query, params, { fetchSize, ...(pageState ? { pageState } : {}) });
      yield* result.rows;
      pageState = result.pageState ?? undefined;
    } while (pageState);
  }

  /** A read that needs no keyspace (system tables), for the migration runner before it has one. */
  async readSystem(query: string, params: unknown[]) {
    await this.connect();
    return this.#guard(() => this.#client.execute(query, params, { prepare: true, isIdempotent: true }));
  }

  /** A schema change (idempotent by `IF [NOT] EXISTS`), with a timeout sized for DDL. */
  async ddl(query: string): Promise<void> {
    await this.#guard(() =>
      this.#client.execute(query, [], { prepare: false, isIdempotent: true, readTimeout: DDL_TIMEOUT_MS }),
    );
  }

  /** Waits until every node reports the same schema version (the driver also waits after each DDL). */
  async awaitSchemaAgreement(timeoutMs = DDL_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // checkSchemaAgreement exists at runtime (driver 4.x) but is missing from the bundled typings.
    const metadata = this.#client.metadata as unknown as { checkSchemaAgreement(): Promise<boolean> };
    while (!(await this.#guard(() => metadata.checkSchemaAgreement()))) {
      if (Date.now() > deadline) throw new Error(`Cassandra nodes did not agree on the schema within ${timeoutMs} ms`);
      await Bun.sleep(200);
    }
  }

  async close(): Promise<void> {
    await this.#client.shutdown();
  }

  async #execute(query: string, params: unknown[], options: QueryOptions) {
    await this.#open();
    return this.#guard(() => this.#client.execute(query, params, { prepare: true, ...options }));
  }

  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      translate(error);
    }
  }
}
