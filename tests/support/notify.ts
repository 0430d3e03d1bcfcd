// Helpers for the notification tests: users with a verified email, the digests a server's outbox
// holds, waiting until a server has recorded a user's last connection, and a webhook receiver (a real
// HTTP server on loopback) that records every delivery and answers as told.
import type { ParsedMail } from "mailparser";
import type { Store } from "../../src/ports/store";
import { newUser, type TestUser } from "./client";
import { addresses, type Outbox, tokenIn } from "./outbox";

export const DIGEST_SUBJECT = /unread messages/;

/** Signs up, verifies the email from the outbox and logs in. */
export async function verifiedUser(base: string, outbox: Outbox, prefix = "dg"): Promise<TestUser> {
  const user = await newUser(base, prefix);
  const mail = await outbox.latest(user.email, /Verify/);
  const verified = await user.api.post("/v1/auth/verify-email", { token: tokenIn(mail) });
  if (verified.status !== 200) throw new Error(`verification failed: ${JSON.stringify(verified.body)}`);
  return user;
}

/** The digests to `email` in the outbox, oldest first. */
export async function digestsTo(outbox: Outbox, email: string): Promise<ParsedMail[]> {
  return (await outbox.all()).filter(
    (m) => addresses(m).includes(email.toLowerCase()) && DIGEST_SUBJECT.test(m.subject ?? ""),
  );
}

/** Waits until `count` digests reached `email`; resolves with them and when the last was first seen. */
export async function awaitDigests(outbox: Outbox, email: string, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mails = await digestsTo(outbox, email);
    if (mails.length >= count) return { mails, seenAt: Date.now() };
    if (Date.now() > deadline) throw new Error(`${mails.length} of ${count} digests to ${email} arrived`);
    await Bun.sleep(20);
  }
}

/** Waits until the store has the user's last connection at `at` or later (the socket's close was handled). */
export async function awaitSeen(store: Store, userId: string, at: number, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<Store["scanSeen"]>> = await store.scanSeen(cursor, 500);
      const user = page.users.find((u) => u.userId === userId);
      if (user && user.seenAt.getTime() >= at) return;
      cursor = page.next;
    } while (cursor);
    if (Date.now() > deadline) throw new Error(`no last-seen time for ${userId} at or after ${at}`);
    await Bun.sleep(20);
  }
}

/** When the user's last digest was claimed, as the store has it (null: none yet). */
export async function lastDigestAt(store: Store, userId: string): Promise<number | null> {
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<Store["scanSeen"]>> = await store.scanSeen(cursor, 500);
    const user = page.users.find((u) => u.userId === userId);
    if (user) return user.digestAt?.getTime() ?? null;
    cursor = page.next;
  } while (cursor);
  return null;
}

export type Delivery = { at: number; headers: Record<string, string>; body: string; status: number };

/**
 * A webhook receiver on 127.0.0.1. `answer` decides each request's status from the deliveries so far
 * (default 200); "hang" never answers (until the receiver closes).
 */
export class Receiver {
  readonly deliveries: Delivery[] = [];
  readonly #server: ReturnType<typeof Bun.serve>;
  readonly #hanging: (() => void)[] = [];
  answer: (request: { headers: Record<string, string>; body: string }) => number | "hang" = () => 200;

  constructor() {
    this.#server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      fetch: async (request) => {
        const body = await request.text();
        const headers = Object.fromEntries(request.headers.entries());
        const status = this.answer({ headers, body });
        const delivery: Delivery = { at: Date.now(), headers, body, status: status === "hang" ? 0 : status };
        this.deliveries.push(delivery);
        if (status === "hang") await new Promise<void>((resolve) => this.#hanging.push(resolve));
        return new Response(null, { status: status === "hang" ? 503 : status });
      },
    });
  }

  get url() {
    return `http://127.0.0.1:${this.#server.port}/hook`;
  }

  /** The deliveries it accepted (2xx), parsed, for one room. */
  accepted(roomId?: string) {
    return this.deliveries
      .filter((d) => d.status >= 200 && d.status < 300)
      .map((d) => ({ ...d, event: JSON.parse(d.body) }))
      .filter((d) => roomId === undefined || d.event.room_id === roomId);
  }

  /** Waits until `match` holds for the deliveries. */
  async until(match: (deliveries: Delivery[]) => boolean, timeoutMs = 10_000, what = "deliveries") {
    const deadline = Date.now() + timeoutMs;
    while (!match(this.deliveries)) {
      if (Date.now() > deadline) throw new Error(`receiver: ${what} did not arrive (${this.deliveries.length} so far)`);
      await Bun.sleep(10);
    }
  }

  close() {
    for (const release of this.#hanging.splice(0)) release();
    this.#server.stop(true);
  }
}
