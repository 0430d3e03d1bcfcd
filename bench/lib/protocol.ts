// The client side of each target's WebSocket protocol, and the bench payload every scenario sends:
// `bench|<room>|<seq>|<sent at, ms>|` then padding, found in a frame with indexOf, never JSON.parse,
// so reading a delivery costs the load generator the same for chatd and the baseline.
import type { TargetKind } from "./target";

/**
 * One connection to open: its room (index and the id or topic the target knows it by), its token, and
 * the gateway it connects to (an index into the connect command's `urls`; 0 when absent).
 */
export type ConnSpec = { room: number; roomId: string; token?: string; gateway?: number };

export const MARK = "bench|";

export const wsUrl = (kind: TargetKind, base: string, token?: string) =>
  kind === "chatd"
    ? `${base.replace(/^http/, "ws")}/v1/ws?token=${encodeURIComponent(token ?? "")}`
    : `${base.replace(/^http/, "ws")}/ws`;

/**
 * The frame that subscribes a socket to its room, sent on open. chatd senders send none (chatd lets a
 * member send without subscribing); a baseline sender names its topic (the baseline publishes to it).
 */
export function subscribeFrame(kind: TargetKind, spec: ConnSpec, sender: boolean): string | null {
  if (kind === "baseline") return spec.roomId;
  return sender ? null : `{"type":"subscribe","ref":"sub","room_id":"${spec.roomId}"}`;
}

/** True when this frame completes the handshake (subscribed; for a chatd sender, hello). */
export function isReady(kind: TargetKind, frame: string, sender: boolean): boolean {
  if (kind === "baseline") return frame === "subscribed";
  return frame.startsWith(sender ? '{"type":"hello"' : '{"type":"subscribed"');
}

export const isError = (kind: TargetKind, frame: string) => kind === "chatd" && frame.startsWith('{"type":"error"');

/** Message content of `chars` characters (padded with "x") carrying the room, sequence and send time. */
export const content = (room: number, seq: number, sentAt: number, chars: number) =>
  `${MARK}${room}|${seq}|${sentAt.toFixed(3)}|`.padEnd(chars, "x");

/** A chatd `message.send` frame; the baseline gets the same bytes and publishes them as they are. */
export const sendFrame = (spec: ConnSpec, seq: number, body: string) =>
  `{"type":"message.send","ref":"s${spec.room}.${seq}","room_id":"${spec.roomId}","content":"${body}"}`;

/** The payload of a delivery, or null for any other frame (hello, presence, ...). */
export function readDelivery(frame: string): { room: number; seq: number; sentAt: number } | null {
  const at = frame.indexOf(MARK);
  if (at < 0) return null;
  const a = at + MARK.length;
  const b = frame.indexOf("|", a);
  const c = frame.indexOf("|", b + 1);
  const d = frame.indexOf("|", c + 1);
  if (b < 0 || c < 0 || d < 0) return null;
  return { room: Number(frame.slice(a, b)), seq: Number(frame.slice(b + 1, c)), sentAt: Number(frame.slice(c + 1, d)) };
}

/** The ref of a chatd ack or error frame for a bench send (`s<room>.<seq>`), or null. */
export function sendRef(frame: string): { room: number; seq: number } | null {
  const at = frame.indexOf('"ref":"s');
  if (at < 0 || at > 40) return null;
  const dot = frame.indexOf(".", at);
  const end = frame.indexOf('"', at + 8);
  return { room: Number(frame.slice(at + 8, dot)), seq: Number(frame.slice(dot + 1, end)) };
}
