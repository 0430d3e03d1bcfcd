// The same-work baseline: raw Bun doing what chatd's message routes do at the least, on the same URLs,
// so the http scenario compares like with like. `GET /v1/rooms/{id}/messages?limit=N`: check an HS256
// access token, one prepared bun:sqlite query for N + 1 rows, the same message objects chatd answers
// with, Response.json. `POST /v1/rooms/{id}/messages` `{content}`: the token, the JSON body, one
// IMMEDIATE transaction that moves the room's head and inserts the message at it, Response.json 201.
// No membership check, no rate limit, no event: the physical limit for this work on this machine.
import { Database } from "bun:sqlite";
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Row = {
  id: string;
  position: number;
  room_id: string;
  author_id: string;
  author_username: string;
  content: string;
  created_at: number;
  edited_at: number | null;
  deleted: number;
  reply_to: string | null;
  client_id: string | null;
};

const COLUMNS =
  "id, position, room_id, author_id, author_username, content, created_at, edited_at, deleted, reply_to, client_id";

/** The message object of chatd's contract (reactions and attachments empty: the bench adds none). */
const view = (row: Row) => ({
  id: row.id,
  seq: row.position,
  room_id: row.room_id,
  author_id: row.author_id,
  author_username: row.author_username,
  content: row.content,
  created_at: new Date(row.created_at).toISOString(),
  edited_at: row.edited_at === null ? null : new Date(row.edited_at).toISOString(),
  deleted: row.deleted === 1,
  reply_to: row.reply_to,
  attachments: [],
  reactions: [],
  client_id: row.client_id,
});

const unauthorized = () =>
  Response.json({ error: { code: "unauthorized", message: "invalid token" } }, { status: 401 });

/** The `sub` of a valid HS256 token signed with `secret` that has not expired, or null. */
export function verifyHs256(token: string, secret: string): string | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts as [string, string, string];
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const h = JSON.parse(Buffer.from(header, "base64url").toString());
  if (h.alg !== "HS256") return null;
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  if (typeof claims.sub !== "string" || typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) return null;
  return claims.sub;
}

/** An HS256 token for `sub`, valid for an hour (the bench signs the baseline's tokens with this). */
export function signHs256(sub: string, secret: string): string {
  const now = Math.floor(Date.now() / 1000);
  const enc = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${enc({ alg: "HS256", typ: "JWT" })}.${enc({ sub, sid: crypto.randomUUID(), iat: now, exp: now + 3600, jti: crypto.randomUUID() })}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

/** The routes, on a SQLite file of their own in a temp dir (removed by `close`). */
export function sameWork(secret: string) {
  const dir = mkdtempSync(join(tmpdir(), "chatd-bench-baseline-"));
  const db = new Database(join(dir, "baseline.db"), { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec(`CREATE TABLE rooms (id TEXT PRIMARY KEY, head INTEGER NOT NULL) STRICT;
    CREATE TABLE messages (id TEXT PRIMARY KEY, position INTEGER NOT NULL, room_id TEXT NOT NULL,
      author_id TEXT NOT NULL, author_username TEXT NOT NULL, content TEXT NOT NULL, created_at INTEGER NOT NULL,
      edited_at INTEGER, deleted INTEGER NOT NULL, reply_to TEXT, client_id TEXT) STRICT;
    CREATE INDEX messages_by_room ON messages (room_id, position);`);
  const page = db.query<Row, [string, number]>(
    `SELECT ${COLUMNS} FROM messages WHERE room_id = ? ORDER BY position DESC LIMIT ?`,
  );
  const upsertHead = db.query<{ head: number }, [string]>(
    "INSERT INTO rooms (id, head) VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET head = head + 1 RETURNING head",
  );
  const insert = db.query<Row, [string, number, string, string, string, string, number]>(
    `INSERT INTO messages (id, position, room_id, author_id, author_username, content, created_at, deleted)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0) RETURNING ${COLUMNS}`,
  );
  const append = db.transaction((roomId: string, authorId: string, content: string) => {
    const head = upsertHead.get(roomId)!.head;
    return insert.get(Bun.randomUUIDv7(), head, roomId, authorId, "bench", content, Date.now())!;
  });

  return {
    /** Answers the message routes; null for any other request. */
    async handle(request: Request, url: URL): Promise<Response | null> {
      const match = /^\/v1\/rooms\/([^/]+)\/messages$/.exec(url.pathname);
      if (!match) return null;
      const header = request.headers.get("authorization");
      const userId = header?.startsWith("Bearer ") ? verifyHs256(header.slice(7), secret) : null;
      if (!userId) return unauthorized();
      const roomId = match[1]!;
      if (request.method === "GET") {
        const limit = Number(url.searchParams.get("limit") ?? 50);
        const rows = page.all(roomId, limit + 1);
        return Response.json({ messages: rows.slice(0, limit).map(view), has_more: rows.length > limit });
      }
      const body = (await request.json()) as { content?: unknown };
      if (typeof body.content !== "string")
        return Response.json({ error: { code: "validation_failed" } }, { status: 400 });
      return Response.json(view(append.immediate(roomId, userId, body.content.trim())), { status: 201 });
    },
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
