// Plain-text search queries: what a user types into a search box, parsed into a small, bounded list
// of terms (ports/search.ts QueryTerm) that each adapter renders in its own engine's terms. User text
// never reaches an engine as query syntax: FTS5 gets every term quoted, OpenSearch gets match_phrase
// clauses built from the terms.
//
// The language: words separated by whitespace; "a quoted phrase" (an unclosed quote runs to the end);
// a word or phrase directly followed by `*` matches its last word as a prefix (`deplo*`, `"new
// depl"*`). Every term must match. Nothing else is an operator: `OR`, `-x`, `title:x`, `(`, JSON or
// FTS5 syntax are words like any other (their punctuation splits words, as it does in the content).
import type { QueryTerm } from "../ports/search";
import { validationFailed } from "./errors";
import { codePoints } from "./text";

/** Longest query, in characters (code points) after trimming. */
export const MAX_QUERY_LENGTH = 256;
/** Most terms in one query. */
export const MAX_TERMS = 16;
/** Letters or digits a prefix needs before its `*`. */
export const MIN_PREFIX = 2;

const WORD_CHAR = /[\p{L}\p{N}]/u;
const LAST_WORD = /[\p{L}\p{N}\p{M}]+$/u;

const invalid = (message: string) => validationFailed(message, [{ field: "q", message }]);

/**
 * The terms of a query, at most MAX_TERMS, duplicates removed. Terms without a letter or digit (`***`,
 * `"!!"`, an emoji) match nothing anywhere and are dropped, so the result may be empty: the search then
 * finds nothing. Throws validation_failed for an empty or too long query, too many terms, a prefix
 * shorter than MIN_PREFIX, or text that is not well-formed Unicode.
 */
export function parseSearchQuery(raw: string): QueryTerm[] {
  if (!raw.isWellFormed()) throw invalid("q is not well-formed Unicode");
  // Control characters (NUL included: it would end an engine's C string) separate words, as in content.
  const text = raw
    .normalize("NFC")
    .replace(/\p{Cc}/gu, " ")
    .trim();
  if (text === "") throw invalid("q must not be empty");
  if (codePoints(text) > MAX_QUERY_LENGTH) throw invalid(`q is longer than ${MAX_QUERY_LENGTH} characters`);
  const terms = new Map<string, QueryTerm>();
  for (const term of split(text)) {
    const words = term.text.replaceAll("*", " ").replace(/\s+/gu, " ").trim();
    if (!WORD_CHAR.test(words)) continue;
    if (term.prefix && codePoints(LAST_WORD.exec(words)?.[0] ?? "") < MIN_PREFIX)
      throw invalid(`a prefix needs at least ${MIN_PREFIX} letters or digits before *`);
    const parsed = { text: words, prefix: term.prefix };
    const key = `${parsed.prefix ? "*" : " "}${parsed.text.toLowerCase()}`;
    if (!terms.has(key)) terms.set(key, parsed);
    if (terms.size > MAX_TERMS) throw invalid(`q has more than ${MAX_TERMS} terms`);
  }
  return [...terms.values()];
}

/** Words and phrases as typed, with whether a `*` follows each. */
function* split(text: string): Generator<QueryTerm> {
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (/\s/u.test(char)) {
      i++;
      continue;
    }
    if (char === '"') {
      const close = text.indexOf('"', i + 1);
      const end = close === -1 ? text.length : close;
      const prefix = close !== -1 && text[close + 1] === "*";
      yield { text: text.slice(i + 1, end), prefix };
      i = end + (close === -1 ? 0 : 1) + (prefix ? 1 : 0);
      continue;
    }
    let end = i;
    while (end < text.length && !/\s/u.test(text[end] as string) && text[end] !== '"') end++;
    const word = text.slice(i, end);
    const prefix = word.endsWith("*") && WORD_CHAR.test(word);
    yield { text: prefix ? word.replace(/\*+$/u, "") : word, prefix };
    i = end;
  }
}
