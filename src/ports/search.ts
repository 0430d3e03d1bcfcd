// The full-text search port (SQLite FTS5 embedded, OpenSearch in production). Adapters arrive with the
// search feature; the shape is fixed here so the core can depend on it.

export type SearchDocument = {
  messageId: string;
  roomId: string;
  authorId: string;
  content: string;
  createdAt: Date;
};

export type SearchQuery = { text: string; roomIds: string[]; limit: number };

export interface SearchIndex {
  /** Inserts or replaces documents by message id. */
  upsert(documents: SearchDocument[]): Promise<void>;
  remove(messageIds: string[]): Promise<void>;
  /** Message ids, best match first, only from `roomIds`. */
  search(query: SearchQuery): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
