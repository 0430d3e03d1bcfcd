// Per-key ordering with groups: tasks of one key run one at a time in call order, and grouped items
// that queue up behind a running task run together, without ever overtaking what was queued before.
import { describe, expect, test } from "bun:test";
import { KeyedSerializer } from "../../src/domain/serial";

/** A task that runs until released. */
const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
};

const settleAll = (items: number[]) => Promise.resolve(items.map((value) => ({ status: "fulfilled" as const, value })));

describe("KeyedSerializer", () => {
  test("items queued behind a running task run as one group, at most `limit` per group", async () => {
    const serial = new KeyedSerializer();
    const first = gate();
    const groups: number[][] = [];
    const running = serial.run("room", () => first.opened);
    const sent = Array.from({ length: 7 }, (_, i) =>
      serial.runGrouped("room", "send", 3, i, (items: number[]) => {
        groups.push(items);
        return settleAll(items.map((n) => n * 10));
      }),
    );
    first.open();
    await running;
    expect(await Promise.all(sent)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(groups).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  test("a grouped item never joins a group queued before another task: it runs after that task", async () => {
    const serial = new KeyedSerializer();
    const first = gate();
    const order: string[] = [];
    const running = serial.run("room", () => first.opened);
    const grouped = (n: number) =>
      serial.runGrouped("room", "send", 10, n, (items: number[]) => {
        order.push(`send ${items.join(",")}`);
        return settleAll(items);
      });
    const done = [
      grouped(1),
      grouped(2),
      serial.run("room", async () => {
        order.push("edit");
      }),
      grouped(3),
      serial.runGrouped("room", "other", 10, 4, (items: number[]) => {
        order.push(`other ${items.join(",")}`);
        return settleAll(items);
      }),
    ];
    first.open();
    await running;
    await Promise.all(done);
    expect(order).toEqual(["send 1,2", "edit", "send 3", "other 4"]);
  });

  test("each item of a group gets its own outcome; a task that throws fails its whole group only", async () => {
    const serial = new KeyedSerializer();
    const first = gate();
    const running = serial.run("room", () => first.opened);
    const mixed = [1, 2, 3].map((n) =>
      serial.runGrouped("room", "send", 3, n, (items: number[]) =>
        Promise.resolve(
          items.map((i) =>
            i === 2
              ? { status: "rejected" as const, reason: new Error("two") }
              : { status: "fulfilled" as const, value: i },
          ),
        ),
      ),
    );
    const failing = serial.runGrouped("room", "send", 3, 4, async () => {
      throw new Error("down");
    });
    const after = serial.runGrouped("room", "other", 3, 5, (items: number[]) => settleAll(items));
    first.open();
    await running;
    expect(await Promise.allSettled(mixed)).toEqual([
      { status: "fulfilled", value: 1 },
      { status: "rejected", reason: new Error("two") },
      { status: "fulfilled", value: 3 },
    ]);
    await expect(failing).rejects.toThrow("down");
    expect(await after).toBe(5);
  });
});
