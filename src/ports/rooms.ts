// The storage port for rooms, membership, bans, the moderation log and DM pairs. Each call but
// listRooms maps to a partition lookup on a wide-column store: room by id, members by room, rooms by
// member, bans by room, audit by room (time-ordered), DM room by user pair. listRooms merges the
// public-room directory with the caller's rooms.

export type RoomType = "public" | "private" | "dm";
export type MemberRole = "owner" | "admin" | "member";

export type RoomRecord = {
  id: string;
  type: RoomType;
  name: string;
  description: string | null;
  /** null: no limit. */
  maxMembers: number | null;
  /** The creator; for a DM, the user who opened it. */
  ownerId: string;
  createdAt: Date;
  /** Kept by the adapter as members are added and removed. */
  memberCount: number;
};

export type NewRoom = Omit<RoomRecord, "memberCount">;

export type RoomPatch = Partial<Pick<RoomRecord, "name" | "description" | "type" | "maxMembers">>;

export type MemberRecord = {
  roomId: string;
  userId: string;
  /** Denormalised at join time; usernames do not change. */
  username: string;
  role: MemberRole;
  joinedAt: Date;
};

/** A place in a room's member list (the last member of a page): the list goes on after it. */
export type MemberPosition = { joinedAt: Date; userId: string };

/** One of a user's rooms, as listed from the user's side. */
export type Membership = { roomId: string; roomType: RoomType; role: MemberRole; joinedAt: Date };

export type BanRecord = {
  roomId: string;
  userId: string;
  bannedBy: string;
  reason: string | null;
  /** null: until lifted. The domain treats a ban past this time as absent. */
  expiresAt: Date | null;
  createdAt: Date;
};

export type AuditAction =
  | "member.kicked"
  | "member.banned"
  | "member.unbanned"
  | "member.role_changed"
  | "message.deleted"
  | "message.pinned"
  | "message.unpinned"
  | "room.updated";

export type AuditRecord = {
  /** Time-ordered (UUIDv7): the newest entry has the greatest id. */
  id: string;
  roomId: string;
  actorId: string;
  action: AuditAction;
  targetUserId: string | null;
  messageId: string | null;
  /** Free-form facts of the action (reason, old and new role, expiry...). */
  details: Record<string, unknown>;
  createdAt: Date;
};

export type RoomListQuery = {
  userId: string;
  /** Without a type: public and private rooms, no DMs. */
  type?: RoomType;
  /** Case-insensitive substring of the name. */
  nameContains?: string;
  /** Cursor: only rooms with a greater id. */
  after?: string;
  limit: number;
};

export interface RoomStore {
  /** Creates the room with `owner` as its first member (memberCount 1). */
  createRoom(room: NewRoom, owner: MemberRecord): Promise<RoomRecord>;
  getRoom(id: string): Promise<RoomRecord | null>;
  /** Returns the updated room, or null when it does not exist. */
  updateRoom(id: string, patch: RoomPatch): Promise<RoomRecord | null>;
  /** Removes the room and everything in it: members, bans, audit, messages, reactions, read markers, DM pair. */
  deleteRoom(id: string): Promise<void>;
  /**
   * Rooms the user may see — every public room plus the rooms they are a member of — filtered by the
   * query, in ascending id order (room ids are UUIDv7, so creation order), at most `limit`.
   */
  listRooms(query: RoomListQuery): Promise<RoomRecord[]>;

  /**
   * Adds a member. "exists" when already a member (nothing changes); "full" when `maxMembers` (the
   * caller's reading of the room's limit; null: none) is reached. Atomic against concurrent adds: the
   * limit is never exceeded.
   */
  addMember(member: MemberRecord, maxMembers: number | null): Promise<"added" | "exists" | "full">;
  getMember(roomId: string, userId: string): Promise<MemberRecord | null>;
  /**
   * One page of the room's members: oldest join first, equal join times by user id; `after`: only
   * members after that position; at most `limit`. Pages never overlap or skip while members join
   * (a new join time is later than every earlier one, so new members come last) or leave.
   */
  listMembers(roomId: string, page: { limit: number; after?: MemberPosition }): Promise<MemberRecord[]>;
  /** False when the user was not a member. */
  removeMember(roomId: string, userId: string): Promise<boolean>;
  /** False when the user is not a member. */
  setMemberRole(roomId: string, userId: string, role: MemberRole): Promise<boolean>;
  /** Every room the user is a member of, any type. */
  listMemberships(userId: string): Promise<Membership[]>;

  /** Creates or replaces the user's ban in the room. */
  putBan(ban: BanRecord): Promise<void>;
  getBan(roomId: string, userId: string): Promise<BanRecord | null>;
  /** False when there was no ban. */
  removeBan(roomId: string, userId: string): Promise<boolean>;

  appendAudit(entry: AuditRecord): Promise<void>;
  /**
   * Newest first; `before` is an audit id cursor (exclusive; need not be an entry). New entries have
   * greater ids, so paging with `before` never overlaps or skips while entries are added.
   */
  listAudit(roomId: string, options: { limit: number; before?: string }): Promise<AuditRecord[]>;

  /**
   * The DM room of an unordered user pair, creating it with both members when there is none. Of any
   * number of concurrent calls for one pair, exactly one creates; all return the same room.
   */
  getOrCreateDm(room: NewRoom, members: [MemberRecord, MemberRecord]): Promise<{ room: RoomRecord; created: boolean }>;
}
