// The web app in a real browser (headless Chromium, two users in two browser contexts), driven the
// way a person with a screen reader would: by labels, button names and the message log region.
// Sign up, verify by the mailed link, log in, a room and a DM with live messages and typing both
// ways, unread badges, edits, deletions, reactions, infinite scroll, a reload that keeps the session,
// and an offline spell after which every missed message shows once, in order.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ARTIFACTS, launchChromium, requireChromium } from "../support/browser";
import { uniqueUser } from "../support/client";
import { closeClients, sdkUser } from "../support/sdk";
import { startTestServer, type TestServer } from "../support/server";

const chrome = requireChromium();
const SLOW = 60_000;

let server: TestServer;
let browser: Browser;
/** The app's origin as the mails name it (localhost), so the mailed link opens in the same origin. */
let origin: string;
const problems: string[] = [];

type Person = { username: string; email: string; password: string; context: BrowserContext; page: Page };
let ana: Person;
let bob: Person;
let roomName: string;

beforeAll(async () => {
  if (!chrome.up) return;
  server = await startTestServer({ messagesPerMinute: 10_000 });
  origin = `http://localhost:${server.port}`;
  browser = await launchChromium();
}, SLOW);
afterAll(async () => {
  closeClients();
  await browser?.close();
  await server?.close();
});

async function person(prefix: string): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 1180, height: 760 } });
  const page = await context.newPage();
  // Generous for a busy machine: every wait is for a condition, never for a fixed time.
  page.setDefaultTimeout(20_000);
  // A CSP violation, a failed asset or a script error shows here: the test fails on any.
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`${prefix}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${prefix}: ${error.message}`));
  return { ...uniqueUser(prefix), context, page };
}

const log = (page: Page) => page.getByRole("log", { name: "Messages" });
/** The texts of the messages in the log, in order. */
const logTexts = (page: Page) => log(page).locator("article .content").allTextContents();

async function signUpVerifyAndLogIn(who: Person) {
  const { page } = who;
  await page.goto(`${origin}/signup`);
  await page.getByLabel("Username").fill(who.username);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByText("Account created").waitFor();

  const mail = await server.outbox.latest(who.email, /verify/i);
  const link = /Or open: (\S+)/.exec(mail.text ?? "")?.[1];
  expect(link).toStartWith(`${origin}/verify-email?token=`);
  await page.goto(link!);
  await page.getByText(`Your email ${who.email} is verified.`).waitFor();
  await page.getByRole("link", { name: "Log in" }).click();

  await page.getByLabel("Username or email").fill(who.username);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByText(`Signed in as ${who.username}`).waitFor();
  await page.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
}

async function send(page: Page, text: string) {
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByRole("button", { name: "Send" }).click();
  await log(page).getByText(text, { exact: true }).waitFor();
}

chrome.describe("the web app", () => {
  test(
    "sign up, verify by the mailed link, log in; a reload keeps the session",
    async () => {
      ana = await person("ana");
      bob = await person("bob");
      await signUpVerifyAndLogIn(ana);
      await signUpVerifyAndLogIn(bob);
      await ana.page.reload();
      await ana.page.getByText(`Signed in as ${ana.username}`).waitFor();
      await ana.page.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
    },
    SLOW,
  );

  test(
    "two users chat live in a room, and see each other type",
    async () => {
      roomName = `general ${Date.now().toString(36)}`;
      await ana.page.getByLabel("Room name").fill(roomName);
      await ana.page.getByRole("button", { name: "Create room" }).click();
      await ana.page.getByRole("heading", { name: roomName }).waitFor();

      await bob.page.reload(); // the public room list as it is now
      await bob.page.getByRole("button", { name: `Join ${roomName}` }).click();
      await bob.page.getByRole("heading", { name: roomName }).waitFor();
      await ana.page
        .getByRole("complementary", { name: "Online members" })
        .getByText(bob.username, { exact: true })
        .waitFor();

      await ana.page.getByLabel("Message", { exact: true }).pressSequentially("hel");
      await bob.page.getByText(`${ana.username} is typing…`).waitFor();
      await send(ana.page, "hello bob");
      await log(bob.page).getByText("hello bob", { exact: true }).waitFor();
      // The message ends the typing indicator.
      await bob.page.getByText(`${ana.username} is typing…`).waitFor({ state: "hidden" });

      await bob.page.getByLabel("Message", { exact: true }).pressSequentially("hi a");
      await ana.page.getByText(`${bob.username} is typing…`).waitFor();
      await send(bob.page, "hi ana");
      await log(ana.page).getByText("hi ana", { exact: true }).waitFor();
      expect(await logTexts(ana.page)).toEqual(["hello bob", "hi ana"]);
      expect(await logTexts(bob.page)).toEqual(["hello bob", "hi ana"]);
    },
    SLOW,
  );

  test(
    "a message to a room one is not looking at shows as an unread badge until it is opened",
    async () => {
      await bob.page.getByRole("link", { name: "chatd" }).click();
      await bob.page.getByText(`Welcome, ${bob.username}`).waitFor();
      await send(ana.page, "are you there?");
      const entry = bob.page
        .getByRole("navigation", { name: "Rooms" })
        .getByRole("link", { name: new RegExp(roomName) });
      await entry.getByLabel("1 unread").waitFor();
      await entry.click();
      await log(bob.page).getByText("are you there?", { exact: true }).waitFor();
      expect(await entry.getByLabel(/unread/).count()).toBe(0);
    },
    SLOW,
  );

  test(
    "edits, deletions and reactions reach the other user live",
    async () => {
      const mine = log(ana.page).getByRole("article", { name: `${ana.username}: are you there?` });
      await mine.getByRole("button", { name: "Edit" }).click();
      await mine.getByLabel("Edit message").fill("are you still there?");
      await mine.getByRole("button", { name: "Save" }).click();
      const edited = log(bob.page).getByRole("article", { name: `${ana.username}: are you still there?` });
      await edited.getByText("(edited)").waitFor();

      await edited.getByRole("button", { name: "React with 👍" }).click();
      const reaction = log(ana.page)
        .getByRole("article", { name: `${ana.username}: are you still there?` })
        .getByRole("button", { name: /👍 1/ });
      await reaction.waitFor();
      expect(await reaction.getAttribute("aria-pressed")).toBe("false");
      await edited.getByRole("button", { name: "👍 1, remove your reaction" }).waitFor();

      await log(ana.page)
        .getByRole("article", { name: `${ana.username}: hello bob` })
        .getByRole("button", { name: "Delete" })
        .click();
      await log(bob.page)
        .getByRole("article", { name: `${ana.username}: message deleted` })
        .waitFor();
      // Only one's own messages can be edited or deleted.
      expect(
        await log(bob.page)
          .getByRole("article", { name: `${ana.username}: are you still there?` })
          .getByRole("button", { name: "Edit" })
          .count(),
      ).toBe(0);
    },
    SLOW,
  );

  test(
    "a DM: both open it from the room's online members and chat live, typing included",
    async () => {
      await bob.page.getByRole("button", { name: `Message ${ana.username}` }).click();
      await bob.page.getByRole("heading", { name: `Direct message with ${ana.username}` }).waitFor();
      await send(bob.page, "psst, private");
      await ana.page.getByRole("button", { name: `Message ${bob.username}` }).click();
      await ana.page.getByRole("heading", { name: `Direct message with ${bob.username}` }).waitFor();
      await log(ana.page).getByText("psst, private", { exact: true }).waitFor();
      await ana.page.getByLabel("Message", { exact: true }).pressSequentially("sure");
      await bob.page.getByText(`${ana.username} is typing…`).waitFor();
      await send(ana.page, "sure, tell me");
      await log(bob.page).getByText("sure, tell me", { exact: true }).waitFor();
      for (const page of [ana.page, bob.page]) {
        const dms = page.getByRole("navigation", { name: "Rooms" });
        await dms.getByRole("link", { name: page === ana.page ? bob.username : ana.username }).waitFor();
      }
    },
    SLOW,
  );

  test(
    "offline while the other sends: back online, every missed message shows once, in order",
    async () => {
      await bob.page.getByRole("link", { name: new RegExp(roomName) }).click();
      await ana.page.getByRole("link", { name: new RegExp(roomName) }).click();
      await log(bob.page).getByText("hi ana", { exact: true }).waitFor();
      const before = await logTexts(bob.page);
      await bob.context.setOffline(true);
      await bob.page.getByRole("status", { name: "Connection" }).getByText("Offline").waitFor();
      const missed = ["while you were away 1", "while you were away 2", "while you were away 3"];
      for (const text of missed) await send(ana.page, text);
      expect(await logTexts(bob.page)).toEqual(before);
      await bob.context.setOffline(false);
      await log(bob.page).getByText(missed[2]!, { exact: true }).waitFor();
      await bob.page.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
      expect(await logTexts(bob.page)).toEqual([...before, ...missed]);
      expect(await logTexts(ana.page)).toEqual([...before, ...missed]);
      await bob.page.screenshot({ path: join(ARTIFACTS, "after-offline.png") });
    },
    SLOW,
  );

  test(
    "history loads older pages as the user scrolls up (infinite scroll), each message once",
    async () => {
      const seeder = await sdkUser(server.url, "seed");
      const room = await seeder.client.api.rooms.create({ name: `history ${Date.now().toString(36)}`, type: "public" });
      for (let i = 1; i <= 75; i++) await seeder.client.api.messages.send(room.id, { content: `old ${i}` });
      await ana.page.goto(`${origin}/rooms/${room.id}`);
      await ana.page
        .getByRole("main")
        .getByRole("button", { name: `Join ${room.name}` })
        .click();
      await log(ana.page).getByText("old 75", { exact: true }).waitFor();
      expect((await logTexts(ana.page)).length).toBe(50);
      await ana.page.getByRole("button", { name: "Load older messages" }).scrollIntoViewIfNeeded();
      await log(ana.page).getByText("old 1", { exact: true }).waitFor();
      expect(await logTexts(ana.page)).toEqual(Array.from({ length: 75 }, (_, i) => `old ${i + 1}`));
    },
    SLOW,
  );

  test(
    "the chat view, as a screenshot (a test artifact); no page had a script, CSP or load error",
    async () => {
      await ana.page.getByRole("link", { name: new RegExp(roomName) }).click();
      await bob.page.getByLabel("Message", { exact: true }).pressSequentially("one more");
      await ana.page.getByText(`${bob.username} is typing…`).waitFor();
      await ana.page.screenshot({ path: join(ARTIFACTS, "chat.png") });
      expect(problems).toEqual([]);
    },
    SLOW,
  );
});
