// The rules of attachment names, keys and downloads, pure: what a filename may be once sanitized,
// how blob keys are made (random, never from the filename) and checked, which types a browser may
// show inline, and the Content-Disposition header of a download (RFC 6266 with RFC 8187 filename*).

/** 32 random bytes, base64url: 43 characters of [A-Za-z0-9_-]. Nothing else is ever a key. */
export const BLOB_KEY = /^[A-Za-z0-9_-]{43}$/;

export const newBlobKey = (): string => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

export const isBlobKey = (key: string): boolean => BLOB_KEY.test(key);

/** Longest filename kept, in characters (code points), after sanitizing. */
export const MAX_FILENAME = 255;

/**
 * Image types a browser may show inline: raster formats only. SVG is not among them (it can carry
 * script); everything else downloads as `attachment`.
 */
export const INLINE_TYPES: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

// Control characters (C0, DEL, C1), bidirectional overrides and isolates (which make "evil.exe"
// read as "exe.live"), zero-width and other invisible format characters.
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/**
 * The filename as chatd keeps and shows it, or null when nothing usable is left: the last path
 * segment only (no directories: "../../x" is "x"), NFC, without control, format and bidi characters,
 * spaces collapsed and trimmed, no leading dots (no hidden files), at most MAX_FILENAME characters
 * (the extension kept when it is short).
 */
export function sanitizeFilename(raw: string): string | null {
  const last = raw.normalize("NFC").split(/[/\\]/).at(-1) ?? "";
  let name = last.replace(UNSAFE, "").replace(/\s+/gu, " ").trim().replace(/^\.+/, "").trim();
  if (name === "" || name === "." || name === "..") return null;
  const chars = [...name];
  if (chars.length > MAX_FILENAME) {
    const dot = name.lastIndexOf(".");
    const extension = dot > 0 && name.length - dot <= 16 ? [...name.slice(dot)] : [];
    name = chars.slice(0, MAX_FILENAME - extension.length).join("") + extension.join("");
  }
  return name;
}

/** Whether a download of this type is shown by the browser (inline) or saved (attachment). */
export const isInline = (contentType: string) => INLINE_TYPES.has(contentType.toLowerCase());

/**
 * The Content-Disposition of a download: `inline` for INLINE_TYPES, else `attachment`, with the
 * filename twice (RFC 6266 §4.3): `filename="..."` in plain ASCII (every other character, and quote,
 * backslash, percent and semicolon, as `_`) for old clients, and `filename*=UTF-8''...` percent-encoded (RFC 8187) with the
 * real name. The value never holds a control character, quote or line break of the filename.
 */
export function contentDisposition(filename: string, contentType: string): string {
  const type = isInline(contentType) ? "inline" : "attachment";
  const safe = sanitizeFilename(filename) ?? "download";
  const ascii = safe.replace(/[^\x20-\x7e]|["\\%;]/g, "_");
  const encoded = encodeURIComponent(safe).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
