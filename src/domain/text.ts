// What a reader sees: the one rule set for user-written text (message content and edits, room names
// and descriptions, display names, ban reasons). Text is trimmed of whitespace and invisible characters
// at both ends, must keep at least one visible character, and is measured in code points.
import { validationFailed } from "./errors";

/**
 * Characters that render as nothing on their own: whitespace, controls, format characters (zero-width
 * spaces and joiners, bidi controls, tags...), every Default_Ignorable_Code_Point (variation selectors,
 * Hangul fillers...) and the blank Braille pattern.
 */
const INVISIBLE = /^[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]$/u;
const HAS_VISIBLE = /[^\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;
/**
 * Invisible characters that modify the character before them (variation selectors, emoji tag
 * sequences): kept at the end of a text, where they belong to its last visible character (the red
 * heart is U+2764 U+FE0F; the flag of Scotland ends with tag characters).
 */
const isModifier = (cp: number) =>
  (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0020 && cp <= 0xe007f) || (cp >= 0xe0100 && cp <= 0xe01ef);
/** Bidirectional controls: they reorder what follows them, so a name could pass for another. */
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
const CONTROL = /\p{Cc}/u;

export type TextRule = {
  /** The field errors name. */
  field: string;
  /** Most code points after trimming. */
  max: number;
  /** Names are one line: bidi controls and control characters (newlines, tabs) are refused. */
  name?: boolean;
};

/** Code points in `text` (what `[...text].length` counts: a surrogate pair is one), without an array. */
export function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++, count++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return count;
}

/** The code point starting at `i` and its length in UTF-16 units. */
const at = (text: string, i: number) => {
  const cp = text.codePointAt(i)!;
  return { char: String.fromCodePoint(cp), size: cp > 0xffff ? 2 : 1 };
};

/** The code point ending just before `end` and its length. */
const before = (text: string, end: number) => {
  const low = text.charCodeAt(end - 1);
  const high = end >= 2 ? text.charCodeAt(end - 2) : 0;
  const size = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? 2 : 1;
  return { char: text.slice(end - size, end), size };
};

/** Drops invisible characters at the start, and at the end all but modifiers. Linear in what it drops. */
export function trimInvisible(text: string): string {
  let start = 0;
  while (start < text.length) {
    const { char, size } = at(text, start);
    if (!INVISIBLE.test(char)) break;
    start += size;
  }
  let end = text.length;
  while (end > start) {
    const { char, size } = before(text, end);
    if (!INVISIBLE.test(char) || isModifier(char.codePointAt(0)!)) break;
    end -= size;
  }
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

const refuse = (rule: TextRule, message: string, reason?: string) =>
  validationFailed(`${rule.field} ${message}`, [{ field: rule.field, message, ...(reason ? { reason } : {}) }]);

/**
 * The text trimmed, when it has a visible character and at most `rule.max` code points; throws
 * `validation_failed` naming the field otherwise (reason "too_long" for the length), and for text that
 * is not well-formed Unicode (a lone surrogate) or, in names, has a bidi control anywhere or a control
 * character (newline, tab...) inside.
 */
export function visibleText(raw: string, rule: TextRule): string {
  if (!raw.isWellFormed()) throw refuse(rule, "must be valid Unicode text");
  // Checked before trimming: a name that arrives with bidi controls is refused, not quietly repaired.
  if (rule.name && BIDI_CONTROL.test(raw)) throw refuse(rule, "must not contain bidirectional control characters");
  const text = trimInvisible(raw);
  if (!HAS_VISIBLE.test(text)) throw refuse(rule, "must contain at least one visible character");
  // A string has at most as many code points as UTF-16 units: count them only when that can matter.
  if (text.length > rule.max && codePoints(text) > rule.max)
    throw refuse(rule, `must be at most ${rule.max} characters`, "too_long");
  if (rule.name && CONTROL.test(text)) throw refuse(rule, "must be one line without control characters");
  return text;
}

/** Optional free text: undefined and null pass through; text with nothing visible is null (cleared). */
export function optionalText(raw: string | null | undefined, rule: TextRule): string | null | undefined {
  if (raw === undefined || raw === null) return raw;
  if (raw.isWellFormed() && !HAS_VISIBLE.test(raw)) return null;
  return visibleText(raw, rule);
}
