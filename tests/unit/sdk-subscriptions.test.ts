// The SDK's position bookkeeping (clients/js/src/subscriptions.ts) and reconnect delays: what makes a
// client apply each durable event once and in order, whatever a replay and the live stream overlap.
import { describe, expect, test } from "bun:test";
import { backoffDelay, type DurableEvent, type Subscribed, Subscriptions } from "../../clients/js/src";

const ROOM = "00000000-0000-4000-8000-000000000001";
const event = (seq: number) => ({ type: "message.deleted", room_id: ROOM, message_id: ROOM, seq }) as DurableEvent;
const reply = (missed: number[], seq: number, recovered = true) =>
  ({ type: "subscribed", room_id: ROOM, missed: missed.map(event), recovered, seq }) as Subscribed;

describe("room positions", () => {
  test("the next position applies, a seen one is a duplicate, a later one is a gap", () => {
    const subs = new Subscriptions();
    const sub = subs.want(ROOM);
    expect(subs.accept(event(1))).toBe("ignore"); // no position known yet
    subs.replayed(sub, reply([], 4), false);
    expect(subs.accept(event(5))).toBe("apply");
    expect(subs.accept(event(5))).toBe("duplicate");
    expect(subs.accept(event(3))).toBe("duplicate");
    expect(subs.accept(event(7))).toBe("gap");
    expect(sub.position).toBe(5);
  });

  test("a replay applies only what is new and moves the position to where the reply is complete", () => {
    const subs = new Subscriptions();
    const sub = subs.want(ROOM, 2);
    const { events, complete } = subs.replayed(sub, reply([1, 2, 3, 4], 4), true);
    expect(events.map((e) => e.seq)).toEqual([3, 4]);
    expect(complete).toBe(true);
    expect(sub.position).toBe(4);
  });

  test("a replay cut at the server's limit is not complete; live events wait for the replay meanwhile", () => {
    const subs = new Subscriptions();
    const sub = subs.want(ROOM, 0);
    sub.syncing = true;
    expect(subs.accept(event(9))).toBe("ignore");
    const first = subs.replayed(sub, reply([1, 2], 2, false), true);
    expect(first.complete).toBe(false);
    const second = subs.replayed(sub, reply([3, 4], 4, true), true);
    expect([...first.events, ...second.events].map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(second.complete).toBe(true);
  });

  test("since is taken only when no position is known (a later subscribe never moves it back)", () => {
    const subs = new Subscriptions();
    const sub = subs.want(ROOM, 10);
    subs.want(ROOM, 3);
    expect(sub.position).toBe(10);
  });
});

describe("reconnect backoff", () => {
  test("grows exponentially up to the cap, with jitter in the upper half", () => {
    const options = { baseMs: 100, maxMs: 5000 };
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, options, () => 0))).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, options, () => 1))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(40, options, () => 1)).toBe(5000);
    expect(backoffDelay(40, options, () => 0)).toBe(2500);
    const spread = new Set(Array.from({ length: 20 }, () => backoffDelay(3, options)));
    expect(spread.size).toBeGreaterThan(10);
  });
});
