// The one redaction rule for everything chatd writes about itself (log lines, config errors): secrets
// and personal data never leave the process in text.
//
// Keys: a field whose name is, or contains the word, password / passwd / pass / secret / token /
// authorization / cookie / email (and plurals) / jwt / credential(s) / apikey, or is exactly to / cc / bcc, has its
// value replaced (booleans and null are kept: `email_verified: true` says nothing about anyone).
// Text (every string, under any key, the message included): URLs lose their query string and userinfo,
// `Bearer <token>` and JWT-shaped strings lose the token, email addresses are replaced.

export const REDACTED = "[redacted]";

const SENSITIVE_WORDS = new Set([
  "password",
  "passwords",
  "passwd",
  "pass",
  "secret",
  "secrets",
  "token",
  "tokens",
  "authorization",
  "cookie",
  "cookies",
  "email",
  "emails",
  "jwt",
  "credential",
  "credentials",
  "apikey",
]);
const SENSITIVE_KEYS = new Set(["to", "cc", "bcc"]);

/** Words of a key in any spelling: snake_case, kebab-case, camelCase, dotted. */
const words = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

export function isSensitiveKey(key: string): boolean {
  const lower = key.toLowerCase();
  if (SENSITIVE_KEYS.has(lower) || SENSITIVE_WORDS.has(lower)) return true;
  return words(key).some((word) => SENSITIVE_WORDS.has(word));
}

// scheme://[userinfo@]rest-of-url, where the URL ends at whitespace, a quote or an angle bracket.
const URL_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s"'<>]*)/gi;
// A path standing alone with a query (`/v1/ws?token=...`), at the start of the text or after a space.
const PATH_QUERY = /(^|\s)(\/[^\s?#"'<>]*)\?[^\s#"'<>]*/g;
const BEARER = /\b(Bearer|Basic)\s+[\w.~+/=-]+/gi;
const JWT = /\beyJ[\w-]*\.[\w-]+\.[\w-]*/g;
const EMAIL = /[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+/gi;

function redactUrl(_match: string, scheme: string, rest: string): string {
  let tail = rest;
  const at = tail.search(/[/?#]/);
  const authority = at === -1 ? tail : tail.slice(0, at);
  if (authority.includes("@")) tail = `${REDACTED}@${tail.slice(authority.lastIndexOf("@") + 1)}`;
  const query = tail.indexOf("?");
  if (query !== -1) {
    const hash = tail.indexOf("#", query);
    tail = tail.slice(0, query) + (hash === -1 ? "" : tail.slice(hash));
  }
  return scheme + tail;
}

/** Text with URL queries and userinfo, bearer tokens, JWTs and email addresses taken out. */
export function redactText(text: string): string {
  if (text.length === 0) return text;
  return text
    .replace(URL_PATTERN, redactUrl)
    .replace(PATH_QUERY, "$1$2")
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(EMAIL, "[redacted email]");
}

/**
 * A JSON.stringify replacer applying the rule to every key and string of a log line. Errors become
 * `{name, message, stack}` (redacted like any text).
 */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== "" && value !== null && value !== undefined && typeof value !== "boolean" && isSensitiveKey(key))
    return REDACTED;
  if (typeof value === "string") return redactText(value);
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}
