// Messages sent and not yet acknowledged. Each keeps its `client_id` for life and is sent again on
// every new socket until an ack comes, so chatd stores it once however often the connection drops.
// Rate limits and outages are waited out on the same socket; any other refusal rejects the send.
import { ChatdError } from "./errors";
import { newClientId } from "./ids";
import type { GatewaySocket } from "./socket";
import type { Message } from "./types";

type Outgoing = {
  roomId: string;
  content: string;
  clientId: string;
  replyTo?: string;
  attachmentIds?: string[];
  tries: number;
  resolve: (message: Message) => void;
  reject: (error: Error) => void;
};

export type SendOptions = {
  clientId?: string;
  replyTo?: string;
  /** Ready attachments of the sender's (uploadAttachment), at most 10, each used by one message. */
  attachmentIds?: string[];
};

export class Outbox {
  readonly #items: Outgoing[] = [];

  /**
   * `current` says whether a socket is still the one in use (a retry waits for nothing else);
   * `retryDelay` the wait after the n-th retryable refusal that named none.
   */
  constructor(
    private readonly current: (socket: GatewaySocket) => boolean,
    private readonly retryDelay: (tries: number) => number,
  ) {}

  get pending(): readonly { roomId: string; content: string; clientId: string }[] {
    return this.#items.map(({ roomId, content, clientId }) => ({ roomId, content, clientId }));
  }

  /** Queues a message; sends it now when `socket` is given (the open one). */
  add(roomId: string, content: string, options: SendOptions, socket: GatewaySocket | null): Promise<Message> {
    return new Promise((resolve, reject) => {
      const item = {
        roomId,
        content,
        clientId: options.clientId ?? newClientId(),
        replyTo: options.replyTo,
        attachmentIds: options.attachmentIds,
        tries: 0,
        resolve,
        reject,
      };
      this.#items.push(item);
      if (socket) this.#transmit(item, socket);
    });
  }

  /** Sends every unacknowledged message, oldest first, on a new socket. */
  flush(socket: GatewaySocket) {
    for (const item of this.#items) this.#transmit(item, socket);
  }

  rejectAll(error: Error) {
    for (const item of this.#items.splice(0)) item.reject(error);
  }

  #transmit(item: Outgoing, socket: GatewaySocket) {
    const frame = {
      type: "message.send" as const,
      room_id: item.roomId,
      content: item.content,
      client_id: item.clientId,
      ...(item.replyTo ? { reply_to: item.replyTo } : {}),
      ...(item.attachmentIds?.length ? { attachment_ids: item.attachmentIds } : {}),
    };
    socket.request(frame).then(
      (reply) => {
        if (reply.type === "ack") return this.#settle(item, () => item.resolve(reply.message));
        if (reply.type !== "error") return;
        if (reply.code === "rate_limited" || reply.code === "unavailable") {
          const delay = reply.retry_after_ms ?? this.retryDelay(item.tries++);
          setTimeout(() => this.current(socket) && socket.isOpen && this.#transmit(item, socket), delay);
          return;
        }
        this.#settle(item, () => item.reject(new ChatdError(0, reply.code, reply.message)));
      },
      () => undefined, // the socket closed: sent again, same client_id, on the next one
    );
  }

  #settle(item: Outgoing, settle: () => void) {
    const index = this.#items.indexOf(item);
    if (index < 0) return;
    this.#items.splice(index, 1);
    settle();
  }
}
