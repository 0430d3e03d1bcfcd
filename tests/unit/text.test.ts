// The visible-text rules on their own: trimming, visibility, names, length in code points.
import { describe, expect, test } from "bun:test";
import { codePoints, optionalText, trimInvisible, visibleText } from "../../src/domain/text";

const content = { field: "content", max: 10 };
const name = { field: "name", max: 10, name: true };

describe("trimInvisible", () => {
  test("drops whitespace and invisible characters at both ends, nothing inside", () => {
    expect(trimInvisible("\u200b \ufeff a \u200b b \u2060\u00ad\u3164 ")).toBe("a \u200b b");
    expect(trimInvisible("\ufe0f\u{e0067}x")).toBe("x");
    expect(trimInvisible("")).toBe("");
    expect(trimInvisible("\u200b\u200b")).toBe("");
  });

  test("keeps the variation selector and tag sequence that end an emoji", () => {
    expect(trimInvisible("❤️ ")).toBe("❤️");
    expect(trimInvisible(" 🏴󠁧󠁢󠁥󠁮󠁧󠁿")).toBe("🏴󠁧󠁢󠁥󠁮󠁧󠁿");
    expect(trimInvisible("👍🏽\u200b")).toBe("👍🏽");
  });
});

describe("visibleText", () => {
  test("refuses text with nothing visible, naming the field", () => {
    for (const raw of ["", " ", "\u200b\u200c\u200d", "\u2800", "\ufe0f\ufe0f", "\u{e0020}", "\u0000\u0001"]) {
      expect(() => visibleText(raw, content)).toThrow(expect.objectContaining({ code: "validation_failed" }));
    }
    expect(visibleText(" \u200bhé\u200b ", content)).toBe("hé");
  });

  test("counts code points after trimming", () => {
    expect(visibleText(`  ${"🎉".repeat(10)}  `, content)).toBe("🎉".repeat(10));
    expect(() => visibleText("x".repeat(11), content)).toThrow(
      expect.objectContaining({ details: [expect.objectContaining({ field: "content", reason: "too_long" })] }),
    );
    expect(codePoints("a🎉b")).toBe(3);
    expect(codePoints("\ud800")).toBe(1);
  });

  test("refuses ill-formed text", () => {
    expect(() => visibleText("a\ud800", content)).toThrow(expect.objectContaining({ code: "validation_failed" }));
  });

  test("names refuse bidi controls anywhere and control characters inside", () => {
    for (const raw of ["a\u202eb", "\u202ab", "ab\u200f", "\u2066x\u2069", "a\u061cb", "a\nb", "a\tb"]) {
      expect(() => visibleText(raw, name)).toThrow(expect.objectContaining({ code: "validation_failed" }));
    }
    expect(visibleText("a\u202eb", content)).toBe("a\u202eb");
    expect(visibleText(" room \n", name)).toBe("room");
  });

  test("optional text: null and undefined pass, nothing visible clears", () => {
    expect(optionalText(undefined, content)).toBeUndefined();
    expect(optionalText(null, content)).toBeNull();
    expect(optionalText(" \u200b ", content)).toBeNull();
    expect(optionalText(" ok ", content)).toBe("ok");
  });
});
