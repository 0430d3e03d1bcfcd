// The NATS bus: core NATS subjects, one NATS subscription per Bus subscription, one NATS message per
// publish. An optional subject prefix namespaces every subject on the wire (`<prefix>.chat.room.<id>`)
// so several deployments (or test servers) can share one NATS; handlers see subjects without it.
import { type Msg, type MsgHdrs, headers as natsHeaders } from "@nats-io/transport-node";
import type { Logger } from "../../log";
import type { Bus, BusHandler, BusHeaders, BusSubscription } from "../../ports/bus";
import { assertHeaders, assertPattern, assertSubject, deliver, NO_HEADERS } from "../shared";
import { NatsLink, type NatsSettings, translate } from "./connection";

export type NatsBusOptions = {
  /** Prepended to every subject on the wire, e.g. `tenant1`; none by default. */
  prefix?: string;
  /** How long a subscription's `ready` and `ping` wait for the server; default 5000 ms. */
  timeoutMs?: number;
  log: Logger;
};

const toNats = (headers: BusHeaders): MsgHdrs => {
  const h = natsHeaders();
  for (const [name, value] of Object.entries(headers)) h.set(name, value);
  return h;
};

const fromNats = (h: MsgHdrs | undefined): BusHeaders => {
  if (!h) return NO_HEADERS;
  const out: Record<string, string> = {};
  for (const [name, values] of h) if (values[0] !== undefined) out[name] = values[0];
  return out;
};

/** Marks a promise as handled (its callers still see the rejection), so an unawaited `ready` cannot crash. */
const handled = <T>(promise: Promise<T>) => {
  promise.catch(() => {});
  return promise;
};

export class NatsBus implements Bus {
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(
    private readonly link: NatsLink,
    private readonly options: NatsBusOptions,
  ) {
    if (options.prefix !== undefined) assertSubject(options.prefix);
    this.#prefix = options.prefix ? `${options.prefix}.` : "";
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Opens its own connection (see connection.ts for the reconnect policy). */
  static async connect(settings: Omit<NatsSettings, "log">, options: NatsBusOptions): Promise<NatsBus> {
    return new NatsBus(await NatsLink.open({ ...settings, log: options.log }), options);
  }

  get #log(): Logger {
    return this.options.log;
  }

  async publish(subject: string, data: Uint8Array, headers?: BusHeaders) {
    assertSubject(subject);
    if (headers) assertHeaders(headers);
    this.link.assertUp();
    try {
      this.link.nc.publish(this.#prefix + subject, data, headers ? { headers: toNats(headers) } : undefined);
    } catch (error) {
      throw translate(error);
    }
  }

  subscribe(subject: string, handler: BusHandler): BusSubscription {
    assertPattern(subject);
    const strip = this.#prefix.length;
    let active = true;
    const callback = (error: Error | null, msg: Msg) => {
      if (!active) return;
      if (error) {
        this.#log.error("NATS subscription failed", { subject, error });
        return;
      }
      deliver(this.#log, handler, strip ? msg.subject.slice(strip) : msg.subject, msg.data, fromNats(msg.headers));
    };
    let cancel = () => {};
    let ready: Promise<void>;
    try {
      const sub = this.link.nc.subscribe(this.#prefix + subject, { callback });
      cancel = () => sub.unsubscribe();
      ready = this.link.roundTrip(this.#timeoutMs);
    } catch (error) {
      ready = Promise.reject(translate(error));
    }
    const unsubscribe = () => {
      if (!active) return;
      active = false;
      cancel();
    };
    return {
      ready: handled(
        ready.catch((error) => {
          unsubscribe();
          throw error;
        }),
      ),
      unsubscribe,
    };
  }

  onResume(listener: () => void): () => void {
    return this.link.onResume(listener);
  }

  async ping() {
    await this.link.roundTrip(this.#timeoutMs);
  }

  async close() {
    await this.link.close();
  }
}
