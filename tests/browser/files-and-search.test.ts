// Attachments and search in the web app, in a real browser (headless Chromium, two users in two
// browser contexts), driven by labels, button names and the message log region like app.test.ts:
// files picked with "Attach file" upload with their state shown and go with the message; the other
// user sees the image rendered and downloads the file's bytes; a search result opens its room at an
// older message (one the first page of history does not hold).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ChatClient } from "../../clients/js/src";
import { ARTIFACTS, launchChromium, requireChromium } from "../support/browser";
import { S3_ENDPOINT, S3_HOST, S3_PORT, s3Overrides } from "../support/s3";
import { closeClients, type SdkUser, sdkUser } from "../support/sdk";
import { startTestServer, type TestServer } from "../support/server";
import { requireService } from "../support/services";

const chrome = requireChromium();
const s3 = await requireService("s3proxy", S3_HOST, S3_PORT);
const SLOW = 60_000;
/** A 1×1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
const NOTES = "notes from ana\nsecond line\n";

let server: TestServer;
let browser: Browser;
let origin: string;
const problems: string[] = [];
type Person = SdkUser & { page: Page };
let ana: Person;
let bob: Person;
let roomName: string;

beforeAll(async () => {
  if (!chrome.up) return;
  server = await startTestServer({ messagesPerMinute: 10_000 });
  // The address the embedded blob store signs its URLs for (PUBLIC_URL when set, else the server's
  // own): uploads and downloads go to the page's own origin, as in a deployment with PUBLIC_URL.
  origin = server.url;
  browser = await launchChromium();
}, SLOW);
afterAll(async () => {
  closeClients();
  await browser?.close();
  await server?.close();
});

/** A user signed up through the SDK (no page yet). */
const user = (prefix: string, at = origin) => sdkUser(at, prefix);

/** The user logged in through the page's form, in a browser context of their own. */
async function browse(user: SdkUser, at = origin): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 1180, height: 760 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const prefix = user.username;
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`${prefix}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${prefix}: ${error.message}`));
  await page.goto(`${at}/login`);
  await page.getByLabel("Username or email").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
  return { ...user, page };
}

const log = (page: Page) => page.getByRole("log", { name: "Messages" });
const openRoom = async (page: Page, name: string) => {
  await page.getByRole("navigation", { name: "Rooms" }).getByRole("link", { name }).click();
  await page.getByRole("heading", { name }).waitFor();
};

chrome.describe("attachments and search in the web app", () => {
  test(
    "files attached to a message: upload states, the image rendered for the other user, the file downloaded whole",
    async () => {
      const [a, b] = await Promise.all([user("ana"), user("bob")]);
      roomName = `files ${Date.now().toString(36)}`;
      const room = await a.client.api.rooms.create({ name: roomName, type: "public" });
      await b.client.api.rooms.join(room.id);
      [ana, bob] = await Promise.all([browse(a), browse(b)]);
      await Promise.all([ana, bob].map(({ page }) => openRoom(page, roomName)));

      const picked = ana.page.getByRole("list", { name: "Files to send" });
      // A type the server does not allow fails, says why, and holds the message until it is removed.
      await ana.page.getByLabel("Attach file").setInputFiles({
        name: "page.html",
        mimeType: "text/html",
        buffer: Buffer.from("<p>hi</p>"),
      });
      await picked.getByText(/Failed: .*content type/).waitFor();
      // The browser logs the refused request (POST /v1/attachments, 400): expected, the only one.
      const refused = problems.findIndex((p) => p.startsWith(`${ana.username}: `) && p.includes("status of 400"));
      expect(refused).toBeGreaterThanOrEqual(0);
      problems.splice(refused, 1);
      await ana.page.getByLabel("Message", { exact: true }).fill("two files");
      await ana.page.getByRole("button", { name: "Send" }).click();
      await ana.page.getByRole("alert").getByText("Remove the files that could not be uploaded first.").waitFor();
      await picked.getByRole("button", { name: "Remove page.html" }).click();
      await ana.page.getByRole("alert").getByText("Remove the files").waitFor({ state: "detached" });

      await ana.page.getByLabel("Attach file").setInputFiles([
        { name: "dot.png", mimeType: "image/png", buffer: PNG },
        { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from(NOTES) },
      ]);
      await picked.getByText("Ready").nth(1).waitFor();
      expect(await picked.locator("li").allTextContents()).toEqual([
        expect.stringMatching(/^dot\.png .*Ready/),
        expect.stringMatching(/^notes\.txt .*Ready/),
      ]);
      await ana.page.screenshot({ path: join(ARTIFACTS, "attachments-ready.png") });
      await ana.page.getByRole("button", { name: "Send" }).click();
      // Sent: the composer starts afresh.
      await picked.locator("li").first().waitFor({ state: "detached" });

      const message = log(bob.page).getByRole("article", { name: `${ana.username}: two files` });
      const image = message.getByRole("img", { name: "dot.png" });
      await image.waitFor();
      await bob.page.waitForFunction((img: any) => img.complete && img.naturalWidth > 0, await image.elementHandle());
      const link = message.getByRole("link", { name: "notes.txt" });
      await link.waitFor();
      const [download] = await Promise.all([bob.page.waitForEvent("download"), link.click()]);
      expect(download.suggestedFilename()).toBe("notes.txt");
      expect(await readFile((await download.path())!, "utf8")).toBe(NOTES);
      // The sender's own view shows them too.
      const own = log(ana.page).getByRole("article", { name: `${ana.username}: two files` });
      await own.getByRole("img", { name: "dot.png" }).waitFor();
      await own.getByRole("link", { name: "notes.txt" }).waitFor();
      await bob.page.screenshot({ path: join(ARTIFACTS, "attachments-shown.png") });
    },
    SLOW,
  );

  test(
    "a search result names its room, author and the matched word, and opens the room at that message",
    async () => {
      const word = `quokka${Date.now().toString(36)}`;
      const seeder = await sdkUser(origin, "seed");
      const archive = await seeder.client.api.rooms.create({ name: `archive ${word.slice(-6)}`, type: "public" });
      const target = await seeder.client.api.messages.send(archive.id, { content: `the ${word} met a wombat` });
      // More than one page after it: the room opens at its newest page, without the message.
      for (let i = 1; i <= 60; i++) await seeder.client.api.messages.send(archive.id, { content: `later ${i}` });
      const asAna = await ChatClient.login({ baseUrl: origin }, ana.username, ana.password);
      try {
        await asAna.api.rooms.join(archive.id);
        // Indexed in-process shortly after: the page's search runs once the index has it.
        const deadline = Date.now() + 15_000;
        while ((await asAna.api.search.messages({ q: word })).results.length === 0 && Date.now() < deadline)
          await Bun.sleep(100);
      } finally {
        asAna.close();
      }

      const { page } = ana;
      await page.getByLabel("Search messages").fill(word);
      await page.getByRole("button", { name: "Search", exact: true }).click();
      const results = page.getByRole("region", { name: `Results for “${word}”` });
      const result = results.getByRole("link").filter({ hasText: word });
      await result.waitFor();
      expect(await results.getByRole("link").count()).toBe(1);
      expect(await result.textContent()).toContain(archive.name);
      expect(await result.textContent()).toContain(seeder.username);
      expect(await result.locator("mark").allTextContents()).toEqual([word]);
      await results.getByRole("status").getByText("1 message").waitFor();
      await page.screenshot({ path: join(ARTIFACTS, "search-results.png") });

      await result.click();
      await page.getByRole("heading", { name: archive.name }).waitFor();
      expect(await results.isVisible()).toBe(false);
      const found = log(page).getByRole("article", { name: `${seeder.username}: the ${word} met a wombat` });
      await found.waitFor();
      expect(page.url()).toBe(`${origin}/rooms/${archive.id}?message=${target.id}`);
      // Scrolled into view, marked, and focused (a screen reader reads it next).
      await page.waitForFunction(
        (el: any) => {
          const box = el.getBoundingClientRect();
          const window = globalThis as any;
          return box.top >= 0 && box.bottom <= window.innerHeight && window.document.activeElement === el;
        },
        await found.elementHandle(),
      );
      expect(await found.getAttribute("class")).toContain("found");
      await page.screenshot({ path: join(ARTIFACTS, "search-opened.png") });
      // History above and below it is there, each message once.
      const texts = await log(page).locator("article .content").allTextContents();
      expect(texts).toEqual([`the ${word} met a wombat`, ...Array.from({ length: 60 }, (_, i) => `later ${i + 1}`)]);
    },
    SLOW,
  );

  (s3.up ? test : test.skip)(
    "with attachments on S3 the page shows images from the bucket's origin (its CSP names it) and downloads files from there",
    async () => {
      const onS3 = await startTestServer(s3Overrides());
      try {
        // Uploaded through the SDK: a browser's PUT to the test S3 server would need a CORS rule it has not.
        const carol = await browse(await user("carol", onS3.url), onS3.url);
        const room = await carol.client.api.rooms.create({ name: `s3 ${Date.now().toString(36)}`, type: "public" });
        const files = await Promise.all([
          carol.client.uploadAttachment(new File([PNG], "dot.png", { type: "image/png" })),
          carol.client.uploadAttachment(new File([NOTES], "notes.txt", { type: "text/plain" })),
        ]);
        await carol.client.api.messages.send(room.id, { content: "from s3", attachment_ids: files.map((f) => f.id) });
        await carol.page.goto(`${onS3.url}/rooms/${room.id}`);
        const message = log(carol.page).getByRole("article", { name: `${carol.username}: from s3` });
        const image = message.getByRole("img", { name: "dot.png" });
        await image.waitFor();
        await carol.page.waitForFunction(
          (img: any) => img.complete && img.naturalWidth > 0,
          await image.elementHandle(),
        );
        expect(new URL((await image.getAttribute("src"))!).origin).toBe(S3_ENDPOINT);
        const [download] = await Promise.all([
          carol.page.waitForEvent("download"),
          message.getByRole("link", { name: "notes.txt" }).click(),
        ]);
        expect(download.suggestedFilename()).toBe("notes.txt");
        expect(await readFile((await download.path())!, "utf8")).toBe(NOTES);
        await carol.page.context().close();
      } finally {
        await onS3.close();
      }
    },
    SLOW,
  );

  test("no page had a script, CSP or load error", () => {
    expect(problems).toEqual([]);
  });
});
