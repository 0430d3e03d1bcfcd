// The api role: every REST route under /v1.
import type { Elysia } from "elysia";
import { accountRoutes } from "../../http/routes/accounts";
import { userRoutes } from "../../http/routes/users";
import type { Services } from "../wire";

export const mountApi = <App extends Elysia<any, any, any, any, any, any, any>>(app: App, services: Services) =>
  app
    .use(accountRoutes(services.accounts, services.accessTokens))
    .use(userRoutes(services.accounts, services.accessTokens));
