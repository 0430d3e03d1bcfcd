// The named mutations scripts/mutate.ts applies, one at a time: each breaks one documented behaviour
// of the domain rules, the permission checks or the WebSocket gateway, and some test must then fail.
// `from` must occur exactly once in `file`. `why` is the promise it breaks (printed for a survivor).
//
// Left out because they are equivalent (no client can tell; checked by hand, see the README):
// - dropping "moderators cannot act on themselves": a moderator never outranks themselves, so the rank
//   check refuses with the same 403;
// - dropping "only public rooms can be joined" in Rooms.join: a private room or DM is 404 for a
//   non-member before it (assertVisible), and a member returns early;
// - dropping the tombstone check before an edit's write: the store never revives a tombstone and the
//   check after the write answers the same 409 (that one is kept: a delete racing the edit needs it).

export type Mutation = { name: string; file: string; from: string; to: string; why: string; tests?: string[] };

/** Embedded backends only; never the e2e suites (the binary build, the Cassandra outage). */
export const DEFAULT_TESTS = ["tests/unit", "tests/http", "tests/ws"];

const permissions = "src/domain/permissions.ts";
const rooms = "src/domain/rooms.ts";
const messages = "src/domain/messages.ts";
const accounts = "src/domain/accounts.ts";
const gateway = "src/ws/gateway.ts";
const handlers = "src/ws/handlers.ts";
const hub = "src/ws/hub.ts";
const protocol = "src/ws/protocol.ts";
const fanout = "src/ws/fanout.ts";
const feed = "src/ws/room-feed.ts";
const timeline = "src/domain/timeline.ts";
const sqliteMessages = "src/store/sqlite/messages.ts";
const sqliteLog = "src/store/sqlite/room-log.ts";
const text = "src/domain/text.ts";
const ws = ["tests/ws"];

export const mutations: Mutation[] = [
  // Permissions
  {
    name: "rank-outranks-peers",
    file: permissions,
    from: "rank[actor] > rank[target]",
    to: "rank[actor] >= rank[target]",
    why: "moderators act only on members ranked below them",
  },
  {
    name: "member-is-moderator",
    file: permissions,
    from: 'role === "owner" || role === "admin";',
    to: 'role === "owner" || role === "admin" || role === "member";',
    why: "only owners and admins moderate",
  },
  {
    name: "private-room-visible",
    file: permissions,
    from: 'room.type !== "public" && !member',
    to: 'room.type === "dm" && !member',
    why: "a private room does not exist for a non-member (404)",
  },
  {
    name: "content-without-membership",
    file: permissions,
    from: 'if (!member) throw forbidden("join the room first");',
    to: 'if (!member) return; throw forbidden("join the room first");',
    why: "room content needs membership (403 in a public room)",
  },
  {
    name: "admin-is-owner",
    file: permissions,
    from: 'if (member.role !== "owner") throw',
    to: "if (!isModerator(member.role)) throw",
    why: "only the owner deletes the room and changes roles",
  },
  {
    name: "dm-moderated",
    file: permissions,
    from: 'if (room.type === "dm") throw',
    to: 'if (room.type === "dm" && false) throw',
    why: "a DM cannot be joined into, moderated or deleted",
  },
  // Rooms
  {
    name: "join-while-banned",
    file: rooms,
    from: "    await this.#assertNotBanned(roomId, userId);\n",
    to: "",
    why: "a banned user cannot join",
  },
  {
    name: "ban-expiry-boundary",
    file: rooms,
    from: "ban.expiresAt > this.#now()",
    to: "ban.expiresAt >= this.#now()",
    why: "a ban ends at its expires_at",
  },
  {
    name: "ban-never-expires",
    file: rooms,
    from: "return ban && (!ban.expiresAt || ban.expiresAt > this.#now()) ? ban : null;",
    to: "return ban ?? null;",
    why: "a ban with an expiry ends by itself",
  },
  {
    name: "ban-keeps-member",
    file: rooms,
    from: "    if (target) await this.deps.store.removeMember(roomId, targetId);\n",
    to: "",
    why: "a ban removes the user from the room",
  },
  {
    name: "owner-leaves",
    file: rooms,
    from: 'if (member.role === "owner") throw conflict',
    to: 'if (member.role === "nobody") throw conflict',
    why: "the owner cannot leave the room",
  },
  {
    name: "join-full-room",
    file: rooms,
    from: 'if (result === "full") throw conflict("the room is full");',
    to: "",
    why: "a full room answers 409",
  },
  {
    name: "invite-banned",
    file: rooms,
    from: "if (await this.#activeBan(roomId, targetId))",
    to: "if (false)",
    why: "inviting a banned user is 409",
  },
  {
    name: "demotion-refused",
    file: rooms,
    from: "    if (target.role !== role) {\n",
    to: '    if (role === "member") throw forbidden("no demotions");\n    if (target.role !== role) {\n',
    why: "the owner promotes and demotes",
  },
  {
    name: "owner-role-changes",
    file: rooms,
    from: 'if (target.role === "owner") throw forbidden',
    to: 'if (target.role === "nobody") throw forbidden',
    why: "the owner's own role cannot change",
  },
  {
    name: "role-change-unpublished",
    file: rooms,
    from: 'await this.#record({ type: "member.role_changed", room_id: roomId, user_id: targetId, role });',
    to: "",
    why: "every mutation is published (member.role_changed)",
  },
  {
    name: "update-by-member",
    file: rooms,
    from: "    assertNotDm(room);\n    assertModerator(member);\n    return this.deps.events.inOrder(roomId, async () => {\n      const updated",
    to: "    assertNotDm(room);\n    return this.deps.events.inOrder(roomId, async () => {\n      const updated",
    why: "only the owner and admins change a room",
  },
  {
    name: "audit-for-members",
    file: rooms,
    from: "    const { member } = await this.membership(userId, roomId);\n    assertModerator(member);\n    const entries = await this.deps.store.listAudit",
    to: "    await this.membership(userId, roomId);\n    const entries = await this.deps.store.listAudit",
    why: "the audit log is for the owner and admins",
  },
  {
    name: "presence-of-hidden-room",
    file: rooms,
    from: "    await this.access(userId, roomId);\n    const after = page.cursor?.toLowerCase();",
    to: "    const after = page.cursor?.toLowerCase();",
    why: "a private room's presence does not exist for a non-member",
  },
  {
    name: "kick-unaudited",
    file: rooms,
    from: 'await this.#audit(room.id, actorId, "member.kicked", { targetUserId: targetId });',
    to: "",
    why: "kicks are audited",
  },
  // Messages
  {
    name: "client-id-replay-rate-limited",
    file: messages,
    from: "      if (existing) return { message: await this.#view(existing, userId), created: false };\n",
    to: "",
    why: "a repeated client_id returns the first message and is not rate limited again",
  },
  {
    name: "no-rate-limit",
    file: messages,
    from: "if (!decision.allowed) throw rateLimited(",
    to: "if (false) throw rateLimited(",
    why: "sends are rate limited per user",
  },
  {
    name: "reply-to-unchecked",
    file: messages,
    from: "if (input.replyTo && !(await store.getMessage(roomId, input.replyTo)))",
    to: "if (false)",
    why: "reply_to must be a message of the same room",
  },
  {
    name: "edit-by-anyone",
    file: messages,
    from: 'if (message.authorId !== userId) throw forbidden("only the author can edit a message");',
    to: "",
    why: "only the author edits a message",
  },
  {
    name: "edit-tombstone-after-write",
    file: messages,
    from: 'if (!updated) throw notFound("message");\n      if (updated.deleted) throw conflict("the message was deleted");',
    to: 'if (!updated) throw notFound("message");',
    why: "a tombstone cannot be edited (the check after the write, for an edit racing a delete)",
  },
  {
    name: "delete-by-member",
    file: messages,
    from: "!isModerator(member.role)",
    to: "false",
    why: "members cannot delete others' messages",
  },
  {
    name: "moderator-delete-unaudited",
    file: messages,
    from: 'await this.deps.rooms.recordModeration(roomId, userId, "message.deleted",',
    to: 'if (false) await this.deps.rooms.recordModeration(roomId, userId, "message.deleted",',
    why: "a moderator's deletion is audited",
  },
  {
    name: "delete-twice-publishes",
    file: messages,
    from: "      if ((await this.deps.store.getMessage(roomId, messageId))?.deleted) return;\n",
    to: "",
    why: "deleting is idempotent (one tombstone, one event)",
  },
  {
    name: "react-to-tombstone",
    file: messages,
    from: '    if (message.deleted) throw conflict("the message was deleted");\n    const emoji = canonicalEmoji(rawEmoji);',
    to: "    const emoji = canonicalEmoji(rawEmoji);",
    why: "a tombstone cannot be reacted to",
  },
  {
    name: "reaction-event-always",
    file: messages,
    from: "      if (!changed) return;\n",
    to: "",
    why: "reactions are idempotent: an event only when something changed",
  },
  {
    name: "read-marker-answers-request",
    file: messages,
    from: "return (await this.deps.store.getReadMarker(roomId, userId)) ?? messageId;",
    to: "return messageId;",
    why: "the read marker never moves back, and the answer is the marker in force",
  },
  {
    name: "content-untrimmed",
    file: text,
    from: "  const text = trimInvisible(raw);\n  if (!HAS_VISIBLE.test(text))",
    to: "  const text = raw;\n  if (!HAS_VISIBLE.test(text))",
    why: "content is trimmed",
  },
  {
    name: "max-length-off-by-one",
    file: text,
    from: "text.length > rule.max && codePoints(text) > rule.max",
    to: "text.length >= rule.max && codePoints(text) >= rule.max",
    why: "content may be exactly MAX_MESSAGE_LENGTH characters",
  },
  {
    name: "has-more-off-by-one",
    file: messages,
    from: "hasMore: page.length > query.limit",
    to: "hasMore: page.length >= query.limit",
    why: "has_more says whether another page exists",
  },
  {
    name: "unread-since-room-began",
    file: messages,
    from: "marker ?? messageIdFloor(joinedAt.getTime())",
    to: "marker ?? null",
    why: "messages from before a member joined are not unread",
  },
  // Accounts
  {
    name: "address-limit-factor",
    file: accounts,
    from: "const ADDRESS_FACTOR = 10;",
    to: "const ADDRESS_FACTOR = 11;",
    why: "a client address gets 10x the per-account login failures",
  },
  {
    name: "reset-mailed-to-unknown-address",
    file: accounts,
    from: "      if (!user) return;\n",
    to: '      if (!user) {\n        await this.#mail(email, "Reset your chatd password", ["no account"]);\n        return;\n      }\n',
    why: "forgot-password mails only addresses that have an account",
  },
  {
    name: "refresh-reuse-not-revoked",
    file: accounts,
    from: "      await store.revokeRefreshFamily(record.familyId, now);\n",
    to: "",
    why: "presenting a rotated refresh token revokes the family",
  },
  // WebSocket gateway
  {
    name: "subscribe-without-membership",
    file: handlers,
    from: "    const { hub, rooms, timeline, settings } = this.deps;\n    await rooms.membership(connection.userId, roomId);\n",
    to: "    const { hub, rooms, timeline, settings } = this.deps;\n    void rooms;\n",
    why: "members only subscribe",
    tests: ws,
  },
  {
    name: "typing-window-2s",
    file: handlers,
    from: "const TYPING_INTERVAL_MS = 3000;",
    to: "const TYPING_INTERVAL_MS = 2000;",
    why: "one typing event per user and room per 3 s",
    tests: ws,
  },
  {
    name: "typing-echoed",
    file: hub,
    from: 'fanout.publishExcept(roomId, delivery.raw, delivery.type, delivery.user ?? "");',
    to: "fanout.publish(roomId, delivery.raw, delivery.type);",
    why: "typing is never sent to the typist",
    tests: ws,
  },
  {
    name: "presence-left-early",
    file: handlers,
    from: '=== "left") {',
    to: '!== "joined") {',
    why: "presence left only when the user's last connection leaves",
    tests: ws,
  },
  {
    name: "presence-joined-again",
    file: handlers,
    from: '=== "joined") {',
    to: '!== "left") {',
    why: "presence joined only with the user's first connection",
    tests: ws,
  },
  {
    name: "recovery-drops-held-events",
    file: hub,
    from: "      fanout.send(connection, delivery.raw, delivery.type);\n    }\n",
    to: "    }\n",
    why: "live events that arrive during a recovery follow missed",
    tests: ws,
  },
  {
    name: "recovery-repeats-missed",
    file: hub,
    from: "delivery.seq !== null && delivery.seq <= replay.through",
    to: "delivery.seq !== null && delivery.seq < replay.through",
    why: "live events follow missed without duplicates",
    tests: ws,
  },
  {
    name: "recovery-held-events-first",
    file: hub,
    from: '    fanout.send(connection, reply(replay), "subscribed");\n    for (const delivery of pending.buffer) {',
    to: '    queueMicrotask(() => fanout.send(connection, reply(replay), "subscribed"));\n    for (const delivery of pending.buffer) {',
    why: "the subscribed reply comes before the live events",
    tests: ws,
  },
  {
    name: "recovered-off-by-one",
    file: timeline,
    from: "recovered: events.length <= limit,",
    to: "recovered: events.length < limit,",
    why: "recovered is true when everything missed fits",
    tests: ws,
  },
  {
    name: "kicked-keeps-receiving",
    file: hub,
    from: '  "member.kicked": "kicked",\n',
    to: "",
    why: "a kicked user's sockets stop receiving the room's events at once",
    tests: ws,
  },
  {
    name: "abuse-limit-21",
    file: gateway,
    from: "const ABUSE_RULE = { limit: 20, periodMs: 10_000 };",
    to: "const ABUSE_RULE = { limit: 21, periodMs: 10_000 };",
    why: "20 errors within 10 s close the connection",
    tests: ws,
  },
  {
    name: "abuse-window-1s",
    file: gateway,
    from: "const ABUSE_RULE = { limit: 20, periodMs: 10_000 };",
    to: "const ABUSE_RULE = { limit: 20, periodMs: 1_000 };",
    why: "the abuse window is 10 s",
    tests: ws,
  },
  {
    name: "slow-consumer-code-1000",
    file: gateway,
    from: 'this.#closeClient(connection, 1008, "slow consumer", "slow_consumer")',
    to: 'this.#closeClient(connection, 1000, "slow consumer", "slow_consumer")',
    why: "a slow consumer is closed with 1008",
    tests: ws,
  },
  {
    name: "pongs-ignored",
    file: gateway,
    from: "        if (ws.data.client) ws.data.client.lastSeen = Date.now();\n",
    to: "",
    why: "a client that answers pings stays connected",
    tests: ws,
  },
  {
    name: "heartbeat-never-closes",
    file: gateway,
    from: "if (silent > 2 * interval) this.#closeClient(",
    to: "if (silent > 200 * interval) this.#closeClient(",
    why: "a connection that answers no pings is closed",
    tests: ws,
  },
  {
    name: "forbidden-not-not-member",
    file: protocol,
    from: 'if (error.code === "forbidden" || (error.code',
    to: "if ((error.code",
    why: "a non-member of a public room gets not_member",
    tests: ws,
  },
  {
    name: "metric-opened-not-counted",
    file: gateway,
    from: "    this.deps.metrics.ws.opened.inc();\n",
    to: "",
    why: "chatd_ws_connections_opened_total counts connections",
    tests: ws,
  },
  {
    name: "metric-connections-not-counted",
    file: gateway,
    from: "    this.deps.metrics.ws.connections.inc();\n",
    to: "",
    why: "chatd_ws_connections is the open connections",
    tests: ws,
  },
  {
    name: "metric-rate-limited-not-counted",
    file: gateway,
    from: 'if (frameError.code === "rate_limited") this.deps.metrics.ws.rateLimited.inc();',
    to: "",
    why: "chatd_ws_rate_limited_total counts refused frames",
    tests: ws,
  },
  {
    name: "metric-fanout-not-observed",
    file: fanout,
    from: "    metrics.ws.fanout.observe((performance.now() - started) / 1000);\n",
    to: "    void started;\n",
    why: "chatd_ws_fanout_seconds observes every fan-out",
    tests: ws,
  },
  // Room positions: the feed's order, the log's density, recovery by position
  {
    name: "feed-out-of-order",
    file: feed,
    from: "    if (seq > this.#next) {",
    to: "    if (seq > this.#next && false) {",
    why: "a room's events reach subscribers in position order, a gap repaired from the log first",
    tests: ["tests/unit/room-feed.test.ts", ...ws],
  },
  {
    name: "feed-keeps-duplicates",
    file: feed,
    from: "    if (seq < this.#next) return;\n",
    to: "",
    why: "each durable event reaches a subscriber once",
    tests: ["tests/unit/room-feed.test.ts", ...ws],
  },
  {
    name: "feed-never-repairs",
    file: feed,
    from: "      this.#scheduleRepair(this.options.repairDelayMs ?? 50);\n      return;",
    to: "      return;",
    why: "a position the bus lost is read from the log",
    tests: ["tests/unit/room-feed.test.ts"],
  },
  {
    name: "feed-ignores-resume",
    file: feed,
    from: "  resume() {\n    if (this.#next === 0) return;",
    to: "  resume() {\n    return;",
    why: "after a bus outage the feed delivers what the bus lost",
    tests: ["tests/unit/room-feed.test.ts"],
  },
  {
    name: "position-gap-in-store",
    file: sqliteMessages,
    from: "seq: head.head + 1 };",
    to: "seq: head.head + 2 };",
    why: "positions increase by exactly one per event",
    tests: ["tests/contract/store.test.ts"],
  },
  {
    name: "event-takes-no-position",
    file: sqliteLog,
    from: '"UPDATE rooms SET head = head + 1 WHERE id = ? RETURNING head"',
    to: '"UPDATE rooms SET head = head WHERE id = ? RETURNING head"',
    why: "every durable event takes the room's next position",
    tests: ["tests/contract/store.test.ts"],
  },
  {
    name: "since-ahead-waits",
    file: timeline,
    from: "if (from === null || from > head) return",
    to: "if (from === null) return",
    why: "a since past the room's head answers at once (not recovered) instead of holding the socket",
    tests: ws,
  },
  {
    name: "since-id-off-by-one",
    file: timeline,
    from: "return message && message.seq > 0 ? message.seq : null;",
    to: "return message && message.seq > 0 ? message.seq - 1 : null;",
    why: "since as a message id means after that message's position",
    tests: ws,
  },
  {
    name: "replay-without-reactions",
    file: timeline,
    from: "(await this.deps.messages.views(roomId, records, viewerId))",
    to: "(await this.deps.messages.views(roomId, [], viewerId))",
    why: "recovered messages look exactly like REST history",
    tests: ws,
  },
];
