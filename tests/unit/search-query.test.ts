// The plain-text search language: words, "phrases", prefix*, and its bounds; nothing is an operator.
import { describe, expect, test } from "bun:test";
import { AppError } from "../../src/domain/errors";
import { MAX_QUERY_LENGTH, MAX_TERMS, parseSearchQuery } from "../../src/domain/search-query";

const refused = (q: string) => {
  try {
    parseSearchQuery(q);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "validation_failed", status: 400 });
    return (error as AppError).details?.[0]?.field;
  }
  throw new Error(`accepted ${JSON.stringify(q)}`);
};

describe("search queries", () => {
  test("words, phrases and prefixes", () => {
    expect(parseSearchQuery('  rocket "launch pad"  deplo* "new depl"* ')).toEqual([
      { text: "rocket", prefix: false },
      { text: "launch pad", prefix: false },
      { text: "deplo", prefix: true },
      { text: "new depl", prefix: true },
    ]);
  });

  test("an unclosed quote runs to the end; a star inside a word is a separator", () => {
    expect(parseSearchQuery('a1 "open phrase')).toEqual([
      { text: "a1", prefix: false },
      { text: "open phrase", prefix: false },
    ]);
    expect(parseSearchQuery("fo*o")).toEqual([{ text: "fo o", prefix: false }]);
  });

  test("operators of any engine are plain words", () => {
    expect(parseSearchQuery('NOT a OR b AND -c title:x {"match_all":{}}').map((t) => t.text)).toEqual(
      ["NOT", "a", "OR", "b", "AND", "-c", "title:x", "{", "match_all", ":{}}"].filter((text) =>
        /[\p{L}\p{N}]/u.test(text),
      ),
    );
  });

  test("control characters, NUL included, separate words", () => {
    expect(parseSearchQuery("a1\u0000b2\tc3\u007f")).toEqual([
      { text: "a1", prefix: false },
      { text: "b2", prefix: false },
      { text: "c3", prefix: false },
    ]);
    expect(parseSearchQuery('"x1\u0000y2"')).toEqual([{ text: "x1 y2", prefix: false }]);
  });

  test("terms without a letter or digit match nothing and are dropped; duplicates are dropped", () => {
    expect(parseSearchQuery('*** "!!" 🎉 - ""')).toEqual([]);
    expect(parseSearchQuery("Rocket rocket ROCKET rocket*")).toEqual([
      { text: "Rocket", prefix: false },
      { text: "rocket", prefix: true },
    ]);
  });

  test("empty, too long, too many terms, short prefixes and broken Unicode are refused with 400", () => {
    expect(refused("")).toBe("q");
    expect(refused("   ")).toBe("q");
    expect(refused("x".repeat(MAX_QUERY_LENGTH + 1))).toBe("q");
    parseSearchQuery("x".repeat(MAX_QUERY_LENGTH));
    expect(refused(Array.from({ length: MAX_TERMS + 1 }, (_, i) => `w${i}`).join(" "))).toBe("q");
    parseSearchQuery(Array.from({ length: MAX_TERMS }, (_, i) => `w${i}`).join(" "));
    expect(refused("a*")).toBe("q");
    expect(refused('"big a"*')).toBe("q");
    expect(refused("bad \ud800 surrogate")).toBe("q");
  });
});
