// The storage port for pinned messages: at most one pin per (room, message); the domain bounds how
// many a room holds. Pins go with their room.

export type PinRecord = { roomId: string; messageId: string; pinnedBy: string; pinnedAt: Date };

export interface PinStore {
  /** True when the message is pinned by this call; false when it already was (nothing changes). Atomic. */
  addPin(pin: PinRecord): Promise<boolean>;
  /** True when this call unpinned it; false when it was not pinned. Atomic. */
  removePin(roomId: string, messageId: string): Promise<boolean>;
  /** The room's pins, newest pin first (equal times: greater message id first). */
  listPins(roomId: string): Promise<PinRecord[]>;
}
