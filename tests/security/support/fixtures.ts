// The real things hostile requests point at: Ana owns a public room (Bob is a member, with Ana's
// message in it) and a private one; Bob is "another user". Hostile cases may delete, ban or kick
// their way through these, so repair() puts back whatever is gone before the next case uses them.
import { newUser, type TestUser } from "../../support/client";
import type { Ids } from "./schema";

export class Fixtures {
  room = "";
  privateRoom = "";
  message = "";

  private constructor(
    readonly ana: TestUser,
    readonly bob: TestUser,
  ) {}

  static async create(base: string): Promise<Fixtures> {
    const fixtures = new Fixtures(await newUser(base, "ana"), await newUser(base, "bob"));
    await fixtures.repair();
    return fixtures;
  }

  /** The ids valid-shaped values use. */
  ids(): Ids {
    return { room: this.room, message: this.message, otherUser: this.bob.id, username: this.ana.username };
  }

  /** Makes every fixture exist again: the rooms, Bob's membership, a live message. */
  async repair(): Promise<void> {
    const { ana, bob } = this;
    const ok = (reply: { status: number }) => reply.status < 300;
    if (!this.room || !ok(await ana.api.get(`/v1/rooms/${this.room}`))) {
      this.room = await created(ana.api.post("/v1/rooms", { name: "fuzz", type: "public" }));
    }
    if (!this.privateRoom || !ok(await ana.api.get(`/v1/rooms/${this.privateRoom}`))) {
      this.privateRoom = await created(ana.api.post("/v1/rooms", { name: "fuzz private", type: "private" }));
    }
    // A fuzzed request may have banned Bob (unban: 204 or 404), kicked him or made the room private.
    await ana.api.delete(`/v1/rooms/${this.room}/bans/${bob.id}`);
    await ana.api.patch(`/v1/rooms/${this.room}`, { type: "public", max_members: null });
    await ana.api.post(`/v1/rooms/${this.room}/join`);
    await bob.api.post(`/v1/rooms/${this.room}/join`);
    this.message = await created(ana.api.post(`/v1/rooms/${this.room}/messages`, { content: "fixture" }));
  }
}

async function created(reply: Promise<{ status: number; body: any }>): Promise<string> {
  const { status, body } = await reply;
  if (status >= 300) throw new Error(`fixture not created: ${status} ${JSON.stringify(body)}`);
  return body.id;
}
