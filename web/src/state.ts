// What the chat view shows besides the open room: the user's rooms and DMs with their unread counts,
// and the public rooms they could join. Loaded over REST, kept live from the SDK's events, and
// reloaded now and then (a DM someone else opened reaches no room this client follows yet).
import type { ChatClient, Room } from "../../clients/js/src";

export type Entry = { room: Room; title: string; unread: number; kind: "room" | "dm"; otherUserId?: string };

const PAGE = 200;

export class ChatState {
  readonly rooms = new Map<string, Entry>();
  browse: Room[] = [];
  activeRoomId: string | null = null;
  #listeners = new Set<() => void>();

  constructor(private readonly client: ChatClient) {}

  get me() {
    return this.client.user!;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  changed() {
    for (const listener of this.#listeners) listener();
  }

  /** Loads rooms, DMs and unread counts, and follows every room the user is in. */
  async load() {
    const { api } = this.client;
    const [listed, unread, dms] = await Promise.all([
      api.rooms.list({ limit: PAGE }),
      api.unread({ limit: PAGE }),
      api.dms.list({ limit: PAGE }),
    ]);
    const counts = new Map(unread.rooms.map((entry) => [entry.room_id, entry.unread]));
    const seen = new Set<string>();
    for (const room of listed.rooms) {
      if (!counts.has(room.id)) continue;
      this.#put({ room, title: room.name, unread: counts.get(room.id) ?? 0, kind: "room" }, seen);
    }
    for (const dm of dms.conversations) {
      const other = dm.other_user;
      const title = other?.username ?? "Direct message";
      this.#put({ room: dm.room, title, unread: dm.unread, kind: "dm", otherUserId: other?.id }, seen);
    }
    for (const id of [...this.rooms.keys()]) if (!seen.has(id)) this.#forget(id);
    this.browse = listed.rooms.filter((room) => room.type === "public" && !counts.has(room.id));
    this.changed();
  }

  #put(entry: Entry, seen: Set<string>) {
    seen.add(entry.room.id);
    const known = this.rooms.get(entry.room.id);
    if (known && entry.room.id === this.activeRoomId) entry.unread = 0;
    this.rooms.set(entry.room.id, { ...known, ...entry });
    if (!known) void this.client.subscribe(entry.room.id).catch(() => this.#forget(entry.room.id));
  }

  #forget(roomId: string) {
    this.rooms.delete(roomId);
    this.client.unsubscribe(roomId);
  }

  /** A room the user created or joined: listed and followed. */
  entered(room: Room) {
    this.#put({ room, title: room.name, unread: 0, kind: "room" }, new Set());
    this.browse = this.browse.filter((r) => r.id !== room.id);
    this.changed();
  }

  /** The user left, was removed from, or lost the room. */
  left(roomId: string) {
    this.#forget(roomId);
    this.changed();
  }

  /** Opens (or finds) the DM with a user. */
  async openDm(userId: string, username: string): Promise<string> {
    const room = await this.client.api.dms.open(userId);
    this.#put({ room, title: username, unread: 0, kind: "dm", otherUserId: userId }, new Set());
    this.changed();
    return room.id;
  }

  /** A message arrived: counted unread unless it is the user's own or the room is open. */
  arrived(roomId: string, authorId: string) {
    const entry = this.rooms.get(roomId);
    if (!entry || authorId === this.me.id || roomId === this.activeRoomId) return;
    entry.unread++;
    this.changed();
  }

  open(roomId: string | null) {
    this.activeRoomId = roomId;
    const entry = roomId ? this.rooms.get(roomId) : undefined;
    if (entry) entry.unread = 0;
    this.changed();
  }

  renamed(room: Room) {
    const entry = this.rooms.get(room.id);
    if (!entry) return;
    entry.room = room;
    if (entry.kind === "room") entry.title = room.name;
    this.changed();
  }
}
