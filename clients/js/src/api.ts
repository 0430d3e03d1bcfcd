// The REST API by resource, one method per route. Every argument and answer type comes from the
// generated OpenAPI paths through Http.call: a route that changes on the server changes here when the
// types are regenerated (bun run sdk:types), and a call that no longer fits stops compiling.
import type { Http } from "./http";
import type { BodyOf, QueryOf } from "./types";

type Id = string;

export const createApi = (http: Http) => ({
  auth: {
    signup: (body: BodyOf<"/v1/auth/signup", "post">) => http.call("post", "/v1/auth/signup", { body }),
    verifyEmail: (token: string) => http.call("post", "/v1/auth/verify-email", { body: { token } }),
    forgotPassword: (email: string) => http.call("post", "/v1/auth/password/forgot", { body: { email } }),
    resetPassword: (token: string, password: string) =>
      http.call("post", "/v1/auth/password/reset", { body: { token, password } }),
  },
  users: {
    me: () => http.call("get", "/v1/users/me"),
    update: (body: BodyOf<"/v1/users/me", "patch">) => http.call("patch", "/v1/users/me", { body }),
    get: (id: Id) => http.call("get", "/v1/users/{id}", { params: { id } }),
    /** Presence of up to 200 users: `unknown` for those who share no room or DM with the caller. */
    presence: (ids: Id[]) => http.call("get", "/v1/users/presence", { query: { ids: ids.join(",") } }),
  },
  rooms: {
    list: (query: QueryOf<"/v1/rooms", "get"> = {}) => http.call("get", "/v1/rooms", { query }),
    create: (body: BodyOf<"/v1/rooms", "post">) => http.call("post", "/v1/rooms", { body }),
    get: (id: Id) => http.call("get", "/v1/rooms/{id}", { params: { id } }),
    update: (id: Id, body: BodyOf<"/v1/rooms/{id}", "patch">) =>
      http.call("patch", "/v1/rooms/{id}", { params: { id }, body }),
    delete: (id: Id) => http.call("delete", "/v1/rooms/{id}", { params: { id } }),
    join: (id: Id) => http.call("post", "/v1/rooms/{id}/join", { params: { id } }),
    leave: (id: Id) => http.call("delete", "/v1/rooms/{id}/members/me", { params: { id } }),
    members: (id: Id, query: QueryOf<"/v1/rooms/{id}/members", "get"> = {}) =>
      http.call("get", "/v1/rooms/{id}/members", { params: { id }, query }),
    invite: (id: Id, userId: Id) =>
      http.call("post", "/v1/rooms/{id}/members", { params: { id }, body: { user_id: userId } }),
    kick: (id: Id, userId: Id) =>
      http.call("delete", "/v1/rooms/{id}/members/{user_id}", { params: { id, user_id: userId } }),
    setRole: (id: Id, userId: Id, role: BodyOf<"/v1/rooms/{id}/members/{user_id}/role", "put">["role"]) =>
      http.call("put", "/v1/rooms/{id}/members/{user_id}/role", { params: { id, user_id: userId }, body: { role } }),
    ban: (id: Id, body: BodyOf<"/v1/rooms/{id}/bans", "post">) =>
      http.call("post", "/v1/rooms/{id}/bans", { params: { id }, body }),
    unban: (id: Id, userId: Id) =>
      http.call("delete", "/v1/rooms/{id}/bans/{user_id}", { params: { id, user_id: userId } }),
    audit: (id: Id, query: QueryOf<"/v1/rooms/{id}/audit", "get"> = {}) =>
      http.call("get", "/v1/rooms/{id}/audit", { params: { id }, query }),
    presence: (id: Id, query: QueryOf<"/v1/rooms/{id}/presence", "get"> = {}) =>
      http.call("get", "/v1/rooms/{id}/presence", { params: { id }, query }),
  },
  messages: {
    /** No cursor or `before`: newest first; `after`: oldest first (see the README). */
    list: (roomId: Id, query: QueryOf<"/v1/rooms/{id}/messages", "get"> = {}) =>
      http.call("get", "/v1/rooms/{id}/messages", { params: { id: roomId }, query }),
    send: (roomId: Id, body: BodyOf<"/v1/rooms/{id}/messages", "post">) =>
      http.call("post", "/v1/rooms/{id}/messages", { params: { id: roomId }, body }),
    edit: (roomId: Id, messageId: Id, content: string) =>
      http.call("patch", "/v1/rooms/{id}/messages/{mid}", {
        params: { id: roomId, mid: messageId },
        body: { content },
      }),
    delete: (roomId: Id, messageId: Id) =>
      http.call("delete", "/v1/rooms/{id}/messages/{mid}", { params: { id: roomId, mid: messageId } }),
    react: (roomId: Id, messageId: Id, emoji: string) =>
      http.call("put", "/v1/rooms/{id}/messages/{mid}/reactions/{emoji}", {
        params: { id: roomId, mid: messageId, emoji },
      }),
    unreact: (roomId: Id, messageId: Id, emoji: string) =>
      http.call("delete", "/v1/rooms/{id}/messages/{mid}/reactions/{emoji}", {
        params: { id: roomId, mid: messageId, emoji },
      }),
    markRead: (roomId: Id, messageId: Id) =>
      http.call("post", "/v1/rooms/{id}/read", { params: { id: roomId }, body: { message_id: messageId } }),
  },
  dms: {
    open: (userId: Id) => http.call("post", "/v1/dms", { body: { user_id: userId } }),
    list: (query: QueryOf<"/v1/dms", "get"> = {}) => http.call("get", "/v1/dms", { query }),
  },
  attachments: {
    /** Step 1 of an upload (uploadAttachment in attachments.ts does all three). */
    create: (body: BodyOf<"/v1/attachments", "post">) => http.call("post", "/v1/attachments", { body }),
    /** Step 3: the server checks the stored object; the attachment becomes ready. */
    complete: (id: Id) => http.call("post", "/v1/attachments/{id}/complete", { params: { id } }),
    /** The attachment with a fresh, short-lived download URL. */
    get: (id: Id) => http.call("get", "/v1/attachments/{id}", { params: { id } }),
  },
  search: {
    /** Newest first, only in rooms the caller is in now; `indexed_through` tells "no match" from "not indexed yet". */
    messages: (query: QueryOf<"/v1/search/messages", "get">) => http.call("get", "/v1/search/messages", { query }),
  },
  unread: (query: QueryOf<"/v1/unread", "get"> = {}) => http.call("get", "/v1/unread", { query }),
});

export type Api = ReturnType<typeof createApi>;
