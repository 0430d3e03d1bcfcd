// The OpenSearch connection: the client, the two indices chatd uses (created at start when missing)
// and the one boundary that turns the client's failures into catalog errors.
import { Client, errors } from "@opensearch-project/opensearch";
import { AppError, unavailable } from "../../domain/errors";

export type OpenSearchSettings = {
  /** Node URLs (`http(s)://[user:pass@]host:port`). */
  urls: string[];
  /** Index names start with it: `<prefix>-messages`, `<prefix>-search-state`. */
  indexPrefix: string;
  /** Per request; past it the call fails with `unavailable`. */
  timeoutMs: number;
};

/**
 * Messages: one document per message id, its external version the room position of the event that
 * produced its state (ports/search.ts). `content` uses the standard analyzer (lowercased words; accents
 * are kept, as in the SQLite index). Replicas expand to 1 once a second node joins.
 */
const MESSAGES = {
  settings: { number_of_shards: 1, auto_expand_replicas: "0-1" },
  mappings: {
    dynamic: "strict",
    properties: {
      room_id: { type: "keyword" },
      sort_key: { type: "keyword" },
      deleted: { type: "boolean" },
      author_id: { type: "keyword" },
      created_at: { type: "date", format: "epoch_millis" },
      edited_at: { type: "long" },
      content: { type: "text", analyzer: "standard" },
    },
  },
};

/**
 * State: `room:<id>` documents (position as external version, deleted) and the `watermark` document
 * (its value as external version, so it only moves forward).
 */
const STATE = {
  settings: { number_of_shards: 1, auto_expand_replicas: "0-1" },
  mappings: {
    dynamic: "strict",
    properties: { position: { type: "long" }, deleted: { type: "boolean" }, value: { type: "long" } },
  },
};

export class OpenSearchLink {
  readonly client: Client;
  readonly messages: string;
  readonly state: string;

  constructor(settings: OpenSearchSettings) {
    this.client = new Client({
      node: settings.urls,
      requestTimeout: settings.timeoutMs,
      pingTimeout: settings.timeoutMs,
      maxRetries: 1,
      // Bun has no node:http keep-alive agent quirks to work around; the client's defaults are fine.
    });
    this.messages = `${settings.indexPrefix}-messages`;
    this.state = `${settings.indexPrefix}-search-state`;
  }

  /** Runs a client call; connection failures, timeouts, 429 and 5xx become `unavailable`. */
  async call<T>(work: (client: Client) => Promise<T>): Promise<T> {
    try {
      return await work(this.client);
    } catch (error) {
      throw translate(error);
    }
  }

  /** Creates the indices that are missing (idempotent, also when several processes start at once). */
  async ensureIndices() {
    for (const [index, body] of [
      [this.messages, MESSAGES],
      [this.state, STATE],
    ] as const) {
      const exists = await this.call((c) => c.indices.exists({ index }));
      if (exists.body) continue;
      try {
        await this.client.indices.create({ index, body: body as Record<string, unknown> });
      } catch (error) {
        if (errorType(error) === "resource_already_exists_exception") continue;
        throw translate(error);
      }
    }
  }

  async close() {
    await this.client.close();
  }
}

/** The `error.type` of an OpenSearch error response, if it is one. */
export const errorType = (error: unknown): string | undefined =>
  error instanceof errors.ResponseError ? (error.body as { error?: { type?: string } })?.error?.type : undefined;

export function translate(error: unknown): AppError | Error {
  if (error instanceof AppError) return error;
  if (
    error instanceof errors.ConnectionError ||
    error instanceof errors.TimeoutError ||
    error instanceof errors.NoLivingConnectionsError
  )
    return unavailable("search", error);
  if (error instanceof errors.ResponseError && (error.statusCode === 429 || error.statusCode >= 500))
    return unavailable("search", error);
  return error instanceof Error ? error : new Error(String(error));
}
