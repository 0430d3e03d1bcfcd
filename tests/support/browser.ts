// Headless Chromium for the browser tests: Debian's package (scripts/services/chromium installs it)
// driven by playwright-core, a fresh profile per launch, and the project's skip rule (skipped loudly
// on a developer machine without it, a failure with CI=true).
import { describe } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Where screenshots and other artifacts of a test run go (git-ignored). */
export const ARTIFACTS = join(import.meta.dir, "..", "..", ".test-results", "browser");

export function requireChromium(): { up: boolean; describe: typeof describe } {
  if (existsSync(CHROMIUM)) return { up: true, describe };
  const problem = `${CHROMIUM} not found`;
  if (process.env.CI === "true") throw new Error(`${problem} (CI=true: the browser tests must run)`);
  console.warn(`\n*** SKIPPED: ${problem} — run scripts/services/chromium start ***\n`);
  return { up: false, describe: describe.skip };
}

/** A headless Chromium with a fresh temporary profile (playwright creates one per launch). */
export async function launchChromium(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
