// Room events: every mutation is published on the bus subject of its room, already in the wire shape
// the WebSocket gateway forwards, encoded once per event whatever the number of subscribers.
import type { Logger } from "../log";
import type { Bus, BusHeaders } from "../ports/bus";
import type { MemberRole } from "../ports/rooms";
import type { MessageView, RoomView } from "./views";

export type RoomEvent =
  | { type: "message.created" | "message.updated"; room_id: string; message: MessageView }
  | { type: "message.deleted"; room_id: string; message_id: string }
  | { type: "reaction.added" | "reaction.removed"; room_id: string; message_id: string; emoji: string; user_id: string }
  | { type: "member.joined"; room_id: string; user_id: string; username: string; role: MemberRole }
  | { type: "member.left" | "member.kicked" | "member.banned"; room_id: string; user_id: string }
  | { type: "member.role_changed"; room_id: string; user_id: string; role: MemberRole }
  | { type: "read"; room_id: string; user_id: string; message_id: string }
  | { type: "room.updated"; room_id: string; room: RoomView }
  | { type: "room.deleted"; room_id: string }
  // Ephemeral, from the gateway: never stored.
  | { type: "typing"; room_id: string; user_id: string; username: string }
  | { type: "presence"; room_id: string; user_id: string; username: string; status: "joined" | "left" };

export type RoomEventType = RoomEvent["type"];

/** The bus subject of a room's events. */
export const roomSubject = (roomId: string) => `chat.room.${roomId}`;

/** The subjects of the durable event stream (ports/stream.ts); apart from the bus's, so neither sees the other's. */
export const STREAM_SUBJECTS = "chat.events.>";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeEvent = (event: RoomEvent): Uint8Array => encoder.encode(JSON.stringify(event));
export const decodeEvent = (data: Uint8Array): RoomEvent => JSON.parse(decoder.decode(data)) as RoomEvent;

/**
 * Bus header on a message.created event: the message's created_at in epoch milliseconds, so a
 * receiver can tell how long delivery took without decoding the event.
 */
export const CREATED_AT_HEADER = "Chatd-Created-At";

const headersOf = (event: RoomEvent): BusHeaders | undefined =>
  event.type === "message.created" ? { [CREATED_AT_HEADER]: String(Date.parse(event.message.created_at)) } : undefined;

/** Where services send the events of the changes they made. Never rejects. */
export type EventSink = (event: RoomEvent) => Promise<void>;

/**
 * Publishes each event on its room's subject. Events follow a change already stored, so a bus failure
 * is logged and the change stands (subscribers recover missed messages from history).
 */
export const busSink =
  (bus: Bus, log: Logger): EventSink =>
  (event) =>
    bus.publish(roomSubject(event.room_id), encodeEvent(event), headersOf(event)).catch((error) => {
      log.error("event not published", { type: event.type, room_id: event.room_id, error });
    });
