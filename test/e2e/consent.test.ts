/**
 * Consent in real Chromium (SPEC §2 "Consent and privacy", issue "Proof", item 6), for both tags
 * that can store something: `pp.js` (localStorage outbox) and `pp.idb.js` (IndexedDB outbox).
 *
 * The documented behaviour (sdk/README.md, "Consent and privacy"), asserted here:
 * - with `data-consent="required"` nothing is written — no cookie, no localStorage, sessionStorage or
 *   IndexedDB key, nothing in the context's cookie jar — until consent is granted, also while a
 *   refused send waits for its retry; events are still sent, un-identified (`cl: "1"`, no click IDs),
 *   and the conversion is stored without them;
 * - `navigator.globalPrivacyControl` (set by an init script before the tag loads) makes the tag
 *   cookieless for that visitor whatever `consent` says later: nothing stored, events un-identified;
 * - after `pp('consent', { ad_storage: 'granted', analytics_storage: 'granted' })` the click-ID cookie
 *   `_ppk`, its localStorage mirror and the outbox are written; a withdrawal
 *   (`pp('consent', { ad_storage: 'denied', analytics_storage: 'denied' })`) removes every key the tag
 *   wrote, and the conversion waiting in the outbox is still delivered (from memory), never dropped.
 * Every check reads `document.cookie`, localStorage, sessionStorage, `indexedDB.databases()` (and
 * the entries of each database) from the page, plus `context.cookies()`.
 *
 * Seen failing against deliberately broken builds (never committed), served instead of sdk/dist with
 * `PP_E2E_SDK_DIST=/tmp/…/dist` (a copy of sdk/src patched and built with rollup):
 * - click IDs stored whatever the consent (`if (held[0]) storeClickIds(…)` in tracker.ts `capture`):
 *   the before-consent, GPC and withdrawal tests fail on `cookie:_ppk`, `jar:_ppk@…` and
 *   `localStorage:_ppk`;
 * - the outbox persistent whatever the consent (`const next = persistent` in `apply`): the
 *   before-consent and GPC tests fail on `_ppo.*` keys (pp.js) and the `perfpixel` database
 *   (pp.idb.js), the withdrawal test on the outbox entry left behind;
 * - a withdrawal that keeps the click IDs (`storeClickIds(undefined, …)` removed from `apply`): the
 *   withdrawal test fails on `cookie:_ppk`, `jar:_ppk@…` and `localStorage:_ppk`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, newContext, waitFor } from './support/browser';
import { startE2eServer, type ArrivedEvent, type E2eServer } from './support/e2e-server';
import { readStorage, storedKeys, type StorageSnapshot } from './support/storage';

let server: E2eServer;
let browser: Browser;

beforeAll(async () => {
  server = await startE2eServer();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Another platform's click ID on the landing URL, kept verbatim only with ad_storage. */
const GCLID = 'Cj0KCQ-e2e-consent';

/** Calls the tag in the page: `pp(command, arg)`. */
const pp = (page: Page, command: string, arg: unknown) =>
  page.evaluate(([c, a]) => (window as unknown as { pp: (c: string, a: unknown) => void }).pp(c, a), [command, arg] as const);

const conversionOf = (orderId: string) => ({ action: 'purchase', value: '10.00', currency: 'EUR', orderId });

/** Every event the collector's front door saw since `mark` (an index into `server.arrivals`). */
const eventsSince = (mark: number): ArrivedEvent[] => server.arrivals.slice(mark).flatMap((a) => a.events);

/** The identifying keys an event may carry: our click IDs and the other platforms'. */
const IDENTIFIERS = ['k', 'gclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid'];
const identified = (e: ArrivedEvent) => IDENTIFIERS.some((k) => e[k] !== undefined) || e.cl !== '1';

/** Waits (bounded) until the page's storage satisfies `ok`, then returns the snapshot either way. */
async function storageWhen(page: Page, ok: (s: StorageSnapshot) => boolean, timeoutMs = 3000): Promise<StorageSnapshot> {
  let s = await readStorage(page);
  await waitFor(async () => ok((s = await readStorage(page))), timeoutMs, 50);
  return s;
}

async function withContext(fn: (context: BrowserContext) => Promise<void>, init?: () => void) {
  const context = await newContext(browser);
  try {
    if (init) await context.addInitScript(init);
    await fn(context);
  } finally {
    server.faults.unavailable = null;
    await context.close();
  }
}

describe.each(['pp.js', 'pp.idb.js'])('consent with %s', (build) => {
  const tag = build.replace(/\W/g, '');

  it('writes no cookie and no storage key before consent, and still sends the events un-identified', () =>
    withContext(async (context) => {
      const order = `C-before-${tag}`;
      const mark = server.arrivals.length;
      // The first send is refused, so the tag also has to keep a retry somewhere: memory only.
      server.faults.unavailable = 1;
      const page = await context.newPage();
      await page.goto(server.site(`/thanks?build=${build}&consent=required&o=${order}&ppclid=${server.clickId}&gclid=${GCLID}`));
      expect(await waitFor(() => server.arrivalsOf(order).some((a) => a.status === 503), 5000), 'first send refused').toBe(true);
      expect(storedKeys(await readStorage(page)), 'stored while a retry waits').toEqual([]);
      server.faults.unavailable = null;
      expect(await waitFor(() => server.committed.has(order), 10_000), 'conversion delivered').toBe(true);

      // Another page of the site, still without consent.
      await page.goto(server.site(`/revisit?build=${build}&consent=required`));
      await waitFor(() => eventsSince(mark).filter((e) => e.t === 'pv').length >= 2, 5000);
      const s = await readStorage(page);
      expect(storedKeys(s), 'stored before consent').toEqual([]);
      expect(s.indexedDb.map((d) => d.name), 'IndexedDB databases before consent').toEqual([]);
      expect(await context.cookies(), 'cookie jar').toEqual([]);

      const events = eventsSince(mark);
      expect(new Set(events.map((e) => e.t)), 'page views and the conversion were sent').toEqual(new Set(['pv', 'cv']));
      expect(events.filter(identified), 'events with identifiers before consent').toEqual([]);
      const stored = await server.h.store.reports.conversions({ advertiserId: server.world.advertiserId }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 100_000);
      const row = stored.find((c) => c.orderId === order);
      expect([row?.clickIds, row?.otherClickIds, row?.status], 'the conversion, stored un-identified').toEqual([[], {}, 'unattributed']);
    }));

  it('honours Global Privacy Control as an opt-out: nothing stored and no identifiers, even after consent is granted', () =>
    withContext(
      async (context) => {
        const [first, second] = [`C-gpc-1-${tag}`, `C-gpc-2-${tag}`];
        const mark = server.arrivals.length;
        // Each conversion's first send is refused, so there is a retry the tag could be tempted to store.
        server.faults.unavailable = 1;
        const page = await context.newPage();
        // No data-consent: consent is granted by default, so only GPC can keep the tag cookieless.
        await page.goto(server.site(`/thanks?build=${build}&o=${first}&ppclid=${server.clickId}&gclid=${GCLID}`));
        expect(await page.evaluate(() => (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl)).toBe(true);
        expect(await waitFor(() => server.arrivalsOf(first).some((a) => a.status === 503), 5000), 'first send refused').toBe(true);
        expect(storedKeys(await readStorage(page)), 'stored under GPC, before any consent call').toEqual([]);

        server.faults.unavailable = 30;
        await pp(page, 'consent', { ad_storage: 'granted', analytics_storage: 'granted' });
        await pp(page, 'conversion', conversionOf(second));
        expect(await waitFor(() => server.arrivalsOf(second).some((a) => a.status === 503), 5000), 'second send refused').toBe(true);
        expect(storedKeys(await readStorage(page)), 'stored under GPC after consent was granted').toEqual([]);

        // The collector recovers; `online` skips the backoff.
        server.faults.unavailable = null;
        await context.setOffline(true);
        await context.setOffline(false);
        expect(await waitFor(() => server.committed.has(first) && server.committed.has(second), 10_000), 'both conversions delivered').toBe(true);
        const s = await readStorage(page);
        expect(storedKeys(s), 'stored under GPC').toEqual([]);
        expect(s.indexedDb.map((d) => d.name), 'IndexedDB databases under GPC').toEqual([]);
        expect(await context.cookies(), 'cookie jar').toEqual([]);
        const events = eventsSince(mark);
        expect([...new Set(events.filter((e) => e.t === 'cv').map((e) => e.o))].sort()).toEqual([first, second].sort());
        expect(events.filter(identified), 'events with identifiers under GPC').toEqual([]);
      },
      () => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true }),
    ));

  it('removes every key it wrote when consent is withdrawn, and still delivers the conversion it held', () =>
    withContext(async (context) => {
      const order = `C-withdrawn-${tag}`;
      const page = await context.newPage();
      await page.goto(server.site(`/landing?build=${build}&consent=required&ppclid=${server.clickId}&gclid=${GCLID}`));
      expect(storedKeys(await readStorage(page)), 'stored before consent').toEqual([]);

      await pp(page, 'consent', { ad_storage: 'granted', analytics_storage: 'granted' });
      // A conversion the collector refuses for a long while (Retry-After: 30): it waits in the outbox.
      server.faults.unavailable = 30;
      await pp(page, 'conversion', conversionOf(order));
      expect(await waitFor(() => server.arrivalsOf(order).some((a) => a.status === 503), 5000), 'send refused').toBe(true);
      const outbox = build === 'pp.js' ? (k: string) => k.startsWith('localStorage:_ppo.') : (k: string) => k.startsWith('indexedDB:perfpixel/outbox');
      const granted = storedKeys(await storageWhen(page, (s) => storedKeys(s).some(outbox)));
      // The cookie goes on the registrable domain the browser accepts: `.shop.localhost` here.
      expect(granted.filter((k) => !outbox(k)), 'written after consent').toEqual(['cookie:_ppk', 'jar:_ppk@.shop.localhost', 'localStorage:_ppk']);
      expect(granted.filter(outbox), 'the waiting conversion in the outbox').toHaveLength(1);
      const [sent] = server.arrivalsOf(order)[0]!.events.filter((e) => e.o === order);
      expect([sent?.k, sent?.gclid, sent?.cl], 'identified after consent').toEqual([server.clickId, GCLID, undefined]);

      await pp(page, 'consent', { ad_storage: 'denied', analytics_storage: 'denied' });
      const withdrawn = await storageWhen(page, (s) => storedKeys(s).length === 0);
      expect(storedKeys(withdrawn), `left after withdrawal (was: ${granted.join(', ')})`).toEqual([]);
      expect(await context.cookies(), 'cookie jar after withdrawal').toEqual([]);
      if (build === 'pp.js') expect(withdrawn.indexedDb, 'IndexedDB').toEqual([]);
      console.log(`${build}: written after consent ${granted.join(', ')}; after withdrawal: ${storedKeys(withdrawn).join(', ') || 'nothing'}, IndexedDB databases ${JSON.stringify(withdrawn.indexedDb)}`);

      // The collector recovers; the browser's `online` skips the 30 s backoff. Delivered, nothing rewritten.
      server.faults.unavailable = null;
      await context.setOffline(true);
      await context.setOffline(false);
      expect(await waitFor(() => server.committed.has(order), 10_000), 'held conversion delivered after withdrawal').toBe(true);
      const delivered = server.arrivalsOf(order).find((a) => a.status === 202)!.events.find((e) => e.o === order)!;
      console.log(`${build}: the conversion held at withdrawal was delivered with k=${delivered.k ?? '-'} gclid=${delivered.gclid ?? '-'} cl=${delivered.cl ?? '-'}`);
      const mark = server.arrivals.length;
      await page.goto(server.site(`/revisit?build=${build}&consent=required`));
      await waitFor(() => eventsSince(mark).some((e) => e.t === 'pv'), 5000);
      expect(storedKeys(await readStorage(page)), 'stored after withdrawal and a new page').toEqual([]);
      expect(await context.cookies()).toEqual([]);
      expect(eventsSince(mark).filter(identified), 'events with identifiers after withdrawal').toEqual([]);
    }));
});
