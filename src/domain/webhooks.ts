// Outbound webhooks: per-room hooks managed by the room's owner (the secret is shown once, kept sealed
// with a key derived from the server's secret), the delivery body and its Stripe-style signature.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import type { NotifyStore, WebhookRecord } from "../ports/notify";
import type { RoomLogStore } from "../ports/room-log";
import { validationFailed } from "./errors";
import type { PositionedEvent } from "./events";
import { assertOwner } from "./permissions";
import type { Rooms } from "./rooms";

/** The hook id of WEBHOOK_URL (its delivery positions are stored under it). */
export const GLOBAL_HOOK_ID = "global";
/** Hooks per room. */
export const MAX_ROOM_HOOKS = 10;
const MAX_URL_LENGTH = 2048;

/**
 * Resolves the URL's host and refuses it (`validation_failed` on `url`) when any address it resolves
 * to is not allowed (private, loopback, link-local, metadata), unless private targets are allowed.
 */
export type TargetCheck = (url: URL) => Promise<unknown>;

export type WebhookView = { id: string; room_id: string; url: string; created_by: string; created_at: string };

export const webhookView = (hook: WebhookRecord): WebhookView => ({
  id: hook.id,
  room_id: hook.roomId,
  url: hook.url,
  created_by: hook.createdBy,
  created_at: hook.createdAt.toISOString(),
});

/**
 * Seals and opens hook secrets with AES-256-GCM under a key derived (HKDF-SHA256) from the server's
 * secret. Hashing would not do: the dispatcher needs the secret itself to sign. Rotating the server
 * secret makes existing hooks' secrets unreadable (their deliveries fail to sign: recreate the hooks).
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(serverSecret: string) {
    this.#key = Buffer.from(hkdfSync("sha256", serverSecret, "chatd", "chatd webhook secrets v1", 32));
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    const sealed = Buffer.concat([cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `v1.${iv.toString("base64url")}.${sealed.toString("base64url")}`;
  }

  /** Throws when the value was not sealed with this key. */
  open(sealed: string): string {
    const [version, iv, body] = sealed.split(".");
    if (version !== "v1" || !iv || !body) throw new Error("unknown sealed secret format");
    const bytes = Buffer.from(body, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", this.#key, Buffer.from(iv, "base64url"));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString("utf8");
  }
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: receivers recompute it and compare. */
export const signature = (secret: string, body: string, unixSeconds: number) =>
  `t=${unixSeconds},v1=${createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex")}`;

/** Stable across retries and processes: receivers dedupe on it. */
export const deliveryId = (roomId: string, seq: number) => `${roomId}:${seq}`;

/** What a receiver gets: the event as a WebSocket subscriber receives it, with the delivery id. */
export const deliveryBody = (event: PositionedEvent) =>
  JSON.stringify({ id: deliveryId(event.room_id, event.seq), ...event });

export type WebhookDeps = {
  store: NotifyStore & Pick<RoomLogStore, "headPosition">;
  rooms: Rooms;
  box: SecretBox;
  checkTarget: TargetCheck;
  now?: () => Date;
};

export class Webhooks {
  readonly #now: () => Date;

  constructor(private readonly deps: WebhookDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /** Owner only. The secret is in this answer and never again. Deliveries start after the room's head. */
  async create(userId: string, roomId: string, rawUrl: string): Promise<{ hook: WebhookRecord; secret: string }> {
    await this.#owner(userId, roomId);
    const url = parseTarget(rawUrl);
    await this.deps.checkTarget(url);
    if ((await this.deps.store.listWebhooks(roomId)).length >= MAX_ROOM_HOOKS)
      throw validationFailed(`a room has at most ${MAX_ROOM_HOOKS} webhooks`, [
        { field: "url", message: "too many webhooks in this room" },
      ]);
    const secret = `whsec_${randomBytes(32).toString("base64url")}`;
    const hook: WebhookRecord = {
      id: crypto.randomUUID(),
      roomId,
      url: url.toString(),
      secretSealed: this.deps.box.seal(secret),
      createdBy: userId,
      createdAt: this.#now(),
    };
    await this.deps.store.setWebhookPosition(hook.id, roomId, await this.deps.store.headPosition(roomId));
    await this.deps.store.createWebhook(hook);
    return { hook, secret };
  }

  async list(userId: string, roomId: string): Promise<WebhookRecord[]> {
    await this.#owner(userId, roomId);
    return this.deps.store.listWebhooks(roomId);
  }

  /** Owner only; false when the room has no such hook. */
  async delete(userId: string, roomId: string, hookId: string): Promise<boolean> {
    await this.#owner(userId, roomId);
    return this.deps.store.deleteWebhook(roomId, hookId);
  }

  async #owner(userId: string, roomId: string) {
    const { member } = await this.deps.rooms.membership(userId, roomId);
    assertOwner(member);
  }
}

/** An absolute http(s) URL without credentials, at most MAX_URL_LENGTH characters. */
export function parseTarget(raw: string): URL {
  const invalid = (message: string) => validationFailed(`url ${message}`, [{ field: "url", message }]);
  if (raw.length > MAX_URL_LENGTH) throw invalid(`must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid("must be an absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid("must be an http or https URL");
  if (url.username || url.password) throw invalid("must not carry credentials");
  if (!url.hostname) throw invalid("must have a host");
  return url;
}
