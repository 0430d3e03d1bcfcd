// Room events in the wire shape the WebSocket gateway forwards. Durable events (messages, reactions,
// member and room changes) carry the room position they were stored at (`seq`, room-log port);
// ephemeral ones (typing, presence, read) carry none. Each is encoded once, and the bus carries its
// type and position in headers next to the bytes, so readers route it without parsing the JSON.
import type { BusHeaders } from "../ports/bus";
import type { MemberRole } from "../ports/rooms";
import type { MessageView, RoomView, ThreadView } from "./views";

export type DurableEvent =
  | { type: "message.created" | "message.updated"; room_id: string; message: MessageView }
  | { type: "message.deleted"; room_id: string; message_id: string }
  | { type: "reaction.added" | "reaction.removed"; room_id: string; message_id: string; emoji: string; user_id: string }
  | { type: "member.joined"; room_id: string; user_id: string; username: string; role: MemberRole }
  | { type: "member.left" | "member.kicked" | "member.banned"; room_id: string; user_id: string }
  | { type: "member.role_changed"; room_id: string; user_id: string; role: MemberRole }
  | { type: "message.pinned" | "message.unpinned"; room_id: string; message_id: string; user_id: string }
  | { type: "thread.updated"; room_id: string; root_id: string; thread: ThreadView | null }
  | { type: "room.updated"; room_id: string; room: RoomView }
  | { type: "room.deleted"; room_id: string };

export type EphemeralEvent =
  | { type: "read"; room_id: string; user_id: string; message_id: string }
  | { type: "typing"; room_id: string; user_id: string; username: string }
  | { type: "presence"; room_id: string; user_id: string; username: string; status: "joined" | "left" };

/** A durable event with its room position. */
export type PositionedEvent = DurableEvent & { seq: number };

export type RoomEvent = PositionedEvent | EphemeralEvent;
export type RoomEventType = RoomEvent["type"];

export const isPositioned = (event: RoomEvent): event is PositionedEvent => "seq" in event;

/** The bus subject of a room's events. */
export const roomSubject = (roomId: string) => `chat.room.${roomId}`;

/** The subjects of the durable event stream (ports/stream.ts); apart from the bus's, so neither sees the other's. */
export const STREAM_SUBJECTS = "chat.events.>";

/**
 * What travels next to an event's bytes. `at` is when the event was made (ms; for a new message, when
 * it was sent), for delivery latency; `user` the user the event is about (the typist, the member who
 * left), when there is one, so the gateway routes it without parsing.
 */
export type EventMeta = { type: string; seq: number | null; at: number; user: string | null };

const HEADER = { type: "chatd-type", seq: "chatd-seq", at: "chatd-at", user: "chatd-user" } as const;

const encoder = new TextEncoder();

export function encodeEvent(event: RoomEvent, at: number = Date.now()): { data: Uint8Array; headers: BusHeaders } {
  const headers: Record<string, string> = { [HEADER.type]: event.type, [HEADER.at]: String(at) };
  if (isPositioned(event)) headers[HEADER.seq] = String(event.seq);
  if ("user_id" in event) headers[HEADER.user] = event.user_id;
  return { data: encoder.encode(JSON.stringify(event)), headers };
}

/** The meta an event was published with; null when the headers are not chatd's. */
export function eventMeta(headers: BusHeaders): EventMeta | null {
  const type = headers[HEADER.type];
  if (!type) return null;
  const seq = headers[HEADER.seq];
  return {
    type,
    seq: seq === undefined ? null : Number(seq),
    at: Number(headers[HEADER.at] ?? 0),
    user: headers[HEADER.user] ?? null,
  };
}

/** Where the domain sends events for subscribers. Never rejects: a lost publish is repaired by position. */
export type EventSink = (event: RoomEvent) => Promise<void>;
