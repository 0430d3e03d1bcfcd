// Search benchmark: documents indexed per second through the real Indexer (in-process event stream →
// Indexer → SearchIndex) and search latency (p50/p95/p99 of SearchIndex.search) over a corpus of
// --messages messages (default 100,000) in --rooms rooms, on each adapter: SQLite FTS5 and OpenSearch
// (--opensearch URL, default http://127.0.0.1:9200, e.g. from scripts/services/opensearch start).
// Also what the indexer's feed adds to every durable event: one awaited stream append (in-process and,
// with --nats URL, JetStream). Targets 127.0.0.1 only; bounded by its options; cleans up after itself.
//
//   bun bench/search.ts [--messages 100000] [--rooms 1000] [--queries 1000] [--member-of 50]
//                       [--adapters sqlite,opensearch] [--nats nats://127.0.0.1:4222]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryEventStream } from "../src/bus/memory";
import { JetStreamEventStream } from "../src/bus/nats";
import { encodeEvent, STREAM_SUBJECTS } from "../src/domain/events";
import { MessageIdGenerator } from "../src/domain/ids";
import { Indexer } from "../src/domain/indexer";
import { parseSearchQuery } from "../src/domain/search-query";
import type { MessageView } from "../src/domain/views";
import { createLogger } from "../src/log";
import type { SearchIndex } from "../src/ports/search";
import type { EventStream } from "../src/ports/stream";
import { OpenSearchIndex } from "../src/search/opensearch";
import { SqliteSearchIndex } from "../src/search/sqlite";
import { SqliteStore } from "../src/store/sqlite";
import { parseArgs } from "./lib/args";
import { Histogram, summarize } from "./lib/stats";

const options = parseArgs("search", {
  messages: { default: 100_000, min: 1000, max: 1_000_000, help: "messages in the corpus" },
  rooms: { default: 1000, min: 1, max: 100_000, help: "rooms the corpus is spread over" },
  queries: { default: 1000, min: 10, max: 100_000, help: "searches timed per adapter" },
  memberOf: { default: 50, min: 1, max: 10_000, help: "rooms the searching user belongs to" },
  adapters: { default: "sqlite,opensearch", help: "which adapters, comma-separated" },
  opensearch: { default: "http://127.0.0.1:9200", help: "OpenSearch URL (loopback)" },
  nats: { default: "", help: "NATS URL (loopback) to time JetStream appends too; empty: skip" },
  appends: { default: 2000, min: 100, max: 100_000, help: "appends timed per stream" },
});
for (const url of [options.opensearch, options.nats].filter(Boolean))
  if (!/^[a-z]+:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(url)) throw new Error(`${url}: loopback only`);

const log = createLogger("warn");
const deadline = Date.now() + 30 * 60_000;

// A Zipf-like vocabulary: a few common words, a long tail of rare ones.
const VOCABULARY = Array.from(
  { length: 20_000 },
  (_, i) => `${["lo", "ka", "mi", "ru", "te"][i % 5]}${i.toString(36)}`,
);
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const zipf = () => VOCABULARY[Math.min(VOCABULARY.length - 1, Math.floor(VOCABULARY.length ** random()) - 1)] as string;
const sentence = () => Array.from({ length: 5 + Math.floor(random() * 20) }, zipf).join(" ");

const roomIds = Array.from({ length: options.rooms }, () => Bun.randomUUIDv7());
const ids = new MessageIdGenerator();

/** The corpus as the stream carries it: message.created events, positions 1.. per room. */
function* corpus() {
  const positions = new Map<string, number>();
  for (let i = 0; i < options.messages; i++) {
    const room = roomIds[i % roomIds.length] as string;
    const seq = (positions.get(room) ?? 0) + 1;
    positions.set(room, seq);
    const message: MessageView = {
      id: ids.next(),
      seq,
      room_id: room,
      author_id: "00000000-0000-4000-8000-000000000001",
      author_username: "bench",
      content: sentence(),
      created_at: new Date().toISOString(),
      edited_at: null,
      deleted: false,
      reply_to: null,
      thread_root: null,
      thread: null,
      mentions: [],
      attachments: [],
      reactions: [],
      client_id: null,
    };
    yield { room, seq, data: encodeEvent({ type: "message.created", room_id: room, message, seq }).data };
  }
}

async function indexCorpus(index: SearchIndex, store: SqliteStore) {
  const stream = new MemoryEventStream({ subjects: STREAM_SUBJECTS, maxMessages: options.messages + 10, log });
  const started = performance.now();
  for (const { room, seq, data } of corpus())
    await stream.append(`chat.events.${room}`, data, { msgId: `${room}:${seq}` });
  const indexer = new Indexer({ stream, index, store, log });
  const indexing = performance.now();
  await indexer.start();
  // Caught up: the watermark moved past the last append (the indexer sets it only once lag is 0).
  const appendedAt = Date.now();
  for (;;) {
    await indexer.tick();
    const w = await index.watermark();
    if (w && w.getTime() >= appendedAt - 1000 - 1) break;
    if (Date.now() > deadline) throw new Error("indexing did not finish in time");
    await Bun.sleep(20);
  }
  const seconds = (performance.now() - indexing) / 1000;
  await indexer.stop();
  await stream.close();
  return { seconds, docsPerSecond: Math.round(options.messages / seconds), generated: (indexing - started) / 1000 };
}

async function timeSearches(index: SearchIndex) {
  const kinds = {
    common: () => zipf(),
    rare: () => VOCABULARY[Math.floor(random() * VOCABULARY.length)] as string,
    two_words: () => `${zipf()} ${zipf()}`,
    phrase: () => `"${zipf()} ${zipf()}"`,
    prefix: () => `${zipf().slice(0, 3)}*`,
  };
  const results: Record<string, ReturnType<typeof summarize> & { hits: number }> = {};
  const all = new Histogram();
  for (const [kind, make] of Object.entries(kinds)) {
    const h = new Histogram();
    let hits = 0;
    for (let i = 0; i < options.queries / Object.keys(kinds).length; i++) {
      const start = Math.floor(random() * (roomIds.length - options.memberOf + 1));
      const rooms = roomIds.slice(start, start + options.memberOf);
      const terms = parseSearchQuery(make());
      const t0 = performance.now();
      hits += (await index.search({ terms, roomIds: rooms, limit: 50 })).length;
      const ms = performance.now() - t0;
      h.record(ms);
      all.record(ms);
    }
    results[kind] = { ...summarize(h), hits };
  }
  return { all: summarize(all), byKind: results };
}

async function timeAppends(stream: EventStream, name: string) {
  const h = new Histogram();
  const data = new TextEncoder().encode(JSON.stringify({ type: "message.created", padding: "x".repeat(400) }));
  for (let i = 0; i < options.appends; i++) {
    const t0 = performance.now();
    await stream.append(`chat.events.bench${i % 10}`, data, { msgId: crypto.randomUUID() });
    h.record(performance.now() - t0);
  }
  const s = summarize(h);
  console.log(`stream append (${name}): p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms`);
  return s;
}

const dir = await mkdtemp(join(tmpdir(), "chatd-bench-search-"));
const report: Record<string, unknown> = { options, at: new Date().toISOString() };
try {
  for (const adapter of options.adapters.split(",").map((a) => a.trim())) {
    const path = join(dir, `${adapter}.sqlite`);
    const store = new SqliteStore(path);
    await store.migrate();
    const prefix = `bench${Date.now().toString(36)}`;
    const index: SearchIndex =
      adapter === "sqlite"
        ? new SqliteSearchIndex(path)
        : await OpenSearchIndex.open({ urls: [options.opensearch], indexPrefix: prefix, timeoutMs: 60_000 });
    try {
      console.log(`${adapter}: indexing ${options.messages} messages in ${options.rooms} rooms…`);
      const indexing = await indexCorpus(index, store);
      console.log(`${adapter}: ${indexing.docsPerSecond} documents/s (${indexing.seconds.toFixed(1)} s)`);
      const searches = await timeSearches(index);
      const a = searches.all;
      console.log(
        `${adapter}: search over ${options.memberOf} rooms, ${a.count} queries: p50 ${a.p50.toFixed(2)} / p95 ${a.p95.toFixed(2)} / p99 ${a.p99.toFixed(2)} ms`,
      );
      for (const [kind, s] of Object.entries(searches.byKind))
        console.log(
          `  ${kind.padEnd(10)} p50 ${s.p50.toFixed(2)} / p95 ${s.p95.toFixed(2)} / p99 ${s.p99.toFixed(2)} ms, ${s.hits} hits`,
        );
      report[adapter] = { indexing, searches };
    } finally {
      if (adapter !== "sqlite") {
        for (const name of ["messages", "search-state"])
          await fetch(`${options.opensearch}/${prefix}-${name}`, { method: "DELETE" }).catch(() => {});
      }
      await index.close();
      await store.close();
    }
  }
  const memory = new MemoryEventStream({ subjects: STREAM_SUBJECTS, log });
  report.appendMemory = await timeAppends(memory, "in-process");
  await memory.close();
  if (options.nats) {
    const stream = `BENCH_${Date.now().toString(36)}`;
    const js = await JetStreamEventStream.open(
      { urls: [options.nats], name: "chatd-bench" },
      { stream, subjects: STREAM_SUBJECTS, maxAgeMs: 3_600_000, maxBytes: 256 * 1_048_576, replicas: 1, log },
    );
    try {
      report.appendJetStream = await timeAppends(js, "JetStream");
    } finally {
      await js.close();
      const { connect } = await import("@nats-io/transport-node");
      const { jetstreamManager } = await import("@nats-io/jetstream");
      const nc = await connect({ servers: options.nats });
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
      await nc.close();
    }
  }
  const out = join(import.meta.dir, "results", `search-${Date.now()}.json`);
  await Bun.write(out, JSON.stringify(report, null, 2));
  console.log(`written to ${out}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
