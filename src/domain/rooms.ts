// Rooms and membership: create, list, update, delete, join, invite, leave, kick, ban, roles, audit.

import type { Presence } from "../ports/presence";
import type {
  AuditAction,
  AuditRecord,
  MemberRecord,
  MemberRole,
  RoomPatch,
  RoomRecord,
  RoomStore,
  RoomType,
} from "../ports/rooms";
import type { AccountStore } from "../ports/store";
import { decodeMemberCursor, memberCursor } from "./cursors";
import { conflict, forbidden, notFound, validationFailed } from "./errors";
import type { DurableEvent } from "./events";
import { newAuditId, newRoomId } from "./ids";
import { assertMember, assertModerator, assertNotDm, assertOwner, assertVisible, outranks } from "./permissions";
import type { RoomEvents } from "./room-events";
import { optionalText, type TextRule, visibleText } from "./text";
import { roomView } from "./views";

const ROOM_NAME: TextRule = { field: "name", max: 100, name: true };
const ROOM_DESCRIPTION: TextRule = { field: "description", max: 1000 };
const BAN_REASON: TextRule = { field: "reason", max: 500 };
/** Member lookups in flight at once when listing who is online. */
const ONLINE_LOOKUPS = 32;

export type RoomDeps = {
  store: RoomStore & AccountStore;
  presence: Presence;
  events: RoomEvents;
  now?: () => Date;
};

export type RoomAccess = { room: RoomRecord; member: MemberRecord | null };

export class Rooms {
  readonly #now: () => Date;

  constructor(private readonly deps: RoomDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /** The room and the caller's membership; 404 when the caller may not see the room. */
  async access(userId: string, roomId: string): Promise<RoomAccess> {
    const [room, member] = await Promise.all([
      this.deps.store.getRoom(roomId),
      this.deps.store.getMember(roomId, userId),
    ]);
    assertVisible(room, member);
    return { room, member };
  }

  /** Like access, and the caller must be a member (403 in a public room they have not joined). */
  async membership(userId: string, roomId: string): Promise<{ room: RoomRecord; member: MemberRecord }> {
    const { room, member } = await this.access(userId, roomId);
    assertMember(member);
    return { room, member };
  }

  async create(
    userId: string,
    input: { name: string; description?: string | null; type: "public" | "private"; maxMembers?: number | null },
  ) {
    const owner = await this.#user(userId);
    const now = this.#now();
    const room = {
      id: newRoomId(),
      type: input.type,
      name: visibleText(input.name, ROOM_NAME),
      description: optionalText(input.description, ROOM_DESCRIPTION) ?? null,
      maxMembers: input.maxMembers ?? null,
      ownerId: userId,
      createdAt: now,
    };
    return this.deps.store.createRoom(room, {
      roomId: room.id,
      userId,
      username: owner.username,
      role: "owner",
      joinedAt: now,
    });
  }

  /** One page of the rooms the caller may see, and the cursor of the next page (null at the end). */
  async list(userId: string, query: { limit: number; cursor?: string; type?: RoomType; q?: string }) {
    const rooms = await this.deps.store.listRooms({
      userId,
      type: query.type,
      nameContains: query.q?.trim() || undefined,
      after: query.cursor,
      limit: query.limit + 1,
    });
    const page = rooms.slice(0, query.limit);
    return { rooms: page, nextCursor: rooms.length > query.limit ? (page.at(-1)?.id ?? null) : null };
  }

  async update(userId: string, roomId: string, patch: RoomPatch) {
    const { room, member } = await this.membership(userId, roomId);
    assertNotDm(room);
    assertModerator(member);
    return this.deps.events.inOrder(roomId, async () => {
      const updated = await this.deps.store.updateRoom(roomId, {
        ...patch,
        ...(patch.name !== undefined ? { name: visibleText(patch.name, ROOM_NAME) } : {}),
        ...(patch.description !== undefined ? { description: optionalText(patch.description, ROOM_DESCRIPTION) } : {}),
      });
      if (!updated) throw notFound("room");
      await this.#audit(room.id, userId, "room.updated", { details: { changes: Object.keys(patch) } });
      await this.#record({ type: "room.updated", room_id: room.id, room: roomView(updated) });
      return updated;
    });
  }

  async delete(userId: string, roomId: string) {
    const { room, member } = await this.membership(userId, roomId);
    assertNotDm(room);
    assertOwner(member);
    // Recorded first: the room's log goes with the room, and subscribers still get the event.
    await this.deps.events.inOrder(roomId, async () => {
      await this.#record({ type: "room.deleted", room_id: roomId });
      await this.deps.store.deleteRoom(roomId);
    });
  }

  /** Joins a public room. Idempotent; 403 while banned, 409 when full. */
  async join(userId: string, roomId: string): Promise<RoomRecord> {
    const { room, member } = await this.access(userId, roomId);
    if (member) return room;
    if (room.type !== "public") throw forbidden("only public rooms can be joined; ask for an invitation");
    await this.#assertNotBanned(roomId, userId);
    const user = await this.#user(userId);
    await this.#add(room, { roomId, userId, username: user.username, role: "member", joinedAt: this.#now() });
    return (await this.deps.store.getRoom(roomId)) ?? room;
  }

  /** A moderator adds a user. Idempotent (created=false when already a member); 409 when banned or full. */
  async invite(actorId: string, roomId: string, targetId: string) {
    const { room, member } = await this.membership(actorId, roomId);
    assertNotDm(room);
    assertModerator(member);
    const target = await this.deps.store.getUserById(targetId);
    if (!target) throw notFound("user");
    const existing = await this.deps.store.getMember(roomId, targetId);
    if (existing) return { member: existing, created: false };
    if (await this.#activeBan(roomId, targetId))
      throw conflict("the user is banned from this room; lift the ban first");
    const added: MemberRecord = {
      roomId,
      userId: targetId,
      username: target.username,
      role: "member",
      joinedAt: this.#now(),
    };
    await this.#add(room, added);
    return { member: added, created: true };
  }

  async leave(userId: string, roomId: string) {
    const { room, member } = await this.membership(userId, roomId);
    assertNotDm(room);
    if (member.role === "owner") throw conflict("the owner cannot leave the room; delete it instead");
    await this.deps.events.inOrder(roomId, async () => {
      if (await this.deps.store.removeMember(roomId, userId))
        await this.#record({ type: "member.left", room_id: roomId, user_id: userId });
    });
  }

  async kick(actorId: string, roomId: string, targetId: string) {
    const { room, target } = await this.#moderate(actorId, roomId, targetId);
    if (!target) throw notFound("member");
    await this.deps.events.inOrder(roomId, async () => {
      if (!(await this.deps.store.removeMember(roomId, targetId))) return;
      await this.#audit(room.id, actorId, "member.kicked", { targetUserId: targetId });
      await this.#record({ type: "member.kicked", room_id: roomId, user_id: targetId });
    });
  }

  /** Bans a user (member or not) until `expiresAt` (null: until lifted) and removes them from the room. */
  async ban(
    actorId: string,
    roomId: string,
    targetId: string,
    input: { reason?: string | null; expiresAt?: Date | null },
  ) {
    const { room, target } = await this.#moderate(actorId, roomId, targetId);
    if (!target && !(await this.deps.store.getUserById(targetId))) throw notFound("user");
    const now = this.#now();
    if (input.expiresAt && input.expiresAt <= now)
      throw validationFailed("expires_at must be in the future", [
        { field: "expires_at", message: "must be in the future" },
      ]);
    const ban = {
      roomId,
      userId: targetId,
      bannedBy: actorId,
      reason: optionalText(input.reason, BAN_REASON) ?? null,
      expiresAt: input.expiresAt ?? null,
      createdAt: now,
    };
    await this.deps.events.inOrder(roomId, async () => {
      await this.deps.store.putBan(ban);
      if (target) await this.deps.store.removeMember(roomId, targetId);
      await this.#audit(room.id, actorId, "member.banned", {
        targetUserId: targetId,
        details: { reason: ban.reason, expires_at: ban.expiresAt?.toISOString() ?? null },
      });
      await this.#record({ type: "member.banned", room_id: roomId, user_id: targetId });
    });
    return ban;
  }

  async unban(actorId: string, roomId: string, targetId: string) {
    const { room, member } = await this.membership(actorId, roomId);
    assertNotDm(room);
    assertModerator(member);
    if (await this.deps.store.removeBan(roomId, targetId))
      await this.#audit(roomId, actorId, "member.unbanned", { targetUserId: targetId });
  }

  async setRole(actorId: string, roomId: string, targetId: string, role: Exclude<MemberRole, "owner">) {
    const { room, member } = await this.membership(actorId, roomId);
    assertNotDm(room);
    assertOwner(member);
    const target = await this.deps.store.getMember(roomId, targetId);
    if (!target) throw notFound("member");
    if (target.role === "owner") throw forbidden("the owner's role cannot change");
    if (target.role !== role) {
      await this.deps.events.inOrder(roomId, async () => {
        await this.deps.store.setMemberRole(roomId, targetId, role);
        await this.#audit(roomId, actorId, "member.role_changed", {
          targetUserId: targetId,
          details: { from: target.role, to: role },
        });
        await this.#record({ type: "member.role_changed", room_id: roomId, user_id: targetId, role });
      });
    }
    return { ...target, role };
  }

  /**
   * One page of the room's members, oldest join first, and the cursor of the next page (null at the
   * end). Members who join meanwhile come after everyone listed so far, so a walk misses no one.
   */
  async members(userId: string, roomId: string, page: { limit: number; cursor?: string }) {
    await this.access(userId, roomId);
    const after = page.cursor === undefined ? undefined : decodeMemberCursor(page.cursor);
    const members = await this.deps.store.listMembers(roomId, { limit: page.limit + 1, after });
    const shown = members.slice(0, page.limit);
    const last = shown.at(-1);
    return { members: shown, nextCursor: members.length > page.limit && last ? memberCursor(last) : null };
  }

  /**
   * One page of the members with a live WebSocket subscription to the room (on any process sharing
   * the presence backend), by user id; the cursor is the last user id (null at the end). Someone online
   * who is no longer a member is left out.
   */
  async online(userId: string, roomId: string, page: { limit: number; cursor?: string }) {
    await this.access(userId, roomId);
    const after = page.cursor?.toLowerCase();
    const online = (await this.deps.presence.online(roomId)).filter((id) => !after || id > after).sort();
    const shown = online.slice(0, page.limit);
    const members: MemberRecord[] = [];
    for (let i = 0; i < shown.length; i += ONLINE_LOOKUPS) {
      const batch = shown.slice(i, i + ONLINE_LOOKUPS).map((id) => this.deps.store.getMember(roomId, id));
      for (const member of await Promise.all(batch)) if (member) members.push(member);
    }
    return { online: members, nextCursor: online.length > page.limit ? (shown.at(-1) ?? null) : null };
  }

  /** One page of the moderation log, newest first; the cursor is the last entry's id (null at the end). */
  async auditLog(userId: string, roomId: string, page: { limit: number; cursor?: string }) {
    const { member } = await this.membership(userId, roomId);
    assertModerator(member);
    const entries = await this.deps.store.listAudit(roomId, { limit: page.limit + 1, before: page.cursor });
    const shown = entries.slice(0, page.limit);
    return { entries: shown, nextCursor: entries.length > page.limit ? (shown.at(-1)?.id ?? null) : null };
  }

  /** Records a moderation action (also used for moderators deleting others' messages). */
  async #audit(
    roomId: string,
    actorId: string,
    action: AuditAction,
    extra: Partial<Pick<AuditRecord, "targetUserId" | "messageId" | "details">> = {},
  ) {
    await this.deps.store.appendAudit({
      id: newAuditId(),
      roomId,
      actorId,
      action,
      targetUserId: extra.targetUserId ?? null,
      messageId: extra.messageId ?? null,
      details: extra.details ?? {},
      createdAt: this.#now(),
    });
  }

  recordModeration(
    roomId: string,
    actorId: string,
    action: AuditAction,
    extra: Partial<Pick<AuditRecord, "targetUserId" | "messageId" | "details">>,
  ) {
    return this.#audit(roomId, actorId, action, extra);
  }

  /** The acting moderator may act on the target: not themselves, and ranked above them if a member. */
  async #moderate(actorId: string, roomId: string, targetId: string) {
    const { room, member } = await this.membership(actorId, roomId);
    assertNotDm(room);
    assertModerator(member);
    if (targetId === actorId) throw forbidden("moderators cannot act on themselves");
    const target = await this.deps.store.getMember(roomId, targetId);
    if (target && !outranks(member.role, target.role))
      throw forbidden("you can only moderate members ranked below you");
    return { room, target };
  }

  async #add(room: RoomRecord, member: MemberRecord) {
    await this.deps.events.inOrder(room.id, async () => {
      const result = await this.deps.store.addMember(member, room.maxMembers);
      if (result === "full") throw conflict("the room is full");
      if (result === "added")
        await this.#record({
          type: "member.joined",
          room_id: room.id,
          user_id: member.userId,
          username: member.username,
          role: member.role,
        });
    });
  }

  async #activeBan(roomId: string, userId: string) {
    const ban = await this.deps.store.getBan(roomId, userId);
    return ban && (!ban.expiresAt || ban.expiresAt > this.#now()) ? ban : null;
  }

  async #assertNotBanned(roomId: string, userId: string) {
    if (await this.#activeBan(roomId, userId)) throw forbidden("you are banned from this room");
  }

  async #user(userId: string) {
    const user = await this.deps.store.getUserById(userId);
    if (!user) throw notFound("user");
    return user;
  }

  #record(event: DurableEvent) {
    return this.deps.events.record(event);
  }
}
