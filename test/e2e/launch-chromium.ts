/**
 * Debian's Chromium, driven by playwright-core (no browser download), plus what every journey needs
 * from it: a context that does not look like a bot, a record of console errors per page, and the
 * page's layout shifts.
 *
 * ```ts
 * const browser = await launchChromium();          // from support/browser.ts
 * const context = await newHumanContext(browser);
 * const errors = watchErrors(context);               // errors.on(url => url.includes('/news/'))
 * const shifts = await layoutShifts(page);           // [{ value, hadRecentInput, sources }]
 * ```
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './support/browser';

// One launcher for every real-browser suite and the SDK benchmark (support/browser.ts).
export { launchChromium };

/**
 * The user agent of a desktop Chrome of the same version. Headless Chromium says "HeadlessChrome",
 * which isbot (and so the collector's GIVT filter, SPEC §3.6) rightly files as a declared bot: its
 * impressions and clicks would be stored as invalid and never earn a conversion.
 */
export function chromeUserAgent(version: string): string {
  const major = version.split('.')[0];
  return `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36`;
}

/** A context with a human's user agent, a desktop viewport and the layout-shift recorder installed. */
export async function newHumanContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({
    userAgent: chromeUserAgent(browser.version()),
    viewport: { width: 1280, height: 800 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(15_000);
  await context.addInitScript(recordLayoutShifts);
  return context;
}

/** One `layout-shift` performance entry, as the page saw it. */
export interface LayoutShift {
  value: number;
  hadRecentInput: boolean;
  sources: string[];
}

declare global {
  interface Window {
    __e2eLayoutShifts?: LayoutShift[];
  }
}

/**
 * Runs in every page before its own scripts: keeps each layout shift (Layout Instability API, the
 * input of CLS) with the elements that moved. `buffered` also delivers shifts from before it ran.
 */
function recordLayoutShifts(): void {
  const shifts: LayoutShift[] = (window.__e2eLayoutShifts = []);
  const describe = (n: Node | null) => {
    if (!n) return '?';
    const e = n as Element;
    return e.tagName ? `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className && typeof e.className === 'string' ? `.${e.className.split(' ').join('.')}` : ''}` : n.nodeName;
  };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean; sources?: { node: Node | null }[] })[]) {
        shifts.push({ value: e.value, hadRecentInput: e.hadRecentInput, sources: (e.sources ?? []).map((s) => describe(s.node)) });
      }
    }).observe({ type: 'layout-shift', buffered: true });
  } catch {
    // No Layout Instability API: the list stays empty and the bounding-box check still runs.
  }
}

/** The layout shifts a page has had so far. */
export async function layoutShifts(page: Page): Promise<LayoutShift[]> {
  return page.evaluate(() => window.__e2eLayoutShifts ?? []);
}

/** A console error or uncaught exception, with the page it happened on. */
export interface PageError {
  url: string;
  text: string;
}

/** Collects console errors and uncaught exceptions of every page of a context, from its first moment. */
export function watchErrors(context: BrowserContext): { all: PageError[]; on(match: (url: string) => boolean): PageError[] } {
  const all: PageError[] = [];
  context.on('console', (m) => {
    if (m.type() === 'error') all.push({ url: m.page()?.url() ?? '', text: `${m.text()} (${m.location().url}:${m.location().lineNumber})` });
  });
  context.on('weberror', (e) => all.push({ url: e.page()?.url() ?? '', text: `uncaught: ${e.error().message}` }));
  return { all, on: (match) => all.filter((e) => match(e.url)) };
}
