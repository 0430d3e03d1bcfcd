// The SQLite migrations, embedded in the binary as text. Append new files here in version order.
import accounts from "../../../migrations/sqlite/0001_accounts.sql" with { type: "text" };
import roomsMessages from "../../../migrations/sqlite/0002_rooms_messages.sql" with { type: "text" };
import actionTokensByUser from "../../../migrations/sqlite/0003_action_tokens_by_user.sql" with { type: "text" };
import memberPages from "../../../migrations/sqlite/0004_member_pages.sql" with { type: "text" };
import roomPositions from "../../../migrations/sqlite/0005_room_positions.sql" with { type: "text" };
import search from "../../../migrations/sqlite/0006_search.sql" with { type: "text" };
import attachments from "../../../migrations/sqlite/0007_attachments.sql" with { type: "text" };
import mentionsPinsThreads from "../../../migrations/sqlite/0008_mentions_pins_threads.sql" with { type: "text" };
import notifications from "../../../migrations/sqlite/0009_notifications.sql" with { type: "text" };
import pageHints from "../../../migrations/sqlite/0010_page_hints.sql" with { type: "text" };

export type Migration = { version: string; sql: string };

export const migrations: Migration[] = [
  { version: "0001_accounts", sql: accounts },
  { version: "0002_rooms_messages", sql: roomsMessages },
  { version: "0003_action_tokens_by_user", sql: actionTokensByUser },
  { version: "0004_member_pages", sql: memberPages },
  { version: "0005_room_positions", sql: roomPositions },
  { version: "0006_search", sql: search },
  { version: "0007_attachments", sql: attachments },
  { version: "0008_mentions_pins_threads", sql: mentionsPinsThreads },
  { version: "0009_notifications", sql: notifications },
  { version: "0010_page_hints", sql: pageHints },
];
