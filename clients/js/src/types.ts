// Names for the generated types (generated/): REST bodies from the OpenAPI document, frames from the
// AsyncAPI document's schemas. Nothing here restates a shape; it only names and picks.
import type { ClientFrames, ServerFrames } from "./generated/frames";
import type { components, paths } from "./generated/openapi";

type Schemas = components["schemas"];
export type Message = Schemas["Message"];
export type Room = Schemas["Room"];
export type User = Schemas["User"];
export type PublicUser = Schemas["PublicUser"];
export type TokenPair = Schemas["TokenPair"];
export type Member = Schemas["Member"];
export type ErrorBody = Schemas["Error"];
/** An attachment as GET /v1/attachments/{id} and completion answer it (with a short-lived download URL). */
export type Attachment = Schemas["Attachment"];
/** The answer to POST /v1/attachments: where and how to PUT the bytes. */
export type AttachmentUpload = Schemas["AttachmentUpload"];
/** What a message lists of each of its attachments. */
export type MessageAttachment = Message["attachments"][number];

export type { ClientFrames, paths, ServerFrames };
export type ServerFrameType = keyof ServerFrames;
export type ServerFrame = ServerFrames[ServerFrameType];
export type ClientFrame = ClientFrames[keyof ClientFrames];

/** Durable room events: stored at a room position (`seq`), replayed by `subscribe` with `since`. */
export type DurableEventType = Extract<
  ServerFrameType,
  `message.${string}` | `reaction.${string}` | `member.${string}` | `room.${string}` | `thread.${string}`
>;
export type DurableEvent = ServerFrames[DurableEventType];
/** Ephemeral room events: no position, never replayed. */
export type EphemeralEventType = "typing" | "presence" | "read";
export type RoomEventType = DurableEventType | EphemeralEventType;
export type RoomEvent = ServerFrames[RoomEventType];
export type Hello = ServerFrames["hello"];
export type Subscribed = ServerFrames["subscribed"];

// REST: the request and response types of one operation, picked from `paths`.
export type Method = "get" | "post" | "put" | "patch" | "delete";
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
/** The paths that answer a method. */
export type PathsOf<M extends Method> = {
  [P in keyof paths]: paths[P][M] extends undefined | never ? never : P;
}[keyof paths];

type Json<T> = T extends { content: { "application/json": infer Body } } ? Body : undefined;
type Success<R> = R extends Record<number, unknown> ? R[Extract<keyof R, 200 | 201 | 202 | 204>] : never;
/** The JSON body of the operation's success response (undefined for a 204). */
export type ResponseOf<P extends keyof paths, M extends Method> = Json<Success<Operation<P, M>["responses"]>>;
type RequestBody<P extends keyof paths, M extends Method> = Operation<P, M>["requestBody"];
/** The JSON request body (with undefined when it is optional), or never when the operation takes none. */
export type BodyOf<P extends keyof paths, M extends Method> = [NonNullable<RequestBody<P, M>>] extends [never]
  ? never
  : NonNullable<RequestBody<P, M>> extends { content: { "application/json": infer Body } }
    ? undefined extends RequestBody<P, M>
      ? Body | undefined
      : Body
    : never;
type Parameters<P extends keyof paths, M extends Method> = Operation<P, M>["parameters"];
export type QueryOf<P extends keyof paths, M extends Method> = NonNullable<Parameters<P, M>["query"]>;
export type PathParamsOf<P extends keyof paths, M extends Method> = NonNullable<Parameters<P, M>["path"]>;

/** One page of GET /v1/search/messages, and one result of it. */
export type SearchPage = ResponseOf<"/v1/search/messages", "get">;
export type SearchResult = SearchPage["results"][number];
