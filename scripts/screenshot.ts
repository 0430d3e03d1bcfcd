// Makes docs/screenshot.png, the README's picture of the web app: an embedded chatd on a fresh data
// dir, two users and a room with a short conversation (through the SDK, an image and a file
// attached), then Ana's chat view in headless Chromium while Bob types, a search in the box. `bun scripts/screenshot.ts [output.png]`.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { ChatClient } from "../clients/js/src";
import { startServer } from "../src/app/server";
import { defaultConfig } from "../src/config";
import { createLogger } from "../src/log";
import { launchChromium } from "../tests/support/browser";

const output = process.argv[2] ?? join(import.meta.dir, "..", "docs", "screenshot.png");
const dataDir = await mkdtemp(join(tmpdir(), "chatd-screenshot-"));
const config = defaultConfig({
  host: "127.0.0.1",
  port: 0,
  dataDir,
  logLevel: "silent",
  jwtSecret: "screenshot-secret-that-is-32-characters-long",
  passwordMemoryKib: 1024,
  passwordTimeCost: 1,
});
const server = await startServer(config, createLogger("silent"));
const browser = await launchChromium();

/** A small PNG (a gradient, RGB, 8 bits) for the conversation's attachment. */
function gradientPng(width: number, height: number): Uint8Array<ArrayBuffer> {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const at = y * (width * 3 + 1) + 1 + x * 3;
      rows[at] = 53 + Math.round((x / width) * 120);
      rows[at + 1] = 89 + Math.round((y / height) * 100);
      rows[at + 2] = 214;
    }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(Bun.hash.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  const png = Buffer.concat([
    signature,
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
  return new Uint8Array(png);
}

async function user(username: string) {
  const client = new ChatClient({ baseUrl: server.url });
  await client.api.auth.signup({ username, email: `${username}@example.com`, password: "correct horse battery" });
  await client.login(username, "correct horse battery");
  return client;
}

try {
  const [ana, bob, cid] = [await user("ana"), await user("bob"), await user("cid")];
  const general = await ana.api.rooms.create({ name: "general", type: "public", description: "Everything chatd" });
  await ana.api.rooms.create({ name: "releases", type: "public" });
  const design = await bob.api.rooms.create({ name: "design", type: "public" });
  for (const client of [bob, cid]) await client.api.rooms.join(general.id);
  await ana.api.rooms.join(design.id);
  const say = (client: ChatClient, content: string) => client.api.messages.send(general.id, { content });
  await say(ana, "Morning! The web app is live: it runs on the same binary as the API.");
  const bobs = await say(bob, "Nice. Does it survive a flaky connection?");
  await say(ana, "It resubscribes from the last position it saw, so nothing is missed or shown twice.");
  const cids = await say(cid, "And sends made while offline go out once it reconnects 🎉");
  const mockup = await bob.uploadAttachment(new File([gradientPng(240, 120)], "mockup.png", { type: "image/png" }));
  const notes = await bob.uploadAttachment(new File(["Release notes\n"], "release-notes.txt", { type: "text/plain" }));
  await bob.api.messages.send(general.id, {
    content: "Mockup and notes attached",
    attachment_ids: [mockup.id, notes.id],
  });
  await bob.api.messages.react(general.id, cids.id, "🎉");
  await ana.api.messages.react(general.id, cids.id, "🎉");
  await ana.api.messages.react(general.id, bobs.id, "👍");
  await bob.api.messages.send(design.id, { content: "New mockups are up" });

  const context = await browser.newContext({ viewport: { width: 1180, height: 680 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const base = server.url;
  await page.goto(`${base}/login`);
  await page.getByLabel("Username or email").fill("ana");
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("link", { name: /general/ }).click();
  await page.getByRole("log", { name: "Messages" }).getByText("reconnects").waitFor();
  const image = page.getByRole("img", { name: "mockup.png" });
  await page.waitForFunction((img: any) => img.complete && img.naturalWidth > 0, await image.elementHandle());
  await page.getByLabel("Search messages").fill("reconnect*");
  bob.connect();
  cid.connect();
  await bob.subscribe(general.id);
  await cid.subscribe(general.id);
  await page.getByRole("complementary", { name: "Online members" }).getByText("cid", { exact: true }).waitFor();
  bob.typing(general.id);
  await page.getByText("bob is typing…").waitFor();
  await page.screenshot({ path: output });
  console.log(`wrote ${output}`);
  for (const client of [ana, bob, cid]) client.close();
} finally {
  await browser.close();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
