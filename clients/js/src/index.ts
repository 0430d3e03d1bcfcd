// @chatd/client: a typed client for chatd (REST, sessions, live events). Runtime dependencies: none
// beyond the platform's fetch and WebSocket.
export { type Api, createApi } from "./api";
export { type UploadDeps, type UploadOptions, uploadAttachment } from "./attachments";
export { type BackoffOptions, backoffDelay } from "./backoff";
export { ChatClient, type ChatClientOptions } from "./client";
export { Emitter } from "./emitter";
export { ChatdError, SessionEndedError, type SessionEndReason } from "./errors";
export { type Authenticator, type CallOptions, type Fetch, fillPath, Http, type RawInit, type RawReply } from "./http";
export { newClientId } from "./ids";
export type { SendOptions } from "./outbox";
export type { PresenceStatus, PresenceWatched } from "./presence";
export { type ConnectionState, Realtime, type RealtimeEvents, type RealtimeOptions } from "./realtime";
export { localStorageTokenStore, memoryTokenStore, Session, type TokenStore, type Tokens } from "./session";
export {
  type Closed,
  GatewaySocket,
  gatewayUrl,
  type SocketAuth,
  SocketClosedError,
  type SocketOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./socket";
export { Subscriptions, type Verdict } from "./subscriptions";
export type * from "./types";
