// Getting bytes to sockets: one native topic publish per room event (every subscribed socket gets the
// same bytes, encoded once), single sends, and the slow-consumer check that keeps server memory
// bounded. Owns each room's Topic: the sockets in the room and which of them are on its native topic.
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import type { Connection } from "./connection";

/** What the fan-out needs of Bun's server: native topic publish. */
export type TopicServer = { publish(topic: string, data: string): number; subscriberCount(topic: string): number };

export const topicOf = (roomId: string) => `room:${roomId}`;

export type FanoutOptions = {
  metrics: Metrics;
  log: Logger;
  maxBufferedBytes: number;
  /** Called for a socket whose unsent data passed the bound; it must be closed (1008). */
  onSlow(connection: Connection): void;
};

/**
 * A room's sockets, one entry each: every socket in the room (the hub's view), and the few of them
 * not on the native topic yet (joining, or recovering: they get no publish). The hub holds one per
 * room with local sockets and reads `sockets`; only the fan-out changes either set.
 */
export type Topic = {
  readonly roomId: string;
  readonly sockets: Set<Connection>;
  readonly offTopic: Set<Connection>;
  lastCheck: number;
  unchecked: number;
};

export class Fanout {
  #server: TopicServer | undefined;

  constructor(private readonly options: FanoutOptions) {}

  attach(server: TopicServer) {
    this.#server = server;
  }

  /** A room's empty topic. */
  topic(roomId: string): Topic {
    return { roomId, sockets: new Set(), offTopic: new Set(), lastCheck: 0, unchecked: 0 };
  }

  /** Puts the socket in the room, off the topic until join(). False when it was in already. */
  enter(connection: Connection, topic: Topic): boolean {
    if (topic.sockets.has(connection)) return false;
    topic.sockets.add(connection);
    topic.offTopic.add(connection);
    return true;
  }

  /** Puts a socket of the room on its topic: from now on it gets every publish to the room. */
  join(connection: Connection, topic: Topic) {
    if (connection.closed || !topic.sockets.has(connection)) return;
    topic.offTopic.delete(connection);
    connection.ws.subscribe(topicOf(topic.roomId));
  }

  /** Takes a socket of the room off its topic (publishes wait for it elsewhere); it stays in the room. */
  pause(connection: Connection, topic: Topic) {
    if (!topic.sockets.has(connection) || topic.offTopic.has(connection)) return;
    topic.offTopic.add(connection);
    if (!connection.closed) connection.ws.unsubscribe(topicOf(topic.roomId));
  }

  /**
   * Takes the socket out of the room and off its topic (a closed socket is off every topic already).
   * False when it was not in the room.
   */
  exit(connection: Connection, topic: Topic): boolean {
    if (!topic.sockets.delete(connection)) return false;
    const wasOn = !topic.offTopic.delete(connection);
    if (wasOn && !connection.closed) connection.ws.unsubscribe(topicOf(topic.roomId));
    return true;
  }

  /**
   * One publish to every socket on the room's topic. `sentAt` (ms) is when a new message was sent,
   * for the delivery-latency histogram.
   */
  publish(topic: Topic, raw: string, type: string, sentAt?: number) {
    const server = this.#server;
    const subscribed = topic.sockets.size - topic.offTopic.size;
    if (!server || subscribed === 0) return;
    const { metrics } = this.options;
    if (sentAt !== undefined) metrics.ws.delivery.observe(Math.max(0, Date.now() - sentAt) / 1000);
    const started = performance.now();
    server.publish(topicOf(topic.roomId), raw);
    metrics.ws.fanout.observe((performance.now() - started) / 1000);
    metrics.ws.framesOut.inc({ type }, subscribed);
    this.#checkSlow(topic, raw.length);
  }

  /** Sends to the topic's sockets one by one, leaving out `except`'s (typing is never echoed to the typist). */
  publishExcept(topic: Topic, raw: string, type: string, exceptUserId: string) {
    let sent = 0;
    for (const connection of topic.sockets)
      if (!topic.offTopic.has(connection) && connection.userId !== exceptUserId && connection.send(raw)) sent++;
    this.options.metrics.ws.framesOut.inc({ type }, sent);
  }

  /** One frame to one socket. */
  send(connection: Connection, raw: string, type: string) {
    if (connection.send(raw)) this.options.metrics.ws.framesOut.inc({ type });
  }

  /**
   * Closes subscribers whose unsent data passed the bound. Checked every 100 ms, and whenever half the
   * bound has been published since the last check, so no buffer passes 1.5x the bound unseen (Bun
   * drops a socket outright at 2x).
   */
  #checkSlow(topic: Topic, bytes: number) {
    const now = performance.now();
    topic.unchecked += bytes;
    if (now - topic.lastCheck < 100 && topic.unchecked < this.options.maxBufferedBytes / 2) return;
    topic.lastCheck = now;
    topic.unchecked = 0;
    for (const connection of topic.sockets) if (!topic.offTopic.has(connection)) this.closeIfSlow(connection);
  }

  /** True when the socket was over the bound (and is being closed). */
  closeIfSlow(connection: Connection): boolean {
    if (connection.closed || connection.ws.getBufferedAmount() <= this.options.maxBufferedBytes) return false;
    this.options.log.warn("closing slow WebSocket consumer", {
      connection_id: connection.id,
      user_id: connection.userId,
    });
    this.options.onSlow(connection);
    return true;
  }
}
