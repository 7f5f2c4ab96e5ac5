/**
 * Wire contract, answer by answer: what the SDK does with each real answer of the collector
 * (ARCHITECTURE.md "Wire format": the SDK removes an event on any 2xx and on
 * 400/401/403/409/410/413/415/422, and retries everything else, never sooner than `Retry-After`).
 *
 * | answer | produced here by                                               | the SDK                           |
 * |--------|----------------------------------------------------------------|-----------------------------------|
 * | 202    | a batch the collector committed                                 | removes the events                |
 * | 409    | a reloaded thank-you page (same order ID); an event_id reused with another payload | removes, logs in debug mode |
 * | 422    | a conversion action the collector refuses (`Sign Up`)         | removes, logs in debug mode       |
 * | 400    | a malformed site ID                                             | removes, logs in debug mode       |
 * | 403    | a page origin not on the site's allow-list                      | removes, logs in debug mode       |
 * | 429    | a collector with a tiny per-source rate                         | retries after `Retry-After`       |
 * | 503    | a collector with `maxQueue: 1` whose store is blocked           | retries after `Retry-After`       |
 */
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { init, trackConversion } from '../../sdk/src/index';
import { COLLECTOR, createContractCollector, createSdkBrowser, type ContractCollector, type SdkBrowser, type SdkBrowserOptions } from './sdk-browser';
import type { HarnessOptions } from '../../collector/src/test-fixtures';

let c: ContractCollector | undefined;
const pages: SdkBrowser[] = [];
let log: MockInstance<typeof console.log>;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  // No jitter: the first retry's backoff is exactly 1 s, so a longer Retry-After is visible.
  vi.spyOn(Math, 'random').mockReturnValue(0);
  log = vi.spyOn(console, 'log').mockImplementation(() => {});
});
afterEach(async () => {
  pages.splice(0).map((b) => b.close());
  vi.useRealTimers();
  vi.restoreAllMocks();
  await c?.close();
  c = undefined;
});

/** A collector, then a page of the shop with the SDK in debug mode, its first page view answered. */
const start = async (o: { collector?: HarnessOptions; url?: string; site?: string; browser?: SdkBrowserOptions } = {}) => {
  c = await createContractCollector(o.collector);
  const b = createSdkBrowser(c, o.url ?? 'https://shop.example/thanks', o.browser);
  pages.push(b);
  init({ site: o.site ?? 'site_shop', endpoint: COLLECTOR, debug: true }, b.deps);
  await b.settle();
  return { c, b };
};

/** The debug lines the SDK logged for a status (`[pp] 409 {batch}`). */
const logged = (status: number) => log.mock.calls.filter((a: unknown[]) => a[0] === '[pp]' && a[1] === status);

describe('final answers', () => {
  it('202: the event leaves the outbox only once the collector has committed it', async () => {
    let atDelivery: unknown[] = [];
    const { c, b } = await start({ browser: { beforeDeliver: (r) => void (r.body.includes('"cv"') && (atDelivery = pages[0]!.outbox().map((x) => x.e.t))) } });
    trackConversion({ action: 'purchase', value: '10', currency: 'EUR', orderId: 'OK-1' });
    await b.settle();
    expect(atDelivery).toEqual(['cv']);
    expect(b.beacons().map((r) => r.status)).toEqual([202, 202]);
    expect(b.outbox()).toEqual([]);
    expect(await c.conversions()).toMatchObject([{ orderId: 'OK-1' }]);
    await b.advance(3_600_000);
    expect(b.beacons()).toHaveLength(2);
  });

  it('409: a reloaded thank-you page sends the order again; the collector refuses it and the SDK drops it', async () => {
    const { c, b } = await start();
    trackConversion({ action: 'purchase', value: '10', currency: 'EUR', orderId: 'R-1' });
    await b.settle();
    const reload = createSdkBrowser(c, 'https://shop.example/thanks', { profile: b.profile() });
    pages.push(reload);
    init({ site: 'site_shop', endpoint: COLLECTOR, debug: true }, reload.deps);
    await reload.settle();
    trackConversion({ action: 'purchase', value: '10', currency: 'EUR', orderId: 'R-1' });
    await reload.settle();

    const refused = reload.beacons().at(-1)!;
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.responseBody!)).toMatchObject({ accepted: 0, conflict: [{ reason: expect.stringContaining('order R-1 was already converted') }] });
    expect(reload.outbox()).toEqual([]);
    expect(logged(409)).toHaveLength(1);
    await reload.advance(3_600_000);
    expect(reload.beacons().filter((r) => r.status === 409)).toHaveLength(1);
    expect((await c.conversions()).map((x) => x.orderId)).toEqual(['R-1']);
  });

  it('409: an event_id already stored with another payload is refused, changes nothing, and is dropped', async () => {
    let first = true;
    const { c, b } = await start({
      browser: {
        // Someone else gets the SDK's event_id to the collector first, with another value.
        async beforeDeliver(r) {
          if (!first || !r.body.includes('"cv"')) return;
          first = false;
          const e = JSON.parse(r.body).e[0];
          const res = await c.h.beacon('site_shop', [{ ...e, v: '99.00' }], { origin: 'https://shop.example' });
          expect(res.status).toBe(202);
        },
      },
    });
    trackConversion({ action: 'purchase', value: '10', currency: 'EUR', orderId: 'E-1' });
    await b.settle();
    const refused = b.beacons().at(-1)!;
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.responseBody!)).toMatchObject({ conflict: [{ i: JSON.parse(refused.body).e[0].i, reason: 'event_id reused with a different payload' }] });
    expect(b.outbox()).toEqual([]);
    expect(logged(409)).toHaveLength(1);
    expect((await c.conversions()).map((x) => x.valueMicros)).toEqual([99_000_000n]);
    await b.advance(3_600_000);
    expect(b.beacons().filter((r) => r.status === 409)).toHaveLength(1);
  });

  it('422: a conversion the collector cannot take is kept in rejected_events, and the SDK drops it', async () => {
    const { c, b } = await start();
    trackConversion({ action: 'Sign Up', value: '10', currency: 'EUR' });
    await b.settle();
    const refused = b.beacons().at(-1)!;
    expect(refused.status).toBe(422);
    expect(b.outbox()).toEqual([]);
    expect(logged(422)).toHaveLength(1);
    expect(await c.rows('rejected_events')).toMatchObject([{ site_id: 'site_shop', event_type: 'cv', event_id: JSON.parse(refused.body).e[0].i, reason: 'invalid_event', detail: expect.stringMatching(/^a: /) }]);
    expect(await c.conversions()).toEqual([]);
    await b.advance(3_600_000);
    expect(b.beacons()).toHaveLength(2);
  });

  it('400: a batch with a malformed site ID is refused whole and the SDK drops it', async () => {
    const { c, b } = await start({ site: 'my shop' });
    expect(b.beacons().map((r) => r.status)).toEqual([400]);
    expect(JSON.parse(b.beacons()[0]!.responseBody!)).toMatchObject({ error: 'invalid_batch', reason: expect.stringMatching(/^s: /) });
    expect(b.outbox()).toEqual([]);
    expect(logged(400)).toHaveLength(1);
    expect(await c.rows('rejected_events')).toMatchObject([{ reason: 'invalid_batch' }]);
    await b.advance(3_600_000);
    expect(b.beacons()).toHaveLength(1);
  });

  it('403: a page on an origin the site does not allow is refused and the SDK drops it', async () => {
    const { c, b } = await start({ url: 'https://copycat.example/' });
    expect(b.beacons().map((r) => r.status)).toEqual([403]);
    expect(b.outbox()).toEqual([]);
    expect(logged(403)).toHaveLength(1);
    expect(await c.rows('rejected_events')).toMatchObject([{ reason: 'origin_not_allowed', detail: 'https://copycat.example' }]);
    await b.advance(3_600_000);
    expect(b.beacons()).toHaveLength(1);
  });
});

describe('answers to retry (Retry-After read across origins)', () => {
  /** Steps the clocks and asserts when the SDK's next attempt comes: not before `after` ms, exactly then. */
  const expectRetryAt = async (b: SdkBrowser, after: number, refusedAt: number) => {
    const before = b.beacons().length;
    await b.advance(1000); // when the backoff alone (1 s, no jitter) would retry
    expect(b.beacons()).toHaveLength(before);
    await b.advance(after - 1000 - 1);
    expect(b.beacons()).toHaveLength(before);
    await b.advance(1);
    expect(b.beacons()).toHaveLength(before + 1);
    expect(b.beacons().at(-1)!.at - refusedAt).toBe(after);
  };

  it('429: waits the collector’s Retry-After, not just its own backoff, then gets the conversion in', async () => {
    const { c, b } = await start({ collector: { rate: { rate: 0.2, burst: 1 } } });
    trackConversion({ action: 'purchase', value: '10', currency: 'EUR', orderId: 'RL-1' });
    await b.settle();
    const limited = b.beacons().at(-1)!;
    expect(limited.status).toBe(429);
    expect(limited.responseHeaders).toMatchObject({ 'retry-after': '5', 'access-control-expose-headers': 'Retry-After' });
    expect(b.outbox()).toMatchObject([{ e: { t: 'cv', o: 'RL-1' }, n: 1, w: limited.at + 5000 }]);
    await expectRetryAt(b, 5000, limited.at);
    expect(b.beacons().at(-1)!.status).toBe(202);
    expect(b.outbox()).toEqual([]);
    expect(await c.conversions()).toMatchObject([{ orderId: 'RL-1', valueMicros: 10_000_000n }]);
  });

  it('503: a full commit queue behind a blocked store answers Retry-After; the SDK retries then, and the event is stored once', async () => {
    const { c, b } = await start({ collector: { maxQueue: 1 } });
    c.gate.hold();
    const filler = c.h.beacon('site_shop', [{ t: 'pv', i: 'filler-page-view', ts: c.h.clock() }]);
    await vi.waitFor(() => expect(c.gate.waiting).toBe(1));
    trackConversion({ action: 'purchase', value: '10', currency: 'EUR', orderId: 'OV-1' });
    await b.settle();
    const overloaded = b.beacons().at(-1)!;
    expect(overloaded.status).toBe(503);
    expect(overloaded.responseHeaders).toMatchObject({ 'retry-after': '2', 'access-control-expose-headers': 'Retry-After' });
    expect(b.outbox()).toMatchObject([{ e: { t: 'cv', o: 'OV-1' }, n: 1 }]);
    c.gate.release();
    expect((await filler).status).toBe(202);

    await expectRetryAt(b, 2000, overloaded.at);
    expect(b.beacons().at(-1)!.status).toBe(202);
    expect(b.outbox()).toEqual([]);
    expect(await c.conversions()).toMatchObject([{ orderId: 'OV-1' }]);
    expect((await c.h.store.reports.counts()).conversions).toBe(1);
  });
});
