// Getting bytes to sockets: one native topic publish per room event (every subscribed socket gets the
// same bytes, encoded once), single sends, and the slow-consumer check that keeps server memory
// bounded. Owns which sockets are on which room's topic.
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

type Topic = { sockets: Set<Connection>; lastCheck: number; unchecked: number };

export class Fanout {
  readonly #topics = new Map<string, Topic>();
  #server: TopicServer | undefined;

  constructor(private readonly options: FanoutOptions) {}

  attach(server: TopicServer) {
    this.#server = server;
  }

  /** Puts the socket on the room's topic: from now on it gets every publish to the room. */
  join(connection: Connection, roomId: string) {
    if (connection.closed) return;
    let topic = this.#topics.get(roomId);
    if (!topic) {
      topic = { sockets: new Set(), lastCheck: 0, unchecked: 0 };
      this.#topics.set(roomId, topic);
    }
    topic.sockets.add(connection);
    connection.ws.subscribe(topicOf(roomId));
  }

  /** Takes the socket off the room's topic (a closed socket is off every topic already). */
  leave(connection: Connection, roomId: string) {
    const topic = this.#topics.get(roomId);
    if (!topic?.sockets.delete(connection)) return;
    if (!connection.closed) connection.ws.unsubscribe(topicOf(roomId));
    if (topic.sockets.size === 0) this.#topics.delete(roomId);
  }

  /**
   * One publish to every socket on the room's topic. `sentAt` (ms) is when a new message was sent,
   * for the delivery-latency histogram.
   */
  publish(roomId: string, raw: string, type: string, sentAt?: number) {
    const server = this.#server;
    const topic = this.#topics.get(roomId);
    if (!server || !topic) return;
    const { metrics } = this.options;
    if (sentAt !== undefined) metrics.ws.delivery.observe(Math.max(0, Date.now() - sentAt) / 1000);
    const started = performance.now();
    server.publish(topicOf(roomId), raw);
    metrics.ws.fanout.observe((performance.now() - started) / 1000);
    metrics.ws.framesOut.inc({ type }, topic.sockets.size);
    this.#checkSlow(topic, raw.length);
  }

  /** Sends to the room's sockets one by one, leaving out `except`'s (typing is never echoed to the typist). */
  publishExcept(roomId: string, raw: string, type: string, exceptUserId: string) {
    let sent = 0;
    for (const connection of this.#topics.get(roomId)?.sockets ?? [])
      if (connection.userId !== exceptUserId && connection.send(raw)) sent++;
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
    for (const connection of topic.sockets) this.closeIfSlow(connection);
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
