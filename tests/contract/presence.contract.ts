// The presence contract (src/ports/presence.ts) every Presence adapter must meet: per-connection
// counting, idempotent enter/leave, atomic joined/left. With `shared`, presences opened from the
// harness stand for processes on one backend: they agree, entries of a live process outlive the TTL,
// and a crashed process's users go offline within it.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { ConnectionStatus, Presence, PresenceChange, UserPresenceChange } from "../../src/ports/presence";

/** Another process on the backend that can be killed without a chance to clean up. */
export type CrashableProcess = {
  enter(roomId: string, userId: string, connectionId: string): Promise<PresenceChange>;
  /** Registers a user's connection (seen now). */
  connect(userId: string, connectionId: string, status: ConnectionStatus): Promise<UserPresenceChange>;
  crash(): Promise<void>;
};

export type PresenceHarness = {
  /** A presence on the backend; with `shared`, each call is another process on the same backend. */
  open(): Promise<Presence>;
  shared?: { ttlMs: number; spawn(): Promise<CrashableProcess> };
  describe?: typeof describe;
};

const id = () => crypto.randomUUID();

/** Polls `condition` until it holds or `withinMs` passes; returns how long it took (Infinity: never). */
async function waitFor(condition: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < withinMs) {
    if (await condition()) return performance.now() - started;
    await Bun.sleep(25);
  }
  return (await condition()) ? performance.now() - started : Number.POSITIVE_INFINITY;
}

export function runPresenceContract(name: string, harness: PresenceHarness) {
  (harness.describe ?? describe)(`Presence contract: ${name}`, () => {
    let presence: Presence;
    const opened: Presence[] = [];
    const open = async () => {
      const p = await harness.open();
      opened.push(p);
      return p;
    };
    beforeEach(async () => {
      presence = await open();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((p) => p.close()));
    });

    test("a user's first connection in a room is joined, further ones unchanged; online lists the user once", async () => {
      const [room, user] = [id(), id()];
      expect(await presence.enter(room, user, "c1")).toBe("joined");
      expect(await presence.enter(room, user, "c2")).toBe("unchanged");
      expect(await presence.online(room)).toEqual([user]);
    });

    test("only the last connection leaving is left", async () => {
      const [room, user] = [id(), id()];
      await presence.enter(room, user, "c1");
      await presence.enter(room, user, "c2");
      expect(await presence.leave(room, user, "c1")).toBe("unchanged");
      expect(await presence.online(room)).toEqual([user]);
      expect(await presence.leave(room, user, "c2")).toBe("left");
      expect(await presence.online(room)).toEqual([]);
      expect(await presence.enter(room, user, "c3")).toBe("joined");
    });

    test("enter and leave are idempotent: repeating either changes nothing", async () => {
      const [room, user] = [id(), id()];
      expect(await presence.enter(room, user, "c1")).toBe("joined");
      expect(await presence.enter(room, user, "c1")).toBe("unchanged");
      expect(await presence.leave(room, user, "c1")).toBe("left");
      expect(await presence.leave(room, user, "c1")).toBe("unchanged");
      expect(await presence.leave(id(), user, "never-entered")).toBe("unchanged");
      expect(await presence.online(room)).toEqual([]);
    });

    test("rooms and users are independent; an unknown room is empty", async () => {
      const [a, b, alice, bob] = [id(), id(), id(), id()];
      await presence.enter(a, alice, "c1");
      await presence.enter(a, bob, "c2");
      expect(await presence.enter(b, alice, "c1")).toBe("joined");
      expect((await presence.online(a)).sort()).toEqual([alice, bob].sort());
      expect(await presence.leave(a, alice, "c1")).toBe("left");
      expect(await presence.online(a)).toEqual([bob]);
      expect(await presence.online(b)).toEqual([alice]);
      expect(await presence.online(id())).toEqual([]);
    });

    test("of concurrent enters of one user exactly one is joined, and of their leaves exactly one is left", async () => {
      const [room, user] = [id(), id()];
      const connections = Array.from({ length: 20 }, (_, i) => `c${i}`);
      const entered = await Promise.all(connections.map((c) => presence.enter(room, user, c)));
      expect(entered.filter((change) => change === "joined")).toHaveLength(1);
      const left = await Promise.all(connections.map((c) => presence.leave(room, user, c)));
      expect(left.filter((change) => change === "left")).toHaveLength(1);
      expect(await presence.online(room)).toEqual([]);
    });

    const statusOf = async (p: Presence, user: string) => (await p.users([user]))[0]?.status;

    test("a user is online from their first connection, once: later connections change nothing", async () => {
      const user = id();
      expect(await presence.connect(user, "c1", "online", 1000)).toEqual({
        before: "offline",
        after: "online",
        lastSeenAt: 1000,
      });
      expect(await presence.connect(user, "c2", "online", 2000)).toEqual({
        before: "online",
        after: "online",
        lastSeenAt: 2000,
      });
      expect(await presence.users([user])).toEqual([{ userId: user, status: "online", lastSeenAt: 2000 }]);
    });

    test("a user is idle only while every connection is idle; one online connection makes them online", async () => {
      const user = id();
      await presence.connect(user, "c1", "online", 1000);
      await presence.connect(user, "c2", "idle", 0);
      expect(await statusOf(presence, user)).toBe("online");
      expect(await presence.connect(user, "c1", "idle", 1500)).toMatchObject({ before: "online", after: "idle" });
      expect(await presence.connect(user, "c2", "online", 3000)).toMatchObject({ before: "idle", after: "online" });
      expect(await presence.disconnect(user, "c2", 3500)).toEqual({
        before: "online",
        after: "idle",
        lastSeenAt: 3500,
      });
    });

    test("the last connection gone makes the user offline; last_seen_at stays and never goes back", async () => {
      const user = id();
      await presence.connect(user, "c1", "online", 5000);
      expect(await presence.disconnect(user, "c1", 4000)).toEqual({
        before: "online",
        after: "offline",
        lastSeenAt: 5000,
      });
      expect(await presence.disconnect(user, "c1", 9000)).toEqual({
        before: "offline",
        after: "offline",
        lastSeenAt: 9000,
      });
      expect(await presence.users([user])).toEqual([{ userId: user, status: "offline", lastSeenAt: 9000 }]);
    });

    test("users answers in the order asked, and a user never seen is offline with no last_seen_at", async () => {
      const [seen, never] = [id(), id()];
      await presence.connect(seen, "c1", "idle", 7000);
      expect(await presence.users([never, seen, never])).toEqual([
        { userId: never, status: "offline", lastSeenAt: null },
        { userId: seen, status: "idle", lastSeenAt: 7000 },
        { userId: never, status: "offline", lastSeenAt: null },
      ]);
      expect(await presence.users([])).toEqual([]);
    });

    test("user presence is apart from rooms: entering a room does not make a user online", async () => {
      const [room, user] = [id(), id()];
      await presence.enter(room, user, "c1");
      expect(await statusOf(presence, user)).toBe("offline");
      await presence.connect(user, "c1", "online", 1);
      await presence.disconnect(user, "c1", 2);
      expect(await presence.online(room)).toEqual([user]);
    });

    test("of concurrent first connections of one user exactly one sees offline before", async () => {
      const user = id();
      const changes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => presence.connect(user, `c${i}`, "online", i + 1)),
      );
      expect(changes.filter((c) => c.before === "offline")).toHaveLength(1);
      const gone = await Promise.all(Array.from({ length: 20 }, (_, i) => presence.disconnect(user, `c${i}`, 0)));
      expect(gone.filter((c) => c.after === "offline" && c.before !== "offline")).toHaveLength(1);
    });

    const shared = harness.shared;
    if (!shared) return;

    test("processes agree on a user's status: online through either process, offline when both are gone", async () => {
      const other = await open();
      const user = id();
      expect((await presence.connect(user, "here", "idle", 10)).after).toBe("idle");
      expect(await other.connect(user, "there", "online", 20)).toMatchObject({ before: "idle", after: "online" });
      expect(await statusOf(presence, user)).toBe("online");
      expect((await other.disconnect(user, "there", 30)).after).toBe("idle");
      expect(await presence.disconnect(user, "here", 0)).toEqual({ before: "idle", after: "offline", lastSeenAt: 30 });
    });

    test("a live process keeps its users online well past the TTL, and close takes them offline", async () => {
      const other = await open();
      const user = id();
      await other.connect(user, "c1", "online", 1);
      await Bun.sleep(shared.ttlMs * 2.5);
      expect(await statusOf(presence, user)).toBe("online");
      const before = Date.now();
      await other.close();
      const [after] = await presence.users([user]);
      expect(after?.status).toBe("offline");
      // Online until its process closed: seen then, not at connect.
      expect(after?.lastSeenAt ?? 0).toBeGreaterThanOrEqual(before - shared.ttlMs);
    });

    test("a crashed process's users go offline within the TTL and keep their last_seen_at", async () => {
      const crashing = await shared.spawn();
      const user = id();
      expect((await crashing.connect(user, "doomed", "online")).before).toBe("offline");
      expect(await statusOf(presence, user)).toBe("online");
      await crashing.crash();
      const offlineAfter = await waitFor(async () => (await statusOf(presence, user)) === "offline", shared.ttlMs * 3);
      expect(offlineAfter).toBeLessThan(shared.ttlMs + 1000);
      expect((await presence.users([user]))[0]?.lastSeenAt).toBeGreaterThan(0);
      expect((await presence.connect(user, "back", "online", 1)).before).toBe("offline");
    });

    test("processes agree: a user connected through two processes is joined once and left once", async () => {
      const other = await open();
      const [room, user] = [id(), id()];
      expect(await presence.enter(room, user, "here")).toBe("joined");
      expect(await other.enter(room, user, "there")).toBe("unchanged");
      expect(await other.online(room)).toEqual([user]);
      expect(await presence.leave(room, user, "here")).toBe("unchanged");
      expect(await presence.online(room)).toEqual([user]);
      expect(await other.leave(room, user, "there")).toBe("left");
      expect(await presence.online(room)).toEqual([]);
    });

    test("of concurrent enters through several processes exactly one is joined", async () => {
      const others = await Promise.all([open(), open()]);
      const [room, user] = [id(), id()];
      const all = [presence, ...others];
      const entered = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (all[i % all.length] as Presence).enter(room, user, `c${i}`)),
      );
      expect(entered.filter((change) => change === "joined")).toHaveLength(1);
    });

    test("close removes the entries of its own process only", async () => {
      const other = await open();
      const [room, alice, bob] = [id(), id(), id()];
      await presence.enter(room, alice, "a");
      await other.enter(room, alice, "a2");
      await other.enter(room, bob, "b");
      await other.close();
      expect(await presence.online(room)).toEqual([alice]);
      expect(await presence.leave(room, alice, "a")).toBe("left");
    });

    test("a live process keeps its entries alive well past the TTL", async () => {
      const [room, user] = [id(), id()];
      await presence.enter(room, user, "c1");
      await Bun.sleep(shared.ttlMs * 2.5);
      expect(await presence.online(room)).toEqual([user]);
      expect(await presence.enter(room, user, "c2")).toBe("unchanged");
    });

    test("a crashed process's users go offline within the TTL, and are joined again on their next connection", async () => {
      const crashing = await shared.spawn();
      const [room, gone, staying] = [id(), id(), id()];
      expect(await crashing.enter(room, gone, "doomed")).toBe("joined");
      await presence.enter(room, staying, "alive");
      expect((await presence.online(room)).sort()).toEqual([gone, staying].sort());
      await crashing.crash();
      const offlineAfter = await waitFor(async () => !(await presence.online(room)).includes(gone), shared.ttlMs * 3);
      // Expiry comes at most one TTL after the last refresh, which came before the crash; polling
      // and a busy machine add a little.
      expect(offlineAfter).toBeLessThan(shared.ttlMs + 1000);
      expect(await presence.online(room)).toEqual([staying]);
      expect(await presence.enter(room, gone, "back")).toBe("joined");
    });
  });
}
