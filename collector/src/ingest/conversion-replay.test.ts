/**
 * "A conversion replay is charged once" (SPEC §5): the same conversion beacon sent 1,000 times, 50
 * at a time, then the collector restarted on the same SQLite file and the beacon replayed again.
 * Exactly one conversion, one charge group, a balanced ledger; the same order with another amount
 * is a 409 that changes nothing. The signed postback gets the same treatment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../store/open-store';
import {
  balance,
  clickThrough,
  createHarness,
  createTestClock,
  eventId,
  expectLedgerBalanced,
  metric,
  scrape,
  seedWorld,
  serveAd,
  type Harness,
  type World,
} from '../test-fixtures';

const REPLAYS = 1000;
const WAVE = 50;

let dir: string;
let file: string;
const clock = createTestClock();
let h: Harness;
let w: World;
let beacon: Record<string, unknown>;
let postback: Record<string, unknown>;

/** A collector on the shared file, with a rate limit that lets the replays through. */
const open = async () => createHarness({ store: await openStore(file, { clock }), clock, rate: { rate: 1e6, burst: 1e6 } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pp-replay-'));
  file = join(dir, 'perfpixel.db');
  h = await open();
  w = await seedWorld(h); // CPA 5.00 flat, publisher 70 %
  const { clickId } = await clickThrough(h, (await serveAd(h, w.slotId)).tk);
  clock.advance(60_000);
  beacon = { t: 'cv', i: eventId('replayed'), ts: clock(), a: 'purchase', k: clickId, v: '49.90', c: 'EUR', o: 'ORD-1' };
  postback = { event_id: eventId('replayed-s2s'), action: 'signup', click_id: clickId, order_id: 'SIGNUP-1', value: '0', currency: 'EUR' };
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends the beacon `n` times, `WAVE` concurrently; returns the summed summaries. */
async function replay(n: number) {
  const sum = { accepted: 0, duplicate: 0, other: 0 };
  for (let k = 0; k < n; k += WAVE) {
    const answers = await Promise.all(Array.from({ length: Math.min(WAVE, n - k) }, () => h.beacon(w.shopSiteId, [beacon], { origin: 'https://shop.example' })));
    for (const res of answers) {
      expect(res.status).toBe(202);
      const body = (await res.json()) as { accepted: number; duplicate: number; rejected: unknown[]; conflict: unknown[] };
      sum.accepted += body.accepted;
      sum.duplicate += body.duplicate;
      sum.other += body.rejected.length + body.conflict.length;
    }
  }
  return sum;
}

/** The money and rows that must not move. */
async function snapshot() {
  const conversions = await h.store.reports.conversions({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 100);
  const totals = await expectLedgerBalanced(h.store);
  return {
    conversions: conversions.map((c) => ({ id: c.id, status: c.status, valueMicros: c.valueMicros, costMicros: c.costMicros, orderId: c.orderId })),
    groups: totals.groups,
    debits: totals.debits,
    advertiser: await balance(h.store, `advertiser:${w.advertiserId}`),
    publisher: await balance(h.store, `publisher:${w.publisherId}`),
  };
}

describe('a conversion beacon replayed 1,000 times, across a restart', () => {
  it('stores one conversion and posts one charge group, however often and however concurrently it arrives', async () => {
    const sum = await replay(REPLAYS);
    expect(sum).toEqual({ accepted: 1, duplicate: REPLAYS - 1, other: 0 });
    const s = await snapshot();
    expect(s.conversions).toEqual([{ id: expect.any(String), status: 'approved', valueMicros: 49_900_000n, costMicros: 5_000_000n, orderId: 'ORD-1' }]);
    const groups = await h.store.write((tx) => tx.groupsFor('conversion', s.conversions[0]!.id));
    expect(groups.map((g) => g.kind)).toEqual(['charge']);
    expect(s.groups).toBe(1);
    expect(s.advertiser).toBe(5_000_000n);
    expect(s.publisher).toBe(-3_500_000n);
    const m = await scrape(h);
    expect(metric(m, 'pp_events_deduplicated_total', { type: 'cv' })).toBe(REPLAYS - 1);
    expect(metric(m, 'pp_billed_micros_total', { currency: 'EUR' })).toBe(5_000_000);
  });

  it('still answers every replay as a duplicate after a restart on the same file, and nothing moves', async () => {
    const before = await snapshot();
    await h.close();
    h = await open();
    expect((await h.request('/readyz')).status).toBe(200);
    const sum = await replay(REPLAYS);
    expect(sum).toEqual({ accepted: 0, duplicate: REPLAYS, other: 0 });
    expect(await snapshot()).toEqual(before);
    expect(metric(await scrape(h), 'pp_billed_micros_total', { currency: 'EUR' })).toBe(0);
  });

  it('answers the same order with another amount 409 and changes nothing, before and after another restart', async () => {
    const before = await snapshot();
    for (const round of [0, 1]) {
      const res = await h.beacon(w.shopSiteId, [{ ...beacon, i: eventId(`other-amount-${round}`), v: '4990.00' }]);
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ accepted: 0, conflict: [{ reason: expect.stringMatching(/ORD-1 was already converted/) }] });
      const sameId = await h.beacon(w.shopSiteId, [{ ...beacon, v: '4990.00' }]);
      expect(sameId.status).toBe(409);
      expect(await snapshot()).toEqual(before);
      await h.close();
      h = await open();
    }
  });

  it('treats a signed postback the same way: 201 once, then 200 for every replay, across a restart', async () => {
    const first = await h.s2s(w.advertiserId, w.s2sSecret, postback);
    expect(first.status).toBe(201);
    const after = await snapshot();
    for (let round = 0; round < 2; round++) {
      for (let k = 0; k < 200; k += WAVE) {
        const answers = await Promise.all(Array.from({ length: WAVE }, () => h.s2s(w.advertiserId, w.s2sSecret, postback)));
        expect(answers.map((r) => r.status)).toEqual(Array(WAVE).fill(200));
      }
      expect(await snapshot()).toEqual(after);
      await h.close();
      h = await open();
    }
    expect(after.conversions).toHaveLength(2);
  });
});
