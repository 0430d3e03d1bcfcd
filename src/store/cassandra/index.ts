// The production storage adapter: Cassandra / ScyllaDB through cassandra-driver, with query-first
// tables (migrations/cassandra, docs/cassandra.md). This class wires the parts together; accounts,
// rooms, members, moderation, listing, messages and reactions live in their own files, and the session
// (consistency, idempotence, timeouts, error translation) in client.ts.
import { AppError, unavailable } from "../../domain/errors";
import { MessageIdGenerator } from "../../domain/ids";
import type { Store } from "../../ports/store";
import { CassandraAccounts } from "./accounts";
import { CassandraAttachments } from "./attachments";
import { DEFAULT_BUCKET_MS, MessageBuckets } from "./buckets";
import { type CassandraOptions, Cql } from "./client";
import { listRooms } from "./listing";
import { CassandraMembers } from "./members";
import { CassandraMentions } from "./mentions";
import { CassandraMessages } from "./messages";
import { BUCKET_SETTING, migrate } from "./migrate";
import { CassandraModeration } from "./moderation";
import { CassandraNotify } from "./notify";
import { CassandraPins } from "./pins";
import { CassandraReactions } from "./reactions";
import { CassandraRoomLog, DEFAULT_LOG_BLOCK } from "./room-log";
import { CassandraRooms } from "./rooms";
import { CassandraThreads } from "./threads";

export type { CassandraOptions, Replication } from "./client";

export class CassandraStore implements Store {
  readonly #cql: Cql;
  readonly #options: CassandraOptions;
  readonly #accounts: CassandraAccounts;
  readonly #rooms: CassandraRooms;
  readonly #members: CassandraMembers;
  readonly #moderation: CassandraModeration;
  readonly #messages: CassandraMessages;
  readonly #reactions: CassandraReactions;
  readonly #attachments: CassandraAttachments;
  readonly #threads: CassandraThreads;
  readonly #pins: CassandraPins;
  readonly #mentions: CassandraMentions;
  readonly #notify: CassandraNotify;

  /** Connects lazily: on `migrate()` or the first call. */
  constructor(options: CassandraOptions) {
    this.#options = options;
    this.#cql = new Cql(options);
    const buckets = new MessageBuckets(this.#cql, options.messageBucketMs ?? DEFAULT_BUCKET_MS);
    // Time-ordered ids for the order of joins and reactions (insertion order where times tie).
    const order = new MessageIdGenerator();
    const next = () => order.next();
    this.#accounts = new CassandraAccounts(this.#cql);
    const log = new CassandraRoomLog(this.#cql, options.logBlockSize ?? DEFAULT_LOG_BLOCK);
    this.#attachments = new CassandraAttachments(this.#cql, options.attachmentTtlSlackSeconds);
    this.#messages = new CassandraMessages(
      this.#cql,
      buckets,
      log,
      this.#attachments,
      async (id) => (await this.getRoom(id)) !== null,
    );
    this.#threads = new CassandraThreads(this.#cql, (roomId, id) => this.#messages.getMessage(roomId, id));
    this.#messages.threads = this.#threads;
    this.#pins = new CassandraPins(this.#cql);
    this.#mentions = new CassandraMentions(this.#cql);
    this.#rooms = new CassandraRooms(this.#cql, next, async (id) => {
      await this.#messages.purge(id);
      await this.#pins.purge(id);
    });
    this.#members = new CassandraMembers(this.#cql, next);
    this.#moderation = new CassandraModeration(this.#cql);
    this.#reactions = new CassandraReactions(this.#cql, buckets, next);
    this.#notify = new CassandraNotify(this.#cql);
  }

  // AccountStore, RoomStore, MessageStore, RoomLogStore and AttachmentStore, delegated (bound arrow properties, so they may be passed around).
  createUser: Store["createUser"] = (...args) => this.#accounts.createUser(...args);
  getUserById: Store["getUserById"] = (...args) => this.#accounts.getUserById(...args);
  getUserByUsername: Store["getUserByUsername"] = (...args) => this.#accounts.getUserByUsername(...args);
  getUserByEmail: Store["getUserByEmail"] = (...args) => this.#accounts.getUserByEmail(...args);
  updateUser: Store["updateUser"] = (...args) => this.#accounts.updateUser(...args);
  insertRefreshToken: Store["insertRefreshToken"] = (...args) => this.#accounts.insertRefreshToken(...args);
  findRefreshToken: Store["findRefreshToken"] = (...args) => this.#accounts.findRefreshToken(...args);
  claimRefreshToken: Store["claimRefreshToken"] = (...args) => this.#accounts.claimRefreshToken(...args);
  findRefreshFamily: Store["findRefreshFamily"] = (...args) => this.#accounts.findRefreshFamily(...args);
  revokeRefreshFamily: Store["revokeRefreshFamily"] = (...args) => this.#accounts.revokeRefreshFamily(...args);
  revokeUserRefreshTokens: Store["revokeUserRefreshTokens"] = (...args) =>
    this.#accounts.revokeUserRefreshTokens(...args);
  insertActionToken: Store["insertActionToken"] = (...args) => this.#accounts.insertActionToken(...args);
  claimActionToken: Store["claimActionToken"] = (...args) => this.#accounts.claimActionToken(...args);
  revokeActionTokens: Store["revokeActionTokens"] = (...args) => this.#accounts.revokeActionTokens(...args);

  createRoom: Store["createRoom"] = (...args) => this.#rooms.createRoom(...args);
  getRoom: Store["getRoom"] = (...args) => this.#rooms.getRoom(...args);
  updateRoom: Store["updateRoom"] = (...args) => this.#rooms.updateRoom(...args);
  deleteRoom: Store["deleteRoom"] = (...args) => this.#rooms.deleteRoom(...args);
  listRooms: Store["listRooms"] = (query) => listRooms(this.#cql, query);
  getOrCreateDm: Store["getOrCreateDm"] = (...args) => this.#rooms.getOrCreateDm(...args);
  addMember: Store["addMember"] = (...args) => this.#members.addMember(...args);
  getMember: Store["getMember"] = (...args) => this.#members.getMember(...args);
  listMembers: Store["listMembers"] = (...args) => this.#members.listMembers(...args);
  removeMember: Store["removeMember"] = (...args) => this.#members.removeMember(...args);
  setMemberRole: Store["setMemberRole"] = (...args) => this.#members.setMemberRole(...args);
  listMemberships: Store["listMemberships"] = (...args) => this.#members.listMemberships(...args);
  putBan: Store["putBan"] = (...args) => this.#moderation.putBan(...args);
  getBan: Store["getBan"] = (...args) => this.#moderation.getBan(...args);
  removeBan: Store["removeBan"] = (...args) => this.#moderation.removeBan(...args);
  appendAudit: Store["appendAudit"] = (...args) => this.#moderation.appendAudit(...args);
  listAudit: Store["listAudit"] = (...args) => this.#moderation.listAudit(...args);

  appendMessage: Store["appendMessage"] = (...args) => this.#messages.appendMessage(...args);
  appendEvent: Store["appendEvent"] = (...args) => this.#messages.appendEvent(...args);
  readLog: Store["readLog"] = (...args) => this.#messages.readLog(...args);
  headPosition: Store["headPosition"] = (...args) => this.#messages.headPosition(...args);
  scanRooms: Store["scanRooms"] = (...args) => this.#messages.scanRooms(...args);
  getMessage: Store["getMessage"] = (...args) => this.#messages.getMessage(...args);
  findMessageByClientId: Store["findMessageByClientId"] = (...args) => this.#messages.findMessageByClientId(...args);
  listMessages: Store["listMessages"] = (...args) => this.#messages.listMessages(...args);
  updateMessage: Store["updateMessage"] = (...args) => this.#messages.updateMessage(...args);
  tombstoneMessage: Store["tombstoneMessage"] = (...args) => this.#messages.tombstoneMessage(...args);
  latestMessage: Store["latestMessage"] = (...args) => this.#messages.latestMessage(...args);
  addReaction: Store["addReaction"] = (...args) => this.#reactions.addReaction(...args);
  removeReaction: Store["removeReaction"] = (...args) => this.#reactions.removeReaction(...args);
  listReactions: Store["listReactions"] = (...args) => this.#reactions.listReactions(...args);
  setReadMarker: Store["setReadMarker"] = (...args) => this.#reactions.setReadMarker(...args);
  getReadMarker: Store["getReadMarker"] = (...args) => this.#reactions.getReadMarker(...args);
  countUnread: Store["countUnread"] = (...args) => this.#reactions.countUnread(...args);

  createAttachment: Store["createAttachment"] = (...args) => this.#attachments.createAttachment(...args);
  getAttachment: Store["getAttachment"] = (...args) => this.#attachments.getAttachment(...args);
  getAttachments: Store["getAttachments"] = (...args) => this.#attachments.getAttachments(...args);
  completeAttachment: Store["completeAttachment"] = (...args) => this.#attachments.completeAttachment(...args);
  deleteAttachments: Store["deleteAttachments"] = (...args) => this.#attachments.deleteAttachments(...args);
  dueAttachments: Store["dueAttachments"] = (...args) => this.#attachments.dueAttachments(...args);
  removeAttachment: Store["removeAttachment"] = (...args) => this.#attachments.removeAttachment(...args);

  threadSummaries: Store["threadSummaries"] = (...args) => this.#threads.threadSummaries(...args);
  listThreadMessages: Store["listThreadMessages"] = (...args) => this.#threads.listThreadMessages(...args);
  addPin: Store["addPin"] = (...args) => this.#pins.addPin(...args);
  removePin: Store["removePin"] = (...args) => this.#pins.removePin(...args);
  listPins: Store["listPins"] = (...args) => this.#pins.listPins(...args);
  addMentions: Store["addMentions"] = (...args) => this.#mentions.addMentions(...args);
  listMentions: Store["listMentions"] = (...args) => this.#mentions.listMentions(...args);
  acquireLease: Store["acquireLease"] = (...args) => this.#notify.acquireLease(...args);
  releaseLease: Store["releaseLease"] = (...args) => this.#notify.releaseLease(...args);
  getNotifySettings: Store["getNotifySettings"] = (...args) => this.#notify.getNotifySettings(...args);
  setNotifySettings: Store["setNotifySettings"] = (...args) => this.#notify.setNotifySettings(...args);
  markSeen: Store["markSeen"] = (...args) => this.#notify.markSeen(...args);
  scanSeen: Store["scanSeen"] = (...args) => this.#notify.scanSeen(...args);
  claimDigest: Store["claimDigest"] = (...args) => this.#notify.claimDigest(...args);
  createWebhook: Store["createWebhook"] = (...args) => this.#notify.createWebhook(...args);
  listWebhooks: Store["listWebhooks"] = (...args) => this.#notify.listWebhooks(...args);
  deleteWebhook: Store["deleteWebhook"] = (...args) => this.#notify.deleteWebhook(...args);
  scanWebhooks: Store["scanWebhooks"] = (...args) => this.#notify.scanWebhooks(...args);
  getWebhookPosition: Store["getWebhookPosition"] = (...args) => this.#notify.getWebhookPosition(...args);
  setWebhookPosition: Store["setWebhookPosition"] = (...args) => this.#notify.setWebhookPosition(...args);

  /** Creates the keyspace if missing and applies pending migrations; see migrate.ts. */
  async migrate() {
    const applied = await migrate(this.#cql, {
      replication: this.#options.replication,
      messageBucketMs: this.#options.messageBucketMs ?? DEFAULT_BUCKET_MS,
      logBlockSize: this.#options.logBlockSize ?? DEFAULT_LOG_BLOCK,
    });
    return { applied };
  }

  /**
   * Reads one row of the keyspace by partition key: the same token-aware path every query takes (right
   * after Cassandra comes back the driver can already answer unrouted queries such as system.local
   * while routed ones still fail), and it also proves the keyspace is there. `unavailable` on failure.
   */
  async ping() {
    try {
      await this.#cql.read("SELECT value FROM store_settings WHERE name = ?", [BUCKET_SETTING]);
    } catch (error) {
      throw error instanceof AppError && error.code === "unavailable" ? error : unavailable("storage", error);
    }
  }

  async close() {
    await this.#cql.close();
  }
}
