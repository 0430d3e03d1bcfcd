// The api role: every REST route under /v1, and the embedded blob store's signed URLs when it has them.
import type { Elysia } from "elysia";
import { accountRoutes } from "../../http/routes/accounts";
import { attachmentRoutes } from "../../http/routes/attachments";
import { blobRoutes } from "../../http/routes/blobs";
import { conversationRoutes } from "../../http/routes/conversations";
import { memberRoutes } from "../../http/routes/members";
import { mentionRoutes } from "../../http/routes/mentions";
import { messageRoutes } from "../../http/routes/messages";
import { pinRoutes } from "../../http/routes/pins";
import { roomRoutes } from "../../http/routes/rooms";
import { searchRoutes } from "../../http/routes/search";
import { threadRoutes } from "../../http/routes/threads";
import { userRoutes } from "../../http/routes/users";
import { webhookRoutes } from "../../http/routes/webhooks";
import type { BlobEndpoint } from "../../ports/blob";
import type { Services } from "../wire";

export const mountApi = <App extends Elysia<any, any, any, any, any, any, any>>(
  app: App,
  s: Services,
  blobs: BlobEndpoint | null,
) => {
  app
    .use(accountRoutes(s.accounts, s.sessions))
    .use(userRoutes(s.accounts, s.sessions, s.digests))
    .use(roomRoutes(s.rooms, s.sessions))
    .use(memberRoutes(s.rooms, s.sessions))
    .use(messageRoutes(s.messages, s.sessions))
    .use(conversationRoutes(s.conversations, s.sessions))
    .use(searchRoutes(s.search, s.sessions));
  app.use(attachmentRoutes(s.attachments, s.sessions));
  app
    .use(pinRoutes(s.pins, s.sessions))
    .use(threadRoutes(s.threads, s.sessions))
    .use(mentionRoutes(s.mentions, s.sessions));
  app.use(webhookRoutes(s.webhooks, s.sessions));
  if (blobs) app.use(blobRoutes(blobs));
  return app;
};
