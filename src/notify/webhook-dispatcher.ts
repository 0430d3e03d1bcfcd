// Delivers rooms' durable events to webhooks, read from the room logs by position: per (hook, room)
// one delivery in flight, in position order, the position delivered kept in the store, so a receiver
// that is down or slow holds back only its own hook's deliveries, never a send. Runs in the process
// that holds the "webhooks" lease (LeasedLoop): at least once (a new holder may repeat the delivery
// the last one was making), retried with exponential backoff and jitter for `retryForMs`, then dropped.

import type { Timeline } from "../domain/timeline";
import { deliveryId, GLOBAL_HOOK_ID, type SecretBox, signature } from "../domain/webhooks";
import type { Logger } from "../log";
import type { NotifyStore } from "../ports/notify";
import type { RoomLogStore } from "../ports/room-log";
import type { RoomStore } from "../ports/rooms";
import { postPinned, resolveTarget } from "./ssrf";

export type WebhookOutcome = "delivered" | "failed" | "dropped";

export type DispatcherSettings = {
  allowPrivate: boolean;
  retryForMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
};

export type WebhookDispatcherDeps = {
  store: NotifyStore & RoomLogStore & Pick<RoomStore, "getRoom">;
  timeline: Pick<Timeline, "after">;
  box: SecretBox;
  /** WEBHOOK_URL and WEBHOOK_SECRET, when set: every room's events. */
  global: { url: string; secret: string } | null;
  settings: DispatcherSettings;
  observe?: (outcome: WebhookOutcome, seconds: number) => void;
  log: Logger;
  now?: () => number;
};

/** Where the global hook was first enabled (ms): rooms created later are delivered from their start. */
export const GLOBAL_SINCE_KEY = "00000000-0000-0000-0000-000000000000";
const BATCH = 50;
const MAX_IN_FLIGHT = 16;
const SCAN_PAGE = 500;

type Target = { hookId: string; url: URL; secret: string | null; roomId: string };
type Lane = { running: boolean; attempts: number; firstFailureAt: number; nextAt: number };

export class WebhookDispatcher {
  readonly #lanes = new Map<string, Lane>();
  /** Delivered positions as this holder last wrote them (valid while it holds the lease). */
  readonly #positions = new Map<string, number>();
  readonly #running = new Set<Promise<void>>();
  #stopped = false;
  /** Aborts the deliveries in flight when the process stops (they are repeated by the next holder). */
  readonly #abort = new AbortController();
  #globalSince: number | null = null;

  constructor(private readonly deps: WebhookDispatcherDeps) {}

  #now() {
    return (this.deps.now ?? Date.now)();
  }

  /** One round: starts a delivery for every (hook, room) that is behind its room's head and due. */
  async round() {
    if (this.deps.global) await this.#sinceGlobal();
    for await (const { target, head } of this.#targets()) {
      if (this.#stopped) return;
      const key = `${target.hookId}|${target.roomId}`;
      const lane = this.#lanes.get(key) ?? { running: false, attempts: 0, firstFailureAt: 0, nextAt: 0 };
      this.#lanes.set(key, lane);
      if (lane.running || lane.nextAt > this.#now() || this.#running.size >= MAX_IN_FLIGHT) continue;
      const position = await this.#position(target);
      if (position >= head) continue;
      lane.running = true;
      const task = this.#drain(target, lane, key, position).finally(() => {
        lane.running = false;
        this.#running.delete(task);
      });
      this.#running.add(task);
    }
  }

  /** The lease was lost: forget what only a holder may assume. */
  reset() {
    this.#positions.clear();
    this.#globalSince = null;
  }

  async stop() {
    this.#stopped = true;
    this.#abort.abort();
    await Promise.allSettled([...this.#running]);
  }

  async *#targets(): AsyncGenerator<{ target: Target; head: number }> {
    const hooks = await this.deps.store.scanWebhooks();
    for (const hook of hooks) {
      let secret: string | null;
      try {
        secret = this.deps.box.open(hook.secretSealed);
      } catch {
        secret = null;
      }
      const head = await this.deps.store.headPosition(hook.roomId);
      // A deleted room's hooks go with it (its log is gone: nothing more to deliver).
      if (head === 0 && !(await this.deps.store.getRoom(hook.roomId))) {
        await this.deps.store.deleteWebhook(hook.roomId, hook.id);
        continue;
      }
      yield { target: { hookId: hook.id, url: new URL(hook.url), secret, roomId: hook.roomId }, head };
    }
    const global = this.deps.global;
    if (!global) return;
    const url = new URL(global.url);
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<RoomLogStore["scanRooms"]>> = await this.deps.store.scanRooms(cursor, SCAN_PAGE);
      for (const room of page.rooms)
        yield { target: { hookId: GLOBAL_HOOK_ID, url, secret: global.secret, roomId: room.roomId }, head: room.head };
      cursor = page.next;
    } while (cursor);
  }

  /** The last position delivered; for a hook new to the room, where its deliveries start. */
  async #position(target: Target): Promise<number> {
    const key = `${target.hookId}|${target.roomId}`;
    const known = this.#positions.get(key) ?? (await this.deps.store.getWebhookPosition(target.hookId, target.roomId));
    if (known !== null) {
      this.#positions.set(key, known);
      return known;
    }
    // A room hook's position is set when it is created; a room the global hook never saw starts at
    // its beginning when it was created after the global hook was enabled, else at its head now.
    const start =
      target.hookId === GLOBAL_HOOK_ID && (await this.#roomIsNewer(target.roomId))
        ? 0
        : await this.deps.store.headPosition(target.roomId);
    await this.deps.store.setWebhookPosition(target.hookId, target.roomId, start);
    this.#positions.set(key, start);
    return start;
  }

  /** When the global hook was first enabled, recorded by the first round of the first holder. */
  async #sinceGlobal(): Promise<number> {
    if (this.#globalSince === null) {
      const stored = await this.deps.store.getWebhookPosition(GLOBAL_HOOK_ID, GLOBAL_SINCE_KEY);
      if (stored === null) await this.deps.store.setWebhookPosition(GLOBAL_HOOK_ID, GLOBAL_SINCE_KEY, this.#now());
      this.#globalSince = (await this.deps.store.getWebhookPosition(GLOBAL_HOOK_ID, GLOBAL_SINCE_KEY)) ?? this.#now();
    }
    return this.#globalSince;
  }

  async #roomIsNewer(roomId: string) {
    const since = await this.#sinceGlobal();
    const room = await this.deps.store.getRoom(roomId);
    return room !== null && room.createdAt.getTime() >= since;
  }

  /** Delivers the events after `position` one at a time until caught up, a failure, or stop. */
  async #drain(target: Target, lane: Lane, key: string, position: number) {
    const events = await this.deps.timeline.after(target.roomId, position, BATCH, null);
    for (const event of events) {
      if (this.#stopped) return;
      const body = JSON.stringify({ id: deliveryId(target.roomId, event.seq), ...event });
      const started = this.#now();
      const ok = await this.#post(target, event.type, deliveryId(target.roomId, event.seq), body);
      const seconds = (this.#now() - started) / 1000;
      if (this.#stopped) return;
      if (!ok) {
        const now = this.#now();
        lane.firstFailureAt ||= now;
        lane.attempts++;
        if (now - lane.firstFailureAt < this.deps.settings.retryForMs) {
          lane.nextAt = now + this.#backoff(lane.attempts);
          this.deps.observe?.("failed", seconds);
          return;
        }
        this.deps.observe?.("dropped", seconds);
        this.deps.log.warn("webhook event dropped after retrying", {
          hook_id: target.hookId,
          room_id: target.roomId,
          seq: event.seq,
          attempts: lane.attempts,
        });
      } else this.deps.observe?.("delivered", seconds);
      lane.attempts = 0;
      lane.firstFailureAt = 0;
      lane.nextAt = 0;
      await this.deps.store.setWebhookPosition(target.hookId, target.roomId, event.seq);
      this.#positions.set(key, event.seq);
    }
  }

  /** Exponential from the base, capped, with jitter: a random point in the upper half of the step. */
  #backoff(attempts: number) {
    const { retryBaseMs, retryMaxMs } = this.deps.settings;
    const step = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempts - 1, 30));
    return step / 2 + Math.random() * (step / 2);
  }

  /** True on a 2xx answer. Refused targets, 3xx (never followed), errors and timeouts are failures. */
  async #post(target: Target, type: string, delivery: string, body: string): Promise<boolean> {
    if (target.secret === null) return false;
    let address: { address: string; family: number };
    try {
      address = await resolveTarget(target.url, this.deps.settings.allowPrivate);
    } catch {
      this.deps.log.warn("webhook target refused", { hook_id: target.hookId, host: target.url.hostname });
      return false;
    }
    const t = Math.floor(this.#now() / 1000);
    const result = await postPinned(
      target.url,
      address,
      {
        "user-agent": "chatd-webhooks",
        "x-chatd-event": type,
        "x-chatd-delivery": delivery,
        "x-chatd-signature": signature(target.secret, body, t),
      },
      body,
      this.deps.settings.timeoutMs,
      this.#abort.signal,
    );
    return "status" in result && result.status >= 200 && result.status < 300;
  }
}
