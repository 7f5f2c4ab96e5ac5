/**
 * Debian's Chromium driven by playwright-core, for the real-browser suites. No browser is ever
 * downloaded: the binary is the system package (`apt-get install -y chromium`).
 *
 * ```ts
 * const browser = await launchChromium();
 * const context = await newContext(browser);
 * const page = await context.newPage();
 * ```
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core';

/** Where Debian installs Chromium; `PP_CHROMIUM` overrides it. */
export const CHROMIUM_PATH = process.env.PP_CHROMIUM ?? '/usr/bin/chromium';

/**
 * A desktop Chrome user agent. Headless Chromium's own says `HeadlessChrome`, which isbot (and so the
 * collector's invalid-traffic filter) flags as a declared bot: its events would be stored, never billed.
 */
export const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** Launches headless Chromium; one per suite, with a context per batch of runs. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: run \`apt-get update && apt-get install -y chromium\` (never download a browser build)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      // The context's user agent is a per-page override: a keepalive request still in flight when its
      // page is gone goes out with the browser's own (HeadlessChrome), and is stored as a declared bot.
      `--user-agent=${CHROME_UA}`,
    ],
  });
}

/** A fresh profile (cookies, storage, IndexedDB) with a normal Chrome user agent. */
export function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ userAgent: CHROME_UA, ...options });
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every `stepMs` until it holds (true) or `timeoutMs` passed (false). */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(stepMs);
  }
}
