// The api role: every REST route under /v1.
import type { Elysia } from "elysia";
import { accountRoutes } from "../../http/routes/accounts";
import { conversationRoutes } from "../../http/routes/conversations";
import { memberRoutes } from "../../http/routes/members";
import { messageRoutes } from "../../http/routes/messages";
import { roomRoutes } from "../../http/routes/rooms";
import { searchRoutes } from "../../http/routes/search";
import { userRoutes } from "../../http/routes/users";
import type { Services } from "../wire";

export const mountApi = <App extends Elysia<any, any, any, any, any, any, any>>(app: App, s: Services) =>
  app
    .use(accountRoutes(s.accounts, s.sessions))
    .use(userRoutes(s.accounts, s.sessions))
    .use(roomRoutes(s.rooms, s.sessions))
    .use(memberRoutes(s.rooms, s.sessions))
    .use(messageRoutes(s.messages, s.sessions))
    .use(conversationRoutes(s.conversations, s.sessions))
    .use(searchRoutes(s.search, s.sessions));
