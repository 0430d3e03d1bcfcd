// The Cassandra migrations, embedded in the binary as text. Append new files here in version order.
import accounts from "../../../migrations/cassandra/0001_accounts.cql" with { type: "text" };
import roomsMessages from "../../../migrations/cassandra/0002_rooms_messages.cql" with { type: "text" };
import actionTokensByUser from "../../../migrations/cassandra/0003_action_tokens_by_user.cql" with { type: "text" };
import memberPages from "../../../migrations/cassandra/0004_member_pages.cql" with { type: "text" };
import roomPositions from "../../../migrations/cassandra/0005_room_positions.cql" with { type: "text" };
import attachments from "../../../migrations/cassandra/0007_attachments.cql" with { type: "text" };
import mentionsPinsThreads from "../../../migrations/cassandra/0008_mentions_pins_threads.cql" with { type: "text" };
import notifications from "../../../migrations/cassandra/0009_notifications.cql" with { type: "text" };
import type { Cql } from "./client";
import { backfillMemberOrder } from "./members";

export type Migration = {
  version: string;
  cql: string;
  /**
   * Fills new tables from existing ones after the statements ran, before the version is recorded.
   * Idempotent (plain upserts), so a runner that died halfway simply runs it again; `renew` keeps the
   * migration lease while it works.
   */
  backfill?: (cql: Cql, renew: () => Promise<void>) => Promise<void>;
};

export const migrations: Migration[] = [
  { version: "0001_accounts", cql: accounts },
  { version: "0002_rooms_messages", cql: roomsMessages },
  { version: "0003_action_tokens_by_user", cql: actionTokensByUser },
  { version: "0004_member_pages", cql: memberPages, backfill: backfillMemberOrder },
  { version: "0005_room_positions", cql: roomPositions },
  { version: "0007_attachments", cql: attachments },
  { version: "0008_mentions_pins_threads", cql: mentionsPinsThreads },
  { version: "0009_notifications", cql: notifications },
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
