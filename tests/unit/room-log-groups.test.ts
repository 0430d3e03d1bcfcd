// How the Cassandra room log groups queued appends into one compare-and-set: in queue order, each on
// the head the one before leaves, bounded in count and payload, a failing build left out on its own.
import { describe, expect, test } from "bun:test";
import {
  GROUP_PAYLOAD_CHARS,
  groupOf,
  type Head,
  type LogWrite,
  type Pending,
} from "../../src/store/cassandra/room-log";

const pending = (build: (head: Head) => LogWrite, outcomes: unknown[]): Pending => ({
  build,
  resolve: (done) => outcomes.push(done),
  reject: (error) => outcomes.push(error),
});

const message = (chars: number) => (head: Head) => {
  const id = `id-${head.position + 1}`;
  return { type: "message.created", messageId: id, payload: "p".repeat(chars), lastMessageId: id };
};

describe("room log groups", () => {
  test("a group takes the queue's front in order, each entry built on the head the one before leaves", () => {
    const outcomes: unknown[] = [];
    const queue = [
      pending(message(10), outcomes),
      pending(
        (head) => ({ type: "reaction.added", messageId: null, payload: "{}", lastMessageId: head.lastMessageId }),
        outcomes,
      ),
      pending(message(10), outcomes),
      pending(message(10), outcomes),
    ];
    const group = groupOf(queue, { position: 7, lastMessageId: "id-7" }, 3);
    expect(group.map((e) => [e.position, e.write.lastMessageId])).toEqual([
      [8, "id-8"],
      [9, "id-8"],
      [10, "id-10"],
    ]);
    expect(group.map((e) => e.pending)).toEqual(queue.slice(0, 3));
    expect(queue).toHaveLength(4);
  });

  test("a group stops before the payload bound, but always holds one entry", () => {
    const outcomes: unknown[] = [];
    const big = Math.floor(GROUP_PAYLOAD_CHARS / 3) + 1;
    const queue = Array.from({ length: 5 }, () => pending(message(big), outcomes));
    expect(groupOf(queue, { position: 0, lastMessageId: null }, 32)).toHaveLength(2);
    const huge = [pending(message(GROUP_PAYLOAD_CHARS * 2), outcomes), pending(message(1), outcomes)];
    expect(groupOf(huge, { position: 0, lastMessageId: null }, 32)).toHaveLength(1);
  });

  test("an entry whose build throws is rejected and leaves the queue; the next builds on the same head", () => {
    const outcomes: unknown[] = [];
    const refused = new Error("id does not sort after the head");
    const queue = [
      pending(message(1), outcomes),
      pending(() => {
        throw refused;
      }, outcomes),
      pending(message(1), outcomes),
    ];
    const group = groupOf(queue, { position: 0, lastMessageId: null }, 32);
    expect(group.map((e) => e.position)).toEqual([1, 2]);
    expect(outcomes).toEqual([refused]);
    expect(queue).toHaveLength(2);
  });
});
