// Users driven through the SDK (clients/js): signed up and logged in with its typed calls, each with a
// ChatClient of their own; closed by closeClients after the test.
import { ChatClient, type ChatClientOptions, type RealtimeEvents } from "../../clients/js/src";
import { uniqueUser } from "./client";

export type SdkUser = { id: string; username: string; email: string; password: string; client: ChatClient };

const open: ChatClient[] = [];

/** Signs up and logs in a fresh user; `options` may point the client elsewhere (a proxy) or tune it. */
export async function sdkUser(
  baseUrl: string,
  prefix = "sdk",
  options: Partial<ChatClientOptions> = {},
): Promise<SdkUser> {
  const credentials = uniqueUser(prefix);
  const client = new ChatClient({ baseUrl, watchNetwork: false, backoff: { baseMs: 50, maxMs: 500 }, ...options });
  const { user } = await client.api.auth.signup(credentials);
  await client.login(credentials.username, credentials.password);
  open.push(client);
  return { ...credentials, id: user.id, client };
}

export function closeClients() {
  for (const client of open.splice(0)) client.close();
}

/** Every event of one type the client emits from now on, in order. */
export function record<K extends keyof RealtimeEvents>(client: ChatClient, type: K): RealtimeEvents[K][] {
  const seen: RealtimeEvents[K][] = [];
  client.on(type, (event) => seen.push(event));
  return seen;
}

/** Waits for a condition (polled), failing with `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
}
