// Message ids: UUIDv1 layout, strictly increasing per generator, sortable and dated.
import { expect, test } from "bun:test";
import {
  compareMessageIds,
  isMessageId,
  MessageIdGenerator,
  messageIdTime,
  messageSortKey,
} from "../../src/domain/ids";

test("ids are version-1 UUIDs carrying their creation time", () => {
  const now = Date.UTC(2026, 10, 20, 12, 0, 0, 123);
  const id = new MessageIdGenerator().next(now);
  expect(isMessageId(id)).toBe(true);
  expect(id[19]).toMatch(/[89ab]/);
  expect(messageIdTime(id).getTime()).toBe(now);
});

test("ids from one generator strictly increase, also within one millisecond and when the clock steps back", () => {
  const gen = new MessageIdGenerator();
  const ids = [gen.next(1000), gen.next(1000), gen.next(1000), gen.next(999), gen.next(2000)];
  for (let i = 1; i < ids.length; i++) expect(compareMessageIds(ids[i - 1]!, ids[i]!)).toBe(-1);
  expect([...ids].reverse().sort(compareMessageIds)).toEqual(ids);
});

test("the sort key orders ids by time across generators", () => {
  const [a, b] = [new MessageIdGenerator(), new MessageIdGenerator()];
  const ids = [a.next(5000), b.next(5001), a.next(1_700_000_000_000), b.next(1_700_000_000_001)];
  const keys = ids.map(messageSortKey);
  expect([...keys].sort()).toEqual(keys);
});
