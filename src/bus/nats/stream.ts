// The JetStream event stream: one stream (file storage, limits retention, oldest discarded first),
// created or brought to the configured limits at start; durable pull consumers with explicit acks.
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { SequenceConflict, unavailable } from "../../domain/errors";
import type { Logger } from "../../log";
import type {
  Appended,
  AppendOptions,
  ConsumeOptions,
  EventStream,
  StreamConsumer,
  StreamHandler,
  StreamMessage,
} from "../../ports/stream";
import {
  assertConsumerName,
  assertPattern,
  assertSubject,
  consumeDefaults,
  DUPLICATE_WINDOW_MS,
  MAX_ACK_PENDING,
  matches,
} from "../shared";
import { NatsLink, type NatsSettings, translate } from "./connection";

export type JetStreamOptions = {
  /** The stream's name, e.g. `CHATD_EVENTS`. */
  stream: string;
  /** The subjects it holds (without the prefix), e.g. `chat.events.>`. */
  subjects: string;
  /** Prepended to every subject on the wire, as for NatsBus; none by default. */
  prefix?: string;
  maxAgeMs: number;
  maxBytes: number;
  replicas: number;
  /** How long a publish ack, an ack confirmation or an API call may take; default 5000 ms. */
  timeoutMs?: number;
  log: Logger;
};

const WRONG_LAST_SEQUENCE = new Set<number>([
  JetStreamApiCodes.StreamWrongLastSequence,
  JetStreamApiCodes.StreamWrongLastSequenceUnknown,
]);

/** Consumer notifications worth a log line (the rest are routine: pulls, heartbeats, discards). */
const NOTABLE = new Set(["heartbeats_missed", "consumer_not_found", "stream_not_found", "consumer_deleted"]);

const IDLE = Symbol("idle");
const idle = () => new Promise<typeof IDLE>((resolve) => setImmediate(() => resolve(IDLE)));

/**
 * Groups what has already arrived into batches of at most `max`, never waiting for more: after the
 * first message of a batch, only messages the iterator yields before the next macrotask join it.
 */
async function* batches(messages: AsyncIterable<JsMsg>, max: number): AsyncGenerator<JsMsg[]> {
  const iterator = messages[Symbol.asyncIterator]();
  let next = iterator.next();
  for (;;) {
    const first = await next;
    if (first.done) return;
    const batch = [first.value];
    next = iterator.next();
    let done = false;
    while (batch.length < max) {
      const result = await Promise.race([next, idle()]);
      if (result === IDLE) break;
      if (result.done) {
        done = true;
        break;
      }
      batch.push(result.value);
      next = iterator.next();
    }
    yield batch;
    if (done) return;
  }
}

export class JetStreamEventStream implements EventStream {
  readonly #prefix: string;
  readonly #consumers = new Set<StreamConsumer>();

  private constructor(
    private readonly link: NatsLink,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: JetStreamOptions,
  ) {
    this.#prefix = options.prefix ? `${options.prefix}.` : "";
  }

  /** Opens its own connection and makes sure the stream exists with the configured limits (idempotent). */
  static async open(settings: Omit<NatsSettings, "log">, options: JetStreamOptions): Promise<JetStreamEventStream> {
    assertPattern(options.subjects);
    if (options.prefix !== undefined) assertSubject(options.prefix);
    const link = await NatsLink.open({ ...settings, log: options.log });
    try {
      const timeout = options.timeoutMs ?? 5000;
      const jsm = await jetstreamManager(link.nc, { timeout });
      const stream = new JetStreamEventStream(link, jetstream(link.nc, { timeout }), jsm, options);
      await stream.#ensureStream();
      return stream;
    } catch (error) {
      await link.close();
      const reason = error instanceof Error ? error.message : String(error);
      throw unavailable("bus", new Error(`JetStream stream ${options.stream} not usable: ${reason}`, { cause: error }));
    }
  }

  async #ensureStream() {
    const { stream, subjects, maxAgeMs, maxBytes, replicas } = this.options;
    const wanted = {
      subjects: [this.#prefix + subjects],
      max_age: nanos(maxAgeMs),
      max_bytes: maxBytes,
      num_replicas: replicas,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      discard: DiscardPolicy.Old,
    } satisfies Partial<StreamConfig>;
    const existing = await this.jsm.streams.info(stream).catch((error) => {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return null;
      throw error;
    });
    if (!existing) {
      await this.jsm.streams.add({
        name: stream,
        ...wanted,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
      });
      return;
    }
    const { config } = existing;
    const same =
      config.subjects?.join(",") === wanted.subjects.join(",") &&
      config.max_age === wanted.max_age &&
      config.max_bytes === wanted.max_bytes &&
      config.num_replicas === wanted.num_replicas &&
      config.duplicate_window === wanted.duplicate_window &&
      config.discard === wanted.discard;
    if (!same) await this.jsm.streams.update(stream, { ...config, ...wanted });
  }

  async append(subject: string, data: Uint8Array, { msgId, expectedLastSubjectSeq }: AppendOptions): Promise<Appended> {
    assertSubject(subject);
    if (!matches(this.options.subjects, subject))
      throw new TypeError(`subject ${subject} is not in the stream (${this.options.subjects})`);
    this.link.assertUp();
    try {
      const ack = await this.js.publish(this.#prefix + subject, data, {
        msgID: msgId,
        ...(expectedLastSubjectSeq === undefined ? {} : { expect: { lastSubjectSequence: expectedLastSubjectSeq } }),
      });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      if (error instanceof JetStreamApiError && WRONG_LAST_SEQUENCE.has(error.code)) {
        // The server says "wrong last sequence: <actual>".
        const actual = /wrong last sequence: (\d+)/.exec(error.message)?.[1];
        throw new SequenceConflict(subject, expectedLastSubjectSeq ?? 0, actual ? Number(actual) : undefined, error);
      }
      throw translate(error);
    }
  }

  async consume(name: string, handler: StreamHandler, options: ConsumeOptions = {}): Promise<StreamConsumer> {
    assertConsumerName(name);
    const settings = consumeDefaults(options);
    this.link.assertUp();
    const { stream } = this.options;
    let messages: ConsumerMessages;
    let info: () => Promise<{ lag: number; ackFloor: number }>;
    try {
      // Adding an existing durable with the same name updates what may change (ack wait) and keeps its position.
      await this.jsm.consumers.add(stream, {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(settings.ackWaitMs),
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: MAX_ACK_PENDING,
        max_deliver: -1,
      });
      const consumer = await this.js.consumers.get(stream, name);
      messages = await consumer.consume({ max_messages: settings.batch });
      info = async () => {
        const { num_pending, num_ack_pending, ack_floor } = await consumer.info();
        return { lag: num_pending + num_ack_pending, ackFloor: ack_floor.stream_seq };
      };
    } catch (error) {
      throw translate(error);
    }
    const log = this.options.log;
    // The driver retries on its own; what it reports is for operators.
    (async () => {
      for await (const status of messages.status()) {
        if (NOTABLE.has(status.type)) log.warn("stream consumer", { consumer: name, status });
      }
    })().catch(() => {});
    const loop = (async () => {
      for await (const batch of batches(messages, settings.batch)) {
        const delivered = batch.map((m) => this.#message(m));
        try {
          await handler(delivered.map((d) => d.message));
        } catch (error) {
          log.error("stream handler failed", { consumer: name, error });
          for (const d of delivered) if (!d.settled()) d.message.nak(settings.retryDelayMs);
        }
      }
    })().catch((error) => log.error("stream consumer stopped", { consumer: name, error }));
    const handle: StreamConsumer = {
      lag: async () => {
        try {
          return (await info()).lag;
        } catch (error) {
          throw translate(error);
        }
      },
      progress: async () => {
        try {
          const { lag, ackFloor } = await info();
          return { lag, oldestUnackedAt: lag === 0 ? null : await this.#storedAt(ackFloor + 1) };
        } catch (error) {
          throw translate(error);
        }
      },
      stop: async () => {
        this.#consumers.delete(handle);
        await messages.close();
        await loop;
      },
    };
    this.#consumers.add(handle);
    return handle;
  }

  /** The stream timestamp of the message at `seq`, or of the oldest kept one after it (limits drop old ones). */
  async #storedAt(seq: number): Promise<number | null> {
    const stream = this.options.stream;
    const stored = await this.jsm.streams.getMessage(stream, { seq });
    if (stored) return stored.time.getTime();
    const { state } = await this.jsm.streams.info(stream);
    if (state.first_seq <= seq) return null;
    return (await this.jsm.streams.getMessage(stream, { seq: state.first_seq }))?.time.getTime() ?? null;
  }

  /** A delivered message as the port hands it out, and whether it was acked or nakked. */
  #message(msg: JsMsg): { message: StreamMessage; settled(): boolean } {
    let settled = false;
    const strip = this.#prefix.length;
    return {
      settled: () => settled,
      message: {
        subject: strip ? msg.subject.slice(strip) : msg.subject,
        data: msg.data,
        seq: msg.seq,
        timestamp: msg.time.getTime(),
        deliveries: msg.info.deliveryCount,
        ack: async () => {
          settled = true;
          this.link.assertUp();
          try {
            await msg.ackAck();
          } catch (error) {
            throw translate(error);
          }
        },
        nak: (delayMs?: number) => {
          settled = true;
          if (this.link.up) msg.nak(delayMs);
        },
      },
    };
  }

  async ping() {
    this.link.assertUp();
    try {
      await this.jsm.streams.info(this.options.stream);
    } catch (error) {
      throw translate(error);
    }
  }

  async close() {
    await Promise.all([...this.#consumers].map((consumer) => consumer.stop()));
    await this.link.close();
  }
}
