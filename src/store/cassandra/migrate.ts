// Applies the CQL migrations (migrations/cassandra) once per keyspace, also when several processes
// start at the same moment: the keyspace and the two bookkeeping tables are created with IF NOT EXISTS,
// then a lease row claimed by LWT (INSERT ... IF NOT EXISTS USING TTL) lets one runner at a time apply
// what `schema_migrations` does not list yet, waiting for schema agreement after each file. The others
// wait for the lease, then find everything applied. A runner that dies leaves a lease that expires.
import { errors } from "cassandra-driver";
import type { Cql, Replication } from "./client";
import { migrations, statementsOf } from "./migrations";

const LEASE = "migrations";
const LEASE_TTL_SECONDS = 60;
/** How long a runner waits for another one's lease before giving up. */
const LEASE_WAIT_MS = 5 * 60_000;
/** The store_settings row holding the keyspace's message bucket width. */
export const BUCKET_SETTING = "message_bucket_ms";
/** The store_settings row holding the keyspace's room-log block size (positions per partition). */
const LOG_BLOCK_SETTING = "room_log_block";

/** The replication map of CREATE KEYSPACE. */
export function replicationCql(replication: Replication): string {
  const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
  if (replication.class === "SimpleStrategy") {
    return `{'class': 'SimpleStrategy', 'replication_factor': ${replication.replicationFactor}}`;
  }
  const dcs = Object.entries(replication.dataCenters).map(([dc, rf]) => `${quote(dc)}: ${rf}`);
  return `{'class': 'NetworkTopologyStrategy', ${dcs.join(", ")}}`;
}

/**
 * Creates the keyspace if missing and applies the pending migrations; returns the versions applied by
 * this call. Also fixes the keyspace's message bucket width and room-log block size on first use, and
 * refuses to go on when the keyspace was created with others.
 */
export async function migrate(
  cql: Cql,
  options: { replication: Replication; messageBucketMs: number; logBlockSize: number },
): Promise<string[]> {
  await createKeyspace(cql, options.replication);
  await cql.useKeyspace();
  await cql.ddl("CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamp)");
  await cql.ddl("CREATE TABLE IF NOT EXISTS schema_lock (name text PRIMARY KEY, owner uuid, since timestamp)");
  await cql.awaitSchemaAgreement();

  const owner = crypto.randomUUID();
  await acquireLease(cql, owner);
  try {
    const done = new Set((await cql.read("SELECT version FROM schema_migrations", [])).rows.map((r) => r.version));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      // Every statement is CREATE ... IF NOT EXISTS or an ALTER TABLE ... ADD that tolerates its column
      // being there, so a file half applied by a runner that died is simply applied again.
      for (const statement of statementsOf(migration.cql)) {
        await applyStatement(cql, statement);
        await renewLease(cql, owner);
      }
      await cql.awaitSchemaAgreement();
      await migration.backfill?.(cql, () => renewLease(cql, owner));
      await cql.write("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [
        migration.version,
        new Date(),
      ]);
      applied.push(migration.version);
    }
    await fixSetting(cql, BUCKET_SETTING, options.messageBucketMs, "partitions messages in buckets of", "ms");
    await fixSetting(cql, LOG_BLOCK_SETTING, options.logBlockSize, "keeps room positions in blocks of", "positions");
    return applied;
  } finally {
    await releaseLease(cql, owner).catch(() => {}); // it expires by itself otherwise
  }
}

/**
 * CREATE KEYSPACE IF NOT EXISTS with the configured replication. On ScyllaDB, whose 6.x releases put new
 * keyspaces on tablets, where lightweight transactions are not supported, tablets are switched off for
 * it (Apache Cassandra knows no such option).
 */
async function createKeyspace(cql: Cql, replication: Replication) {
  const create = `CREATE KEYSPACE IF NOT EXISTS "${cql.keyspace}" WITH replication = ${replicationCql(replication)}`;
  const scylla = await cql.readSystem(
    "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
    ["system", "scylla_local"],
  );
  if (scylla.rows.length === 0) await cql.ddl(create);
  else {
    try {
      await cql.ddl(`${create} AND tablets = {'enabled': false}`);
    } catch (error) {
      // A ScyllaDB from before tablets does not know the option; there is nothing to switch off then.
      if (!(error instanceof errors.ResponseError)) throw error;
      await cql.ddl(create);
    }
  }
  await cql.awaitSchemaAgreement();
}

/** One DDL statement; `ALTER TABLE ... ADD` of a column that exists already counts as done. */
async function applyStatement(cql: Cql, statement: string) {
  try {
    await cql.ddl(statement);
  } catch (error) {
    const adding = /^ALTER\s+TABLE\s+\S+\s+ADD\b/i.test(statement);
    if (!(adding && error instanceof errors.ResponseError && /already exist/i.test(error.message))) throw error;
  }
}

async function acquireLease(cql: Cql, owner: string) {
  const deadline = Date.now() + LEASE_WAIT_MS;
  for (;;) {
    const { applied, row } = await cql.lwt(
      `INSERT INTO schema_lock (name, owner, since) VALUES (?, ?, ?) IF NOT EXISTS USING TTL ${LEASE_TTL_SECONDS}`,
      [LEASE, owner, new Date()],
      "global",
    );
    if (applied) return;
    if (Date.now() > deadline) {
      throw new Error(
        `another process has held the Cassandra migration lease since ${row?.since?.toISOString?.() ?? "?"}; ` +
          `gave up after ${LEASE_WAIT_MS / 1000} s`,
      );
    }
    await Bun.sleep(250 + Math.random() * 250);
  }
}

async function renewLease(cql: Cql, owner: string) {
  const { applied } = await cql.lwt(
    `UPDATE schema_lock USING TTL ${LEASE_TTL_SECONDS} SET owner = ?, since = ? WHERE name = ? IF owner = ?`,
    [owner, new Date(), LEASE, owner],
    "global",
  );
  if (!applied) throw new Error("lost the Cassandra migration lease (a statement took longer than its TTL)");
}

async function releaseLease(cql: Cql, owner: string) {
  await cql.lwt("DELETE FROM schema_lock WHERE name = ? IF owner = ?", [LEASE, owner], "global");
}

/** Records a layout setting on first use; a process set up for another value refuses the keyspace. */
async function fixSetting(cql: Cql, name: string, value: number, what: string, unit: string) {
  const { applied, row } = await cql.lwt(
    "INSERT INTO store_settings (name, value) VALUES (?, ?) IF NOT EXISTS",
    [name, String(value)],
    "global",
  );
  if (!applied && row?.value !== String(value)) {
    throw new Error(
      `keyspace "${cql.keyspace}" ${what} ${row?.value} ${unit}, this process is set up for ${value} ${unit}; ` +
        "the layout of a keyspace cannot change",
    );
  }
}
