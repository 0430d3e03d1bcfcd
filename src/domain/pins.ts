// Pinned messages: the room's owner and admins pin and unpin (idempotent, in the audit log), members
// list them; a room holds at most MAX_PINS. Each change is a positioned `message.pinned` /
// `message.unpinned` event, and a message that is deleted is unpinned (with its event) in the same step.
import type { MessageStore } from "../ports/messages";
import type { PinStore } from "../ports/pins";
import type { RoomLogStore } from "../ports/room-log";
import { conflict, notFound } from "./errors";
import type { Messages } from "./messages";
import { assertModerator } from "./permissions";
import type { RoomEvents } from "./room-events";
import type { Rooms } from "./rooms";

export const MAX_PINS = 50;

export type PinDeps = {
  store: MessageStore & PinStore & RoomLogStore;
  rooms: Rooms;
  messages: Messages;
  events: RoomEvents;
  now?: () => Date;
};

/** Unpins a message that is being deleted, with its event; call in the room's order. */
export async function unpinDeleted(
  deps: { store: PinStore & RoomLogStore; events: RoomEvents },
  roomId: string,
  messageId: string,
  actorId: string,
): Promise<void> {
  if (!(await deps.store.removePin(roomId, messageId))) return;
  await deps.events.record({ type: "message.unpinned", room_id: roomId, message_id: messageId, user_id: actorId });
}

export class Pins {
  readonly #now: () => Date;

  constructor(private readonly deps: PinDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Pins a live message of the room (owner or admin). Idempotent: an event and an audit entry only when
   * it was not pinned. A new pin past MAX_PINS is a 409 conflict (`too_many`); checked one change at a
   * time per room in this process, so pins racing through other processes may pass it by one each.
   */
  async pin(userId: string, roomId: string, messageId: string): Promise<void> {
    const { member } = await this.deps.rooms.membership(userId, roomId);
    assertModerator(member);
    const message = await this.deps.store.getMessage(roomId, messageId);
    if (!message) throw notFound("message");
    if (message.deleted) throw conflict("the message was deleted");
    await this.deps.events.inOrder(roomId, async () => {
      const pins = await this.deps.store.listPins(roomId);
      if (pins.some((pin) => pin.messageId === messageId)) return;
      if (pins.length >= MAX_PINS)
        throw conflict(`a room has at most ${MAX_PINS} pinned messages`, [
          { field: "mid", message: `the room already has ${pins.length} pinned messages`, reason: "too_many" },
        ]);
      // Again under the room's order: a delete that won the race leaves nothing to pin.
      const current = await this.deps.store.getMessage(roomId, messageId);
      if (!current || current.deleted) throw conflict("the message was deleted");
      if (!(await this.deps.store.addPin({ roomId, messageId, pinnedBy: userId, pinnedAt: this.#now() }))) return;
      await this.deps.rooms.recordModeration(roomId, userId, "message.pinned", {
        targetUserId: message.authorId,
        messageId,
      });
      await this.deps.events.record({
        type: "message.pinned",
        room_id: roomId,
        message_id: messageId,
        user_id: userId,
      });
    });
  }

  /** Unpins (owner or admin). Idempotent; 404 for an id that is no message of the room. */
  async unpin(userId: string, roomId: string, messageId: string): Promise<void> {
    const { member } = await this.deps.rooms.membership(userId, roomId);
    assertModerator(member);
    const message = await this.deps.store.getMessage(roomId, messageId);
    if (!message) throw notFound("message");
    await this.deps.events.inOrder(roomId, async () => {
      if (!(await this.deps.store.removePin(roomId, messageId))) return;
      await this.deps.rooms.recordModeration(roomId, userId, "message.unpinned", {
        targetUserId: message.authorId,
        messageId,
      });
      await this.deps.events.record({
        type: "message.unpinned",
        room_id: roomId,
        message_id: messageId,
        user_id: userId,
      });
    });
  }

  /** The room's pins, newest first, each with its message as history shows it. Members only. */
  async list(userId: string, roomId: string) {
    await this.deps.rooms.membership(userId, roomId);
    const pins = await this.deps.store.listPins(roomId);
    const records = await Promise.all(pins.map((pin) => this.deps.store.getMessage(roomId, pin.messageId)));
    const present = pins.flatMap((pin, i) => (records[i] ? [{ pin, message: records[i] }] : []));
    const views = await this.deps.messages.views(
      roomId,
      present.map((p) => p.message),
      userId,
    );
    return present.map((p, i) => ({
      message: views[i]!,
      pinned_by: p.pin.pinnedBy,
      pinned_at: p.pin.pinnedAt.toISOString(),
    }));
  }
}
