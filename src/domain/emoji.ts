// What a reaction may be: one emoji (an RGI emoji sequence, as Unicode recommends for general
// interchange: skin tones, ZWJ families, flags, keycaps) or a `:short_name:` for custom emoji.

/** Distinct reactions one message may carry (Discord's limit); others may still add existing ones. */
export const MAX_DISTINCT_REACTIONS = 20;

const RGI_EMOJI = /^\p{RGI_Emoji}$/v;
const SHORT_NAME = /^:[a-z0-9_+-]{1,32}:$/;
const EMOJI_PRESENTATION = "\ufe0f";

/**
 * The reaction's canonical form, or null when `raw` is no emoji. An emoji written without its
 * presentation selector (U+2764 for ❤️) is the same reaction as the fully qualified one, which is
 * what is stored.
 */
export function canonicalEmoji(raw: string): string | null {
  if (raw.length > 64) return null;
  if (SHORT_NAME.test(raw) || RGI_EMOJI.test(raw)) return raw;
  const qualified = raw + EMOJI_PRESENTATION;
  return RGI_EMOJI.test(qualified) ? qualified : null;
}
