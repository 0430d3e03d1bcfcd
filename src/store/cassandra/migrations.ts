// The Cassandra migrations, embedded in the binary as text. Append new files here in version order.
import accounts from "../../../migrations/cassandra/0001_accounts.cql" with { type: "text" };
import roomsMessages from "../../../migrations/cassandra/0002_rooms_messages.cql" with { type: "text" };
import actionTokensByUser from "../../../migrations/cassandra/0003_action_tokens_by_user.cql" with { type: "text" };
import roomPositions from "../../../migrations/cassandra/0004_room_positions.cql" with { type: "text" };

export type Migration = { version: string; cql: string };

export const migrations: Migration[] = [
  { version: "0001_accounts", cql: accounts },
  { version: "0002_rooms_messages", cql: roomsMessages },
  { version: "0003_action_tokens_by_user", cql: actionTokensByUser },
  { version: "0004_room_positions", cql: roomPositions },
];

/** The statements of a migration file: split on `;` at line ends, comment lines dropped. */
export const statementsOf = (cql: string): string[] =>
  cql
    .split(/;[ \t]*$/m)
    .map((chunk) =>
      chunk
        .split("\n")
        .filter((line) => !line.trim().startsWith("--"))
        .join("\n")
        .trim(),
    )
    .filter(Boolean);
