// Helpers both search adapters share: the highlight markers their engines put around matches, and
// turning an engine's marked fragment into the port's bounded, HTML-escaped `<mark>` fragment.

/**
 * What the engines are asked to put around a matched token: two Unicode noncharacters, which are
 * removed from content before it is indexed (indexableContent), so a marker in a fragment is always
 * the engine's.
 */
export const MARK_OPEN = "\uFDD0";
export const MARK_CLOSE = "\uFDD1";

/** Most visible characters (code units) of one fragment; past that it is cut and ends with "…". */
export const MAX_FRAGMENT = 300;
/** Most fragments per hit. */
export const MAX_FRAGMENTS = 3;

/** The content as the engines index it: without the marker characters. */
export const indexableContent = (content: string) => content.replaceAll(MARK_OPEN, "").replaceAll(MARK_CLOSE, "");

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => ESCAPES[char] as string);

/** Context kept before the first match of a fragment whose start is cut. */
const LEAD = 80;

/**
 * A fragment with the engine's markers → HTML-escaped text with `<mark>…</mark>` around each match,
 * at most MAX_FRAGMENT visible characters: a long lead before the first match keeps only its last
 * LEAD characters ("…" first), and what does not fit after that is cut ("…" last). Never cuts inside
 * a surrogate pair or a mark's tags, and never leaves an empty mark.
 */
export function renderFragment(marked: string): string {
  const pieces: { text: string; mark: boolean }[] = [];
  let mark = false;
  for (const piece of marked.split(/([\uFDD0\uFDD1])/u)) {
    if (piece === MARK_OPEN || piece === MARK_CLOSE) mark = piece === MARK_OPEN;
    else if (piece !== "") pieces.push({ text: piece, mark });
  }
  const lead = pieces[0];
  if (lead && !lead.mark && pieces.length > 1 && lead.text.length > LEAD) {
    let from = lead.text.length - LEAD;
    if (isLowSurrogate(lead.text.charCodeAt(from))) from++;
    lead.text = `…${lead.text.slice(from)}`;
  }
  let out = "";
  let budget = MAX_FRAGMENT;
  for (const piece of pieces) {
    if (budget <= 0) break;
    let text = piece.text;
    if (text.length > budget) {
      let cut = budget;
      if (isLowSurrogate(text.charCodeAt(cut))) cut--;
      text = `${text.slice(0, cut)}…`;
    }
    budget -= text.length;
    out += piece.mark ? `<mark>${escapeHtml(text)}</mark>` : escapeHtml(text);
  }
  return out;
}

const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;
