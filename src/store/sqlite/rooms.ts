// The SQLite side of RoomStore: rooms, members (with the room's member count), bans, audit, DM pairs.
import type { Database } from "bun:sqlite";
import { notFound } from "../../domain/errors";
import type {
  AuditRecord,
  BanRecord,
  MemberPosition,
  MemberRecord,
  MemberRole,
  Membership,
  NewRoom,
  RoomListQuery,
  RoomPatch,
  RoomRecord,
  RoomStore,
} from "../../ports/rooms";

/** Runs a statement with the adapter's error translation. */
type Run = <T>(work: (db: Database) => T) => T;

// Columns selected under the records' field names; only times (epoch ms) and JSON need converting.
const ROOM =
  "id, type, name, description, max_members AS maxMembers, owner_id AS ownerId, created_at AS createdAt, member_count AS memberCount";
const MEMBER = "room_id AS roomId, user_id AS userId, username, role, joined_at AS joinedAt";
const BAN =
  "room_id AS roomId, user_id AS userId, banned_by AS bannedBy, reason, expires_at AS expiresAt, created_at AS createdAt";
const AUDIT = `id, room_id AS roomId, actor_id AS actorId, action, target_user_id AS targetUserId,
  message_id AS messageId, details, created_at AS createdAt`;

type RoomRow = Omit<RoomRecord, "createdAt"> & { createdAt: number };
type MemberRow = Omit<MemberRecord, "joinedAt"> & { joinedAt: number };
type BanRow = Omit<BanRecord, "expiresAt" | "createdAt"> & { expiresAt: number | null; createdAt: number };
type AuditRow = Omit<AuditRecord, "details" | "createdAt"> & { details: string; createdAt: number };

const toRoom = (row: RoomRow): RoomRecord => ({ ...row, createdAt: new Date(row.createdAt) });
const toMember = (row: MemberRow): MemberRecord => ({ ...row, joinedAt: new Date(row.joinedAt) });
const toBan = (row: BanRow): BanRecord => ({
  ...row,
  expiresAt: row.expiresAt === null ? null : new Date(row.expiresAt),
  createdAt: new Date(row.createdAt),
});
const toAudit = (row: AuditRow): AuditRecord => ({
  ...row,
  details: JSON.parse(row.details),
  createdAt: new Date(row.createdAt),
});

/** The key of an unordered user pair. */
const pairKey = (a: string, b: string) => (a < b ? `${a}:${b}` : `${b}:${a}`);

/** RoomPatch fields and their columns. */
const PATCHABLE = { name: "name", description: "description", type: "type", maxMembers: "max_members" } as const;

export class SqliteRooms implements RoomStore {
  readonly #db: Database;
  readonly #run: Run;

  constructor(db: Database, run: Run) {
    this.#db = db;
    this.#run = run;
  }

  async createRoom(room: NewRoom, owner: MemberRecord): Promise<RoomRecord> {
    this.#run((db) =>
      db.transaction(() => {
        this.#insertRoom(room, 1);
        this.#insertMember(owner);
      })(),
    );
    return { ...room, memberCount: 1 };
  }

  async getRoom(id: string) {
    const row = this.#run(() => this.#roomRow(id));
    return row ? toRoom(row) : null;
  }

  async updateRoom(id: string, patch: RoomPatch) {
    const sets: string[] = [];
    const values: Record<string, string | number | null> = { id };
    for (const [field, column] of Object.entries(PATCHABLE) as [keyof RoomPatch, string][]) {
      if (patch[field] === undefined) continue;
      sets.push(`${column} = $${field}`);
      values[field] = patch[field];
    }
    if (patch.name !== undefined) {
      sets.push("name_key = $nameKey");
      values.nameKey = patch.name.toLowerCase();
    }
    if (sets.length === 0) return this.getRoom(id);
    const row = this.#run((db) =>
      db
        .query<RoomRow, [typeof values]>(`UPDATE rooms SET ${sets.join(", ")} WHERE id = $id RETURNING ${ROOM}`)
        .get(values),
    );
    return row ? toRoom(row) : null;
  }

  /** Every row of the room goes with it (ON DELETE CASCADE). Deleting an unknown room does nothing. */
  async deleteRoom(id: string) {
    this.#run((db) => db.query("DELETE FROM rooms WHERE id = ?").run(id));
  }

  async listRooms(query: RoomListQuery) {
    const rows = this.#run((db) =>
      db
        .query<RoomRow, [Record<string, string | number | null>]>(
          `SELECT ${ROOM} FROM rooms r
           WHERE r.id > $after
             AND (CASE WHEN $type IS NULL THEN r.type <> 'dm' ELSE r.type = $type END)
             AND (r.type = 'public'
                  OR EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.id AND m.user_id = $userId))
             AND ($nameKey IS NULL OR instr(r.name_key, $nameKey) > 0)
           ORDER BY r.id LIMIT $limit`,
        )
        .all({
          userId: query.userId,
          type: query.type ?? null,
          // instr() matches literally: % and _ in the filter are plain characters, no LIKE escaping needed.
          nameKey: query.nameContains ? query.nameContains.toLowerCase() : null,
          after: query.after ?? "",
          limit: query.limit,
        }),
    );
    return rows.map(toRoom);
  }

  /**
   * One IMMEDIATE transaction takes the write lock before reading the count, so concurrent adds (from
   * any process) never pass `maxMembers`. An existing member is "exists" even when the room is full.
   * Throws `not_found` when the room does not exist.
   */
  async addMember(member: MemberRecord, maxMembers: number | null) {
    return this.#run((db) =>
      db
        .transaction((): "added" | "exists" | "full" => {
          if (this.#memberRow(member.roomId, member.userId)) return "exists";
          const room = this.#roomRow(member.roomId);
          if (!room) throw notFound("room");
          if (maxMembers !== null && room.memberCount >= maxMembers) return "full";
          this.#insertMember(member);
          this.#countMembers(member.roomId, 1);
          return "added";
        })
        .immediate(),
    );
  }

  async getMember(roomId: string, userId: string) {
    const row = this.#run(() => this.#memberRow(roomId, userId));
    return row ? toMember(row) : null;
  }

  /** Oldest join first, equal join times by user id: a keyset over the room_members_by_join index. */
  async listMembers(roomId: string, page: { limit: number; after?: MemberPosition }) {
    const rows = this.#run((db) =>
      db
        .query<MemberRow, [string, number, string, number]>(
          `SELECT ${MEMBER} FROM room_members WHERE room_id = ?1 AND (joined_at, user_id) > (?2, ?3)
           ORDER BY joined_at, user_id LIMIT ?4`,
        )
        .all(roomId, page.after?.joinedAt.getTime() ?? Number.MIN_SAFE_INTEGER, page.after?.userId ?? "", page.limit),
    );
    return rows.map(toMember);
  }

  async removeMember(roomId: string, userId: string) {
    return this.#run((db) =>
      db.transaction(() => {
        const { changes } = db.query("DELETE FROM room_members WHERE room_id = ? AND user_id = ?").run(roomId, userId);
        if (changes === 1) this.#countMembers(roomId, -1);
        return changes === 1;
      })(),
    );
  }

  async setMemberRole(roomId: string, userId: string, role: MemberRole) {
    const { changes } = this.#run((db) =>
      db.query("UPDATE room_members SET role = ? WHERE room_id = ? AND user_id = ?").run(role, roomId, userId),
    );
    return changes === 1;
  }

  /** Oldest join first. */
  async listMemberships(userId: string): Promise<Membership[]> {
    const rows = this.#run((db) =>
      db
        .query<Omit<Membership, "joinedAt"> & { joinedAt: number }, [string]>(
          `SELECT m.room_id AS roomId, r.type AS roomType, m.role, m.joined_at AS joinedAt
           FROM room_members m JOIN rooms r ON r.id = m.room_id
           WHERE m.user_id = ? ORDER BY m.joined_at, m.room_id`,
        )
        .all(userId),
    );
    return rows.map((row) => ({ ...row, joinedAt: new Date(row.joinedAt) }));
  }

  async putBan(ban: BanRecord) {
    this.#run((db) =>
      db
        .query(
          `INSERT OR REPLACE INTO room_bans (room_id, user_id, banned_by, reason, expires_at, created_at)
           VALUES ($roomId, $userId, $bannedBy, $reason, $expiresAt, $createdAt)`,
        )
        .run({ ...ban, expiresAt: ban.expiresAt?.getTime() ?? null, createdAt: ban.createdAt.getTime() }),
    );
  }

  /** Returns the ban even when it has expired; the domain decides. */
  async getBan(roomId: string, userId: string) {
    const row = this.#run((db) =>
      db
        .query<BanRow, [string, string]>(`SELECT ${BAN} FROM room_bans WHERE room_id = ? AND user_id = ?`)
        .get(roomId, userId),
    );
    return row ? toBan(row) : null;
  }

  async removeBan(roomId: string, userId: string) {
    const { changes } = this.#run((db) =>
      db.query("DELETE FROM room_bans WHERE room_id = ? AND user_id = ?").run(roomId, userId),
    );
    return changes === 1;
  }

  /** A reused id is a `conflict` error. */
  async appendAudit(entry: AuditRecord) {
    this.#run((db) =>
      db
        .query(
          `INSERT INTO room_audit (id, room_id, actor_id, action, target_user_id, message_id, details, created_at)
           VALUES ($id, $roomId, $actorId, $action, $targetUserId, $messageId, $details, $createdAt)`,
        )
        .run({ ...entry, details: JSON.stringify(entry.details), createdAt: entry.createdAt.getTime() }),
    );
  }

  async listAudit(roomId: string, options: { limit: number; before?: string }) {
    const rows = this.#run((db) =>
      db
        .query<AuditRow, [string, string | null, number]>(
          `SELECT ${AUDIT} FROM room_audit WHERE room_id = ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3`,
        )
        .all(roomId, options.before ?? null, options.limit),
    );
    return rows.map(toAudit);
  }

  /**
   * The pair's row in `dm_pairs` is read and, when absent, written in one IMMEDIATE transaction with the
   * room and both members, so exactly one of any number of concurrent callers creates.
   */
  async getOrCreateDm(room: NewRoom, members: [MemberRecord, MemberRecord]) {
    const key = pairKey(members[0].userId, members[1].userId);
    return this.#run((db) =>
      db
        .transaction(() => {
          const pair = db
            .query<{ roomId: string }, [string]>("SELECT room_id AS roomId FROM dm_pairs WHERE pair_key = ?")
            .get(key);
          const existing = pair && this.#roomRow(pair.roomId);
          if (existing) return { room: toRoom(existing), created: false };
          this.#insertRoom(room, 2);
          for (const member of members) this.#insertMember(member);
          db.query("INSERT INTO dm_pairs (pair_key, room_id) VALUES (?, ?)").run(key, room.id);
          return { room: { ...room, memberCount: 2 }, created: true };
        })
        .immediate(),
    );
  }

  #roomRow(id: string) {
    return this.#db.query<RoomRow, [string]>(`SELECT ${ROOM} FROM rooms WHERE id = ?`).get(id);
  }

  #memberRow(roomId: string, userId: string) {
    return this.#db
      .query<MemberRow, [string, string]>(`SELECT ${MEMBER} FROM room_members WHERE room_id = ? AND user_id = ?`)
      .get(roomId, userId);
  }

  #insertRoom(room: NewRoom, memberCount: number) {
    this.#db
      .query(
        `INSERT INTO rooms (id, type, name, name_key, description, max_members, owner_id, created_at, member_count)
         VALUES ($id, $type, $name, $nameKey, $description, $maxMembers, $ownerId, $createdAt, $memberCount)`,
      )
      .run({ ...room, nameKey: room.name.toLowerCase(), createdAt: room.createdAt.getTime(), memberCount });
  }

  #insertMember(member: MemberRecord) {
    this.#db
      .query(
        `INSERT INTO room_members (room_id, user_id, username, role, joined_at)
         VALUES ($roomId, $userId, $username, $role, $joinedAt)`,
      )
      .run({ ...member, joinedAt: member.joinedAt.getTime() });
  }

  #countMembers(roomId: string, delta: 1 | -1) {
    this.#db.query("UPDATE rooms SET member_count = member_count + ? WHERE id = ?").run(delta, roomId);
  }
}
