// The OpenSearch search request for a SearchQuery: a bool query of match_phrase / match_phrase_prefix
// clauses built from the parsed terms (user text is only ever a clause's `query` string, analyzed like
// the content; never query syntax), filtered to the caller's rooms and live documents, newest first
// by sort key with search_after as the cursor, highlighted with the shared markers.
import type { API } from "@opensearch-project/opensearch";
import { messageSortKey } from "../../domain/ids";
import type { QueryTerm, SearchQuery } from "../../ports/search";
import { MARK_CLOSE, MARK_OPEN, MAX_FRAGMENTS } from "../shared";

/** How many indexed words one prefix may stand for (OpenSearch's own default). */
const PREFIX_EXPANSIONS = 50;
/** Room ids per terms filter: below OpenSearch's index.max_terms_count (65,536). */
const TERMS_PER_FILTER = 50_000;

/** The caller's rooms as a filter: one terms clause, or a should of several for a user in very many rooms. */
function roomFilter(roomIds: string[]) {
  if (roomIds.length <= TERMS_PER_FILTER) return { terms: { room_id: roomIds } };
  const chunks = [];
  for (let i = 0; i < roomIds.length; i += TERMS_PER_FILTER)
    chunks.push({ terms: { room_id: roomIds.slice(i, i + TERMS_PER_FILTER) } });
  return { bool: { should: chunks, minimum_should_match: 1 } };
}

const clause = (term: QueryTerm) =>
  term.prefix
    ? { match_phrase_prefix: { content: { query: term.text, max_expansions: PREFIX_EXPANSIONS } } }
    : { match_phrase: { content: { query: term.text } } };

export function searchBody(query: SearchQuery): API.Search_RequestBody {
  return {
    size: query.limit,
    track_total_hits: false,
    _source: ["room_id", "edited_at"],
    sort: [{ sort_key: "desc" }],
    ...(query.before ? { search_after: [messageSortKey(query.before)] } : {}),
    query: {
      bool: {
        must: query.terms.map(clause),
        filter: [roomFilter(query.roomIds), { term: { deleted: false } }],
      },
    },
    highlight: {
      pre_tags: [MARK_OPEN],
      post_tags: [MARK_CLOSE],
      fields: { content: { number_of_fragments: MAX_FRAGMENTS, fragment_size: 150, no_match_size: 0 } },
    },
  };
}
