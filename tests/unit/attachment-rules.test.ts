// The pure rules of attachments: sanitized filenames, random keys of one strict shape, which types
// show inline, and a Content-Disposition that carries any filename safely.
import { describe, expect, test } from "bun:test";
import {
  contentDisposition,
  isBlobKey,
  isInline,
  MAX_FILENAME,
  newBlobKey,
  sanitizeFilename,
} from "../../src/domain/attachment-rules";

describe("filenames", () => {
  test("only the last path segment is kept, without control, format or bidi characters", () => {
    expect(sanitizeFilename("../../etc/passwd")).toBe("passwd");
    expect(sanitizeFilename("C:\\Users\\ana\\report.pdf")).toBe("report.pdf");
    expect(sanitizeFilename("a\u0000b\u0007c\u001b.txt")).toBe("abc.txt");
    expect(sanitizeFilename("invoice\u202Efdp.exe")).toBe("invoicefdp.exe");
    expect(sanitizeFilename("zero\u200Bwidth.png")).toBe("zerowidth.png");
    expect(sanitizeFilename("  many   spaces \t here.txt  ")).toBe("many spaces here.txt");
    expect(sanitizeFilename("line\r\nbreak.txt")).toBe("linebreak.txt");
  });

  test("nothing usable is null; hidden-file dots are dropped", () => {
    for (const raw of ["", "   ", ".", "..", "../..", "/", "\u0000", "\u202E"])
      expect(sanitizeFilename(raw)).toBeNull();
    expect(sanitizeFilename(".bashrc")).toBe("bashrc");
  });

  test("names are NFC and at most 255 characters, the extension kept", () => {
    expect(sanitizeFilename("e\u0301.txt")).toBe("\u00e9.txt");
    const long = sanitizeFilename(`${"é".repeat(400)}.jpeg`)!;
    expect([...long].length).toBe(MAX_FILENAME);
    expect(long.endsWith(".jpeg")).toBe(true);
  });
});

describe("keys", () => {
  test("keys are 256 random bits in one strict shape", () => {
    const keys = new Set(Array.from({ length: 1000 }, newBlobKey));
    expect(keys.size).toBe(1000);
    for (const key of keys) expect(isBlobKey(key)).toBe(true);
    for (const bad of ["", "../x", "a".repeat(42), "a".repeat(44), `${"a".repeat(42)}/`, `${"a".repeat(42)}.`])
      expect(isBlobKey(bad)).toBe(false);
  });
});

describe("content disposition", () => {
  test("raster images on the allow list are inline; SVG and everything else are attachments", () => {
    for (const type of ["image/png", "image/jpeg", "image/gif", "image/webp", "IMAGE/PNG"])
      expect(isInline(type)).toBe(true);
    for (const type of ["image/svg+xml", "text/html", "application/pdf", "text/plain"])
      expect(isInline(type)).toBe(false);
    expect(contentDisposition("a.svg", "image/svg+xml")).toStartWith("attachment;");
    expect(contentDisposition("a.png", "image/png")).toStartWith("inline;");
  });

  test("the filename is there twice: plain ASCII, and exactly in UTF-8 (RFC 8187)", () => {
    expect(contentDisposition("naïve résumé.pdf", "application/pdf")).toBe(
      `attachment; filename="na_ve r_sum_.pdf"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf`,
    );
    expect(contentDisposition('say "hi"; 100%.txt', "text/plain")).toBe(
      `attachment; filename="say _hi__ 100_.txt"; filename*=UTF-8''say%20%22hi%22%3B%20100%25.txt`,
    );
    expect(contentDisposition("it's (1).txt", "text/plain")).toBe(
      `attachment; filename="it's (1).txt"; filename*=UTF-8''it%27s%20%281%29.txt`,
    );
  });

  test("no filename can break the header: no line breaks, quotes or semicolons escape", () => {
    for (const name of ['x"; filename="evil.exe', "a\r\nSet-Cookie: x=1", "\u0000\u0085\u2028"]) {
      // One quoted ASCII string and one RFC 8187 value, nothing else.
      expect(contentDisposition(name, "text/plain")).toMatch(
        /^attachment; filename="[\x20\x23-\x3a\x3c-\x5b\x5d-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%!#$&+.^_`|~-]*$/,
      );
    }
    expect(contentDisposition("...", "text/plain")).toContain('filename="download"');
  });
});
