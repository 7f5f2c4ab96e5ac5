/**
 * The model-based test of money (issue 16, "The invariant test that would have caught them"; SPEC
 * §5): random command sequences — serve, impression, click (fresh, replayed, backdated, forged,
 * flooding, from bots), conversion (beacon and signed postback, huge values, other currencies,
 * duplicate orders), approve, reverse, restate, invalidate, budget and terms changes (raise, lower
 * below spend, pause), payout settings, role-scoped reads and time passing — driven through the
 * real collector (`createCollector` over a real store, fixed clock, `app.request()` only). After
 * EVERY step the invariants below are checked; a failing sequence is shrunk by fast-check and
 * printed with its seed.
 *
 * | # | invariant after every step                                                                   |
 * |---|----------------------------------------------------------------------------------------------|
 * | 1 | no request answered 5xx                                                                      |
 * | 2 | every entry group balances (Σ debits = Σ credits), every leg is positive                      |
 * | 3 | per action, cumulatively: the advertiser's net ≥ 0, the publisher never earns more than it   |
 * |   | cost and the platform's leg is ≥ 0 — unless the operator recorded a subsidy                  |
 * | 4 | a step that posted a charge left spend within every cap in force (total, daily by the        |
 * |   | collector's UTC day, per publisher per day), and the spend rows equal the ledger             |
 * | 5 | a conversion's cost is its ledger net; invalid, duplicate and over-cap actions net 0; an     |
 * |   | attributed click is one the collector minted for that advertiser (forged IDs win nothing)    |
 * | 6 | balances = Σ ledger = every report and CSV, for the operator, each advertiser and publisher  |
 * | 7 | no role sees what its table forbids (ARCHITECTURE.md "Who sees what")                        |
 * | 8 | at the end of the sequence, every party's statement re-runs and equals the ledger (issue 12)  |
 * | 9 | a publisher payout (issue 14) is posted only when it is within what was payable just before  |
 * |   | and at or above the threshold, and never leaves the publisher owed less than 0               |
 *
 * ```ts
 * await runModel({ runs: 2000, seed: 20261206, store: () => openStore(':memory:', { clock }) });
 * ```
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { bookedGroups, spendByDay } from '../../collector/src/core/adjustments';
import { utcDay } from '../../collector/src/core/day';
import { MAX_CAMPAIGN_SPEND_MICROS, parseDecimalMicros } from '../../collector/src/core/money';
import { DAY_MS } from '../../collector/src/core/terms';
import type { Store, PostedGroup } from '../../collector/src/store/store';
import { OPERATOR_KEY, T0, createHarness, createTestClock, eventId, type Harness, type TestClock } from '../../collector/src/test-fixtures';
import { buildWorld, type World } from './world';
import { createStatementVerifier, type TrustedKey } from '../../collector/src/core/verify-statement';
import { verifyEd25519 } from '../../collector/src/http/signing';
import { nodeSha256 } from '../../collector/src/store/sql-chain';

// ---------------------------------------------------------------------------------------------
// Commands. Indices into pools (tokens, clicks, conversions) are taken modulo the pool's size when
// the command runs, so any generated sequence is runnable and shrinks well.

const peerIx = fc.integer({ min: 0, max: 5 });
const ua = fc.oneof({ weight: 8, arbitrary: fc.constant('browser') }, { weight: 1, arbitrary: fc.constant('bot') }, { weight: 1, arbitrary: fc.constant('empty') });
const ix = fc.nat({ max: 1000 });
/** Which ad a command acts on: a fresh one served now, or one served earlier (an old token). */
const adArb = fc.record({ campaign: fc.nat({ max: 4 }), slot: fc.nat({ max: 1 }), fresh: fc.boolean(), token: ix });
type Ad = { campaign: number; slot: number; fresh: boolean; token: number };

type Command =
  | { t: 'serve'; campaign: number; slot: number }
  | { t: 'impression'; ad: Ad; kind: 'served' | 'viewable'; peer: number; ua: string; replay: boolean }
  | { t: 'click'; ad: Ad; via: 'redirect' | 'beacon'; peer: number; ua: string; backdateDays: number }
  | { t: 'flood'; ad: Ad; n: number }
  | {
      t: 'conversion';
      advertiser: number;
      click: 'own' | 'otherTenant' | 'forged' | 'none';
      waitMs: number;
      clickIx: number;
      value: 'normal' | 'max' | 'huge' | 'none' | 'cents';
      currency: 'own' | 'other';
      order: number;
      via: 'beacon' | 's2s';
      peer: number;
      ua: string;
      lateDays: number;
    }
  | { t: 'command'; conversion: number; command: 'approve' | 'reject' | 'reverse' | 'restate'; value: number; key: 'own' | 'foreign' | 'operator' }
  | { t: 'invalidate'; click: number }
  | { t: 'terms'; campaign: number; change: 'raiseTotal' | 'lowerTotal' | 'belowSpend' | 'daily' | 'pubcap' | 'pause' | 'resume' | 'bid' | 'noCaps'; amount: number }
  | { t: 'payout'; campaign: number; micros: number; by: 'operator' | 'advertiser'; subsidy: boolean }
  | { t: 'cashout'; publisher: number; currency: 'EUR' | 'USD'; windowDays: number; thresholdMicros: number; percent: number }
  | { t: 'time'; ms: number }
  | { t: 'replay' }
  | { t: 'read'; who: number; what: 'foreignCampaign' | 'foreignConversion' };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ t: fc.constant('serve' as const), campaign: fc.nat({ max: 4 }), slot: fc.nat({ max: 1 }) }) },
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant('impression' as const), ad: adArb, kind: fc.constantFrom('served' as const, 'viewable' as const), peer: peerIx, ua, replay: fc.boolean() }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      t: fc.constant('click' as const),
      ad: adArb,
      via: fc.constantFrom('redirect' as const, 'redirect' as const, 'beacon' as const),
      peer: peerIx,
      ua,
      backdateDays: fc.constantFrom(0, 0, 0, 2, 6, 9),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('flood' as const), ad: adArb, n: fc.integer({ min: 5, max: 40 }) }) },
  {
    weight: 8,
    arbitrary: fc.record({
      t: fc.constant('conversion' as const),
      advertiser: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
      click: fc.oneof({ weight: 6, arbitrary: fc.constant('own' as const) }, { weight: 1, arbitrary: fc.constant('otherTenant' as const) }, { weight: 1, arbitrary: fc.constant('forged' as const) }, { weight: 1, arbitrary: fc.constant('none' as const) }),
      waitMs: fc.constantFrom(0, 5_000, 5_000, 60_000),
      clickIx: ix,
      value: fc.constantFrom('normal' as const, 'normal' as const, 'cents' as const, 'max' as const, 'huge' as const, 'none' as const),
      currency: fc.constantFrom('own' as const, 'own' as const, 'own' as const, 'other' as const),
      order: fc.nat({ max: 6 }),
      via: fc.constantFrom('beacon' as const, 's2s' as const),
      peer: peerIx,
      ua,
      lateDays: fc.constantFrom(0, 0, 0, 0, 3, 8),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('command' as const),
      conversion: ix,
      command: fc.constantFrom('approve' as const, 'approve' as const, 'reject' as const, 'reverse' as const, 'restate' as const, 'restate' as const),
      value: fc.integer({ min: 0, max: 500_000_000 }),
      key: fc.constantFrom('own' as const, 'own' as const, 'foreign' as const, 'operator' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('invalidate' as const), click: ix }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('terms' as const),
      campaign: fc.nat({ max: 4 }),
      change: fc.constantFrom('raiseTotal' as const, 'lowerTotal' as const, 'belowSpend' as const, 'daily' as const, 'pubcap' as const, 'pause' as const, 'resume' as const, 'bid' as const, 'noCaps' as const),
      amount: fc.integer({ min: 0, max: 5_000_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('payout' as const), campaign: fc.nat({ max: 4 }), micros: fc.integer({ min: 0, max: 5_000_000 }), by: fc.constantFrom('operator' as const, 'advertiser' as const), subsidy: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('cashout' as const),
      publisher: fc.nat({ max: 1 }),
      currency: fc.constantFrom('EUR' as const, 'USD' as const),
      windowDays: fc.constantFrom(0, 0, 1, 30),
      thresholdMicros: fc.constantFrom(0, 1_000_000),
      // Of the payable balance; above 100: asks for more than is payable (must be refused).
      percent: fc.constantFrom(0, 50, 100, 100, 150),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('time' as const), ms: fc.constantFrom(1_000, 4_000, 45_000, 600_000, 3 * 3_600_000, 13 * 3_600_000, DAY_MS) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('replay' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('read' as const), who: fc.nat({ max: 3 }), what: fc.constantFrom('foreignCampaign' as const, 'foreignConversion' as const) }) },
);

/** A sequence of 1 to `maxLength` commands. */
export const sequenceArb = (maxLength: number) => fc.array(commandArb, { minLength: 1, maxLength, size: 'max' });

// ---------------------------------------------------------------------------------------------
// One run of a sequence.

const UAS: Record<string, string | null> = {
  browser: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  bot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  empty: null,
};
const ALL = { from: 0, to: Number.MAX_SAFE_INTEGER };

/** Caps the model believes are in force for a campaign (updated only when the API said 200). */
interface Caps {
  total: bigint | null;
  daily: bigint | null;
  pubDay: bigint | null;
}

/** What the model remembers while a sequence runs. */
class Run {
  readonly tokens: { tk: string; campaign: number }[] = [];
  readonly clicks: { id: string; advertiser: string }[] = [];
  readonly conversions: { id: string; advertiser: number }[] = [];
  readonly caps: Caps[];
  readonly subsidised = new Set<string>();
  last: { path: string; init: RequestInit } | null = null;
  seq = 0;
  maxGroupId = 0;
  /** Set when the reports must be checked although no group was posted (the first step). */
  reportsDue = true;
  log: string[] = [];

  constructor(
    readonly h: Harness,
    readonly world: World,
  ) {
    this.caps = world.campaigns.map((c) => ({ total: c.terms.totalBudgetMicros, daily: c.terms.dailyBudgetMicros, pubDay: c.terms.publisherDailyCapMicros }));
  }

  get clock(): TestClock {
    return this.h.clock;
  }

  /** Every request of a run goes through here: a 5xx fails the run on the spot (invariant 1). */
  async send(path: string, init: Omit<RequestInit, 'headers'> & { headers?: Record<string, string | null> } = {}, remember = false): Promise<Response> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries({ 'user-agent': UAS.browser!, ...init.headers })) if (v !== null && v !== undefined) headers[k] = v;
    const req = { ...init, headers };
    if (remember) this.last = { path, init: req };
    const res = await this.h.app.request(path, req);
    if (res.status >= 500) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${await res.text()}`);
    return res;
  }

  async json(method: string, path: string, key: string | null, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await this.send(path, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // CSV
    }
    return { status: res.status, body: parsed };
  }

  peer(n: number, agent = 'browser'): Record<string, string | null> {
    return { 'x-test-peer': `198.51.100.${10 + n}`, 'user-agent': UAS[agent] ?? null };
  }

  nextEvent(label: string): string {
    return eventId(`${label}-${++this.seq}`);
  }
}

/** Serves an ad for a campaign's slot (GET /ad); remembers and answers its token, or null when none was served. */
async function serve(r: Run, campaign: number, slotIx: number): Promise<{ tk: string; campaign: number } | null> {
  const cmp = r.world.campaigns[campaign]!;
  const slot = cmp.slots[slotIx % cmp.slots.length]!;
  const res = await r.send(`/ad?slot=${slot.id}&p=pv${++r.seq}`);
  const body = (await res.json()) as { ad: { tk: string } | null };
  if (!body.ad) return null;
  const tok = { tk: body.ad.tk, campaign };
  r.tokens.push(tok);
  return tok;
}

/** The token a command acts on: a fresh ad, or an earlier token of the campaign (any when it has none). */
async function tokenFor(r: Run, ad: Ad): Promise<{ tk: string; campaign: number } | null> {
  const earlier = r.tokens.filter((t) => t.campaign === ad.campaign);
  if (!ad.fresh && earlier.length > 0) return earlier[ad.token % earlier.length]!;
  return (await serve(r, ad.campaign, ad.slot)) ?? (earlier[ad.token % Math.max(1, earlier.length)] ?? null);
}

/** Runs one command; answers a line for the failure log. */
async function step(r: Run, c: Command): Promise<string> {
  const { world } = r;
  switch (c.t) {
    case 'serve': {
      const tok = await serve(r, c.campaign, c.slot);
      return `serve ${world.campaigns[c.campaign]!.id} → ${tok ? 'ad' : 'none'}`;
    }
    case 'impression': {
      const tok = await tokenFor(r, c.ad);
      if (!tok) return 'impression: no ad';
      const pub = world.publishers[world.campaigns[tok.campaign]!.slots[0]!.publisher]!;
      const ev = { t: c.kind === 'served' ? 'imp' : 'vi', i: r.nextEvent('imp'), ts: r.clock(), tk: tok.tk };
      const res = await r.send('/e', { method: 'POST', headers: { 'content-type': 'text/plain', ...r.peer(c.peer, c.ua) }, body: JSON.stringify({ s: siteOfToken(r, tok.tk) ?? pub.siteId, n: r.clock(), e: [ev] }) }, true);
      if (c.replay) expect((await r.h.app.request(r.last!.path, r.last!.init)).status).toBeLessThan(500);
      return `impression ${c.kind} ${c.ua} → ${res.status}`;
    }
    case 'click': {
      const tok = await tokenFor(r, c.ad);
      if (!tok) return 'click: no ad';
      const adv = world.advertisers[world.campaigns[tok.campaign]!.advertiser]!;
      if (c.via === 'redirect') {
        // Not remembered for replay: a second GET of the ad link is a second click (billable past the duplicate window).
        const res = await r.send(`/c/${tok.tk}`, { headers: r.peer(c.peer, c.ua) });
        const loc = res.headers.get('location');
        const id = loc ? new URL(loc).searchParams.get('ppclid') : null;
        if (id) r.clicks.push({ id, advertiser: adv.id });
        return `click redirect ${c.ua} → ${res.status}`;
      }
      const now = r.clock();
      const ev = { t: 'clk', i: r.nextEvent('clk'), ts: now - c.backdateDays * DAY_MS, tk: tok.tk };
      const res = await r.send('/e', { method: 'POST', headers: { 'content-type': 'text/plain', ...r.peer(c.peer, c.ua) }, body: JSON.stringify({ s: siteOfToken(r, tok.tk)!, n: now, e: [ev] }) }, true);
      return `click beacon ${c.ua} back ${c.backdateDays} d → ${res.status}`;
    }
    case 'flood': {
      const tok = await tokenFor(r, c.ad);
      if (!tok) return 'flood: no ad';
      const adv = world.advertisers[world.campaigns[tok.campaign]!.advertiser]!;
      for (let k = 0; k < c.n; k++) {
        const res = await r.send(`/c/${tok.tk}`, { headers: { 'x-test-peer': '198.51.100.99', 'user-agent': `${UAS.browser} rotating/${k}` } });
        const loc = res.headers.get('location');
        const id = loc ? new URL(loc).searchParams.get('ppclid') : null;
        if (id) r.clicks.push({ id, advertiser: adv.id });
      }
      return `flood ${c.n} clicks`;
    }
    case 'conversion': {
      const adv = world.advertisers[c.advertiser]!;
      const other = world.advertisers[1 - c.advertiser]!;
      r.clock.advance(c.waitMs);
      const pool = r.clicks.filter((k) => (c.click === 'own' ? k.advertiser === adv.id : k.advertiser !== adv.id));
      // Half the time (or when there is none yet) the visitor clicked one of the advertiser's ads just before.
      if (c.click === 'own' && (pool.length === 0 || c.clickIx % 2 === 0)) {
        const mine = world.campaigns.map((x, k) => ({ x, k })).filter(({ x }) => x.advertiser === c.advertiser);
        const pick = mine[c.clickIx % mine.length]!;
        const tok = await tokenFor(r, { campaign: pick.k, slot: c.clickIx, fresh: true, token: 0 });
        if (tok) {
          const res = await r.send(`/c/${tok.tk}`, { headers: r.peer(c.peer, c.ua) });
          const loc = res.headers.get('location');
          const id = loc ? new URL(loc).searchParams.get('ppclid') : null;
          if (id) pool.unshift({ id, advertiser: adv.id }), r.clicks.push({ id, advertiser: adv.id });
          r.clock.advance(c.waitMs === 0 ? 1_000 : c.waitMs);
        }
      }
      const pooled = c.click === 'own' && c.clickIx % 2 === 0 ? pool[0] : pool[c.clickIx % Math.max(1, pool.length)];
      const clickId = c.click === 'forged' ? forgedClickId(c.clickIx) : c.click === 'own' || c.click === 'otherTenant' ? pooled?.id : undefined;
      const currency = c.currency === 'own' ? adv.currency : other.currency;
      const value = { normal: '49.90', cents: '0.07', max: '10000000000', huge: '1000000000000', none: undefined }[c.value];
      const order = `O-${adv.id}-${c.order}`;
      const now = r.clock();
      const id = r.nextEvent('cv');
      if (c.via === 'beacon') {
        const ev = { t: 'cv', i: id, ts: now - c.lateDays * DAY_MS, a: 'purchase', o: order, c: currency, ...(value ? { v: value } : {}), ...(clickId ? { k: clickId } : {}) };
        const res = await r.send('/e', { method: 'POST', headers: { 'content-type': 'text/plain', ...r.peer(c.peer, c.ua) }, body: JSON.stringify({ s: adv.siteId, n: now, e: [ev] }) }, true);
        const body = (await res.json().catch(() => null)) as { accepted?: number } | null;
        await rememberConversions(r, c.advertiser);
        return `conversion beacon ${c.click} ${c.value} ${currency} late ${c.lateDays} ${c.ua} → ${res.status} ${JSON.stringify(body)}`;
      }
      const body = { event_id: id, action: 'purchase', order_id: order, currency, ...(value ? { value } : {}), ...(clickId ? { click_id: clickId } : {}), occurred_at: now - c.lateDays * DAY_MS };
      const raw = JSON.stringify(body);
      const { signS2s } = await import('../../collector/src/http/s2s-routes');
      const ts = Math.floor(now / 1000);
      const res = await r.send(
        '/v1/conversions',
        { method: 'POST', headers: { 'content-type': 'application/json', 'x-pp-advertiser': adv.id, 'x-pp-timestamp': String(ts), 'x-pp-signature': signS2s(adv.s2sSecret, ts, raw) }, body: raw },
        true,
      );
      await rememberConversions(r, c.advertiser);
      return `conversion s2s ${c.click} ${c.value} ${currency} → ${res.status}`;
    }
    case 'command': {
      const conv = r.conversions[c.conversion % Math.max(1, r.conversions.length)];
      if (!conv) return 'command: no conversion';
      const own = world.advertisers[conv.advertiser]!;
      const key = c.key === 'own' ? own.apiKey : c.key === 'foreign' ? world.advertisers[1 - conv.advertiser]!.apiKey : OPERATOR_KEY;
      const body = c.command === 'restate' ? { value_micros: String(c.value), reason: 'model' } : { reason: 'model' };
      const res = await r.json('POST', `/v1/conversions/${conv.id}/${c.command}`, key, body);
      // A foreign advertiser learns nothing: the same answer as for an unknown ID.
      if (c.key === 'foreign') expect(res.status, `foreign ${c.command}`).toBe(404);
      return `${c.command} ${c.key} → ${res.status}`;
    }
    case 'invalidate': {
      const click = r.clicks[c.click % Math.max(1, r.clicks.length)];
      if (!click) return 'invalidate: no click';
      const res = await r.json('POST', `/v1/clicks/${click.id}/invalidate`, OPERATOR_KEY, { reason: 'model' });
      return `invalidate → ${res.status}`;
    }
    case 'terms': {
      const cmp = world.campaigns[c.campaign]!;
      const adv = world.advertisers[cmp.advertiser]!;
      const caps = r.caps[c.campaign]!;
      const amount = BigInt(c.amount);
      let patch: Record<string, unknown>;
      const next = { ...caps };
      switch (c.change) {
        case 'raiseTotal':
          next.total = (caps.total ?? 0n) + amount;
          patch = { terms: { totalBudgetMicros: String(next.total) } };
          break;
        case 'lowerTotal':
          next.total = (caps.total ?? amount * 2n) / 2n;
          patch = { terms: { totalBudgetMicros: String(next.total) } };
          break;
        case 'belowSpend':
          next.total = amount / 50n;
          patch = { terms: { totalBudgetMicros: String(next.total) } };
          break;
        case 'daily':
          next.daily = amount / 4n;
          patch = { terms: { dailyBudgetMicros: String(next.daily) } };
          break;
        case 'pubcap':
          next.pubDay = amount / 8n;
          patch = { terms: { publisherDailyCapMicros: String(next.pubDay) } };
          break;
        case 'noCaps':
          next.total = next.daily = next.pubDay = null;
          patch = { terms: { totalBudgetMicros: null, dailyBudgetMicros: null, publisherDailyCapMicros: null } };
          break;
        case 'pause':
          patch = { status: 'paused' };
          break;
        case 'resume':
          patch = { status: 'active' };
          break;
        case 'bid': {
          const model = cmp.terms.costModel;
          const price = String(1 + (c.amount % 900_000));
          patch = { terms: model === 'cpc' ? { cpcMicros: price } : model === 'cpm' ? { cpmMicros: price } : { cpaFlatMicros: price } };
          break;
        }
      }
      const res = await r.json('PATCH', `/v1/campaigns/${cmp.id}`, adv.apiKey, patch);
      if (res.status === 200) r.caps[c.campaign] = next;
      return `terms ${cmp.id} ${c.change} ${JSON.stringify(patch)} → ${res.status}`;
    }
    case 'payout': {
      const cmp = world.campaigns[c.campaign]!;
      const key = c.by === 'operator' ? OPERATOR_KEY : world.advertisers[cmp.advertiser]!.apiKey;
      const payout = cmp.terms.costModel === 'cpm' ? { kind: 'share', bps: c.micros % 10_001 } : { kind: 'fixed', micros: String(c.micros) };
      const res = await r.json('PATCH', `/v1/campaigns/${cmp.id}`, key, { terms: { payout, subsidy: c.subsidy } });
      // Payouts and subsidies are the operator's (SPEC §3.8): an advertiser is refused.
      if (c.by === 'advertiser') expect(res.status, 'an advertiser set a payout').toBe(403);
      // Ever subsidised: a group posted under the subsidy keeps its negative margin after it ends.
      if (res.status === 200 && c.subsidy) r.subsidised.add(cmp.id);
      return `payout ${cmp.id} by ${c.by} ${JSON.stringify(payout)} subsidy ${c.subsidy} → ${res.status}`;
    }
    case 'cashout': {
      // 9: a payout within what was payable just before and at or above the threshold, or a 422.
      const pub = r.world.publishers[c.publisher]!;
      const policy = await r.json('PUT', `/v1/payout-policies/${c.currency}`, OPERATOR_KEY, { reversalWindowDays: c.windowDays, thresholdMicros: String(c.thresholdMicros) });
      expect(policy.status).toBe(200);
      const before = await r.json('GET', `/v1/payouts/balance?publisherId=${pub.id}`, OPERATOR_KEY);
      const b = (before.body.balances as { currency: string; balanceMicros: string; payableMicros: string }[]).find((x) => x.currency === c.currency);
      const payable = BigInt(b?.payableMicros ?? '0');
      const amount = (payable * BigInt(c.percent)) / 100n;
      const res = await r.json('POST', '/v1/payouts', OPERATOR_KEY, { publisherId: pub.id, currency: c.currency, idempotencyKey: `m${++r.seq}`, amountMicros: String(amount) });
      const allowed = amount > 0n && amount <= payable && amount >= BigInt(c.thresholdMicros);
      expect(res.status, `payout of ${amount} with ${payable} payable, threshold ${c.thresholdMicros}: ${JSON.stringify(res.body)}`).toBe(allowed ? 201 : 422);
      if (allowed) {
        const after = await r.json('GET', `/v1/payouts/balance?publisherId=${pub.id}`, OPERATOR_KEY);
        const a = (after.body.balances as { currency: string; balanceMicros: string }[]).find((x) => x.currency === c.currency)!;
        expect(BigInt(a.balanceMicros), `${pub.id} owed after a payout`).toBe(BigInt(b!.balanceMicros) - amount);
        expect(BigInt(a.balanceMicros) >= 0n, `${pub.id} owed ${a.balanceMicros} after a payout`).toBe(true);
      }
      return `cashout ${pub.id} ${amount} ${c.currency} (payable ${payable}, window ${c.windowDays} d, threshold ${c.thresholdMicros}) → ${res.status}`;
    }
    case 'time':
      r.clock.advance(c.ms);
      return `time +${c.ms} ms`;
    case 'replay': {
      if (!r.last) return 'replay: nothing yet';
      const before = await allGroups(r.h.store);
      const res = await r.h.app.request(r.last.path, r.last.init);
      expect(res.status, 'a replay answered 5xx').toBeLessThan(500);
      const after = await allGroups(r.h.store);
      // An exact replay of an acknowledged request posts no money (SPEC §3.2).
      expect(after.length, `replay of ${r.last.path} posted money`).toBe(before.length);
      return `replay ${r.last.path} → ${res.status}`;
    }
    case 'read': {
      const who = [world.advertisers[0]!.apiKey, world.advertisers[1]!.apiKey, world.publishers[0]!.apiKey, world.publishers[1]!.apiKey][c.who]!;
      if (c.what === 'foreignCampaign') {
        // A campaign of an advertiser other than the caller answers like one that does not exist.
        const foreign = world.campaigns.find((x) => c.who >= 2 || world.advertisers[x.advertiser]!.apiKey !== who)!;
        const [seen, unknown] = [await r.json('GET', `/v1/campaigns/${foreign.id}`, who), await r.json('GET', '/v1/campaigns/cmp_does_not_exist', who)];
        expect(seen.status, 'a foreign campaign').toBe(unknown.status);
        return `read foreign campaign → ${seen.status}`;
      }
      const conv = r.conversions.find((x) => c.who >= 2 || world.advertisers[x.advertiser]!.apiKey !== who);
      if (!conv) return 'read: no foreign conversion';
      const res = await r.json('GET', `/v1/conversions/${conv.id}`, who);
      const unknown = await r.json('GET', '/v1/conversions/cv_does_not_exist', who);
      expect(res.status === 404 || (c.who >= 2 && res.status === unknown.status), `a foreign conversion answered ${res.status}`).toBe(true);
      return `read foreign conversion → ${res.status}`;
    }
  }
}

/** The site a token was issued for (its `si`). */
function siteOfToken(_r: Run, tk: string): string | null {
  try {
    return (JSON.parse(Buffer.from(tk.split('.')[0]!, 'base64url').toString()) as { si: string }).si;
  } catch {
    return null;
  }
}

/** A well-formed click ID the collector never issued. */
function forgedClickId(n: number): string {
  return Buffer.from(Array.from({ length: 20 }, (_, k) => (n * 31 + k * 7) & 255)).toString('base64url');
}

/** Adds the advertiser's conversions the model has not seen yet to its pool. */
async function rememberConversions(r: Run, advertiser: number): Promise<void> {
  const id = r.world.advertisers[advertiser]!.id;
  const list = await r.h.store.reports.conversions({ advertiserId: id }, ALL, 100_000);
  for (const c of list) if (!r.conversions.some((x) => x.id === c.id)) r.conversions.push({ id: c.id, advertiser });
}

function allGroups(store: Store): Promise<PostedGroup[]> {
  return store.reports.ledger({}, ALL, 1_000_000);
}

// ---------------------------------------------------------------------------------------------
// Invariants.

const net = (g: PostedGroup, account: string) => g.legs.reduce((s, l) => (l.account === account ? s + (l.side === 'debit' ? l.micros : -l.micros) : s), 0n);

/** Checks every invariant of the table at the top; throws (with the step log) on the first broken one. */
async function checkInvariants(r: Run): Promise<void> {
  const store = r.h.store;
  const groups = (await allGroups(store)).sort((a, b) => a.id - b.id);
  const fresh = groups.filter((g) => g.id > r.maxGroupId);
  r.maxGroupId = groups.reduce((m, g) => Math.max(m, g.id), r.maxGroupId);

  // 2: every group balances, every leg positive.
  for (const g of groups) {
    let d = 0n;
    let c = 0n;
    for (const l of g.legs) {
      expect(l.micros > 0n, `leg of ${g.key} is ${l.micros}`).toBe(true);
      if (l.side === 'debit') d += l.micros;
      else c += l.micros;
    }
    expect(d, `group ${g.key} balances`).toBe(c);
  }

  // 3: per action, cumulatively.
  const byAction = new Map<string, PostedGroup[]>();
  for (const g of groups) byAction.set(`${g.meta.refType}:${g.meta.refId}`, [...(byAction.get(`${g.meta.refType}:${g.meta.refId}`) ?? []), g]);
  for (const [action, list] of byAction) {
    let adv = 0n;
    let pub = 0n;
    let plat = 0n;
    for (const g of list) {
      adv += net(g, `advertiser:${g.meta.advertiserId}`);
      pub -= net(g, `publisher:${g.meta.publisherId}`);
      plat -= net(g, 'platform');
      expect(adv >= 0n, `${action}: the advertiser's net ${adv} after ${g.key}`).toBe(true);
      if (!r.subsidised.has(g.meta.campaignId)) {
        expect(plat >= 0n, `${action}: the platform's leg ${plat} after ${g.key} (no subsidy)`).toBe(true);
        expect(pub <= adv, `${action}: the publisher earns ${pub} of a ${adv} charge`).toBe(true);
      }
    }
  }

  // 4: caps in force after a step that charged, on the collector's day; spend rows = ledger.
  // Spend per day is the ledger under the budget rule of core/adjustments.ts: a charge counts on
  // the day it was booked, a correction gives back to the days its action was booked on.
  const today = utcDay(r.clock());
  const spend = new Map<string, bigint>();
  const add = (k: string, v: bigint) => spend.set(k, (spend.get(k) ?? 0n) + v);
  for (const list of byAction.values()) {
    const m = list[0]!.meta;
    for (const [day, v] of spendByDay(bookedGroups(list, m.advertiserId))) {
      add(`${m.campaignId}|total`, v);
      add(`${m.campaignId}|${day}`, v);
      add(`${m.campaignId}|${day}|${m.publisherId}`, v);
    }
  }
  for (const g of fresh) {
    if (net(g, `advertiser:${g.meta.advertiserId}`) <= 0n) continue;
    const k = r.world.campaigns.findIndex((c) => c.id === g.meta.campaignId);
    const caps = r.caps[k]!;
    const day = utcDay(g.meta.at);
    expect(day, `${g.key} booked on the collector's day`).toBe(today);
    const total = spend.get(`${g.meta.campaignId}|total`)!;
    expect(total <= (caps.total ?? MAX_CAMPAIGN_SPEND_MICROS), `${g.meta.campaignId}: total spend ${total} > cap ${caps.total} after ${g.key}`).toBe(true);
    if (caps.daily !== null) expect(spend.get(`${g.meta.campaignId}|${day}`)! <= caps.daily, `${g.meta.campaignId}: day spend > ${caps.daily} after ${g.key}`).toBe(true);
    if (caps.pubDay !== null) {
      expect(spend.get(`${g.meta.campaignId}|${day}|${g.meta.publisherId}`)! <= caps.pubDay, `${g.meta.campaignId}: publisher-day spend > ${caps.pubDay} after ${g.key}`).toBe(true);
    }
  }
  const rows = await store.reports.campaignSpend(today);
  const pubRows = await store.reports.publisherSpend(today);
  for (const cmp of r.world.campaigns) {
    const row = rows.get(cmp.id) ?? { totalMicros: 0n, dayMicros: 0n };
    expect(row.totalMicros, `${cmp.id}: total spend row = ledger`).toBe(spend.get(`${cmp.id}|total`) ?? 0n);
    expect(row.dayMicros, `${cmp.id}: today's spend row = ledger`).toBe(spend.get(`${cmp.id}|${today}`) ?? 0n);
    for (const p of r.world.publishers) {
      expect(pubRows.get(cmp.id)?.get(p.id) ?? 0n, `${cmp.id}×${p.id}: today's publisher spend row = ledger`).toBe(spend.get(`${cmp.id}|${today}|${p.id}`) ?? 0n);
    }
  }

  // 5: facts and money agree.
  const actionNet = (refType: string, refId: string) => (byAction.get(`${refType}:${refId}`) ?? []).reduce((s, g) => s + net(g, `advertiser:${g.meta.advertiserId}`), 0n);
  for (const c of await store.reports.conversions({}, ALL, 100_000)) {
    const n = actionNet('conversion', c.id);
    const counts = c.status === 'approved' || c.status === 'restated' || c.status === 'disputed';
    expect(n, `conversion ${c.id} (${c.status}): ledger net = cost`).toBe(counts ? c.costMicros : 0n);
    if (c.touchKind === 'click' && counts && n > 0n) {
      expect(r.clicks.some((k) => k.id === c.touchId && k.advertiser === c.advertiserId), `conversion ${c.id} won by click ${c.touchId} the collector minted for ${c.advertiserId}`).toBe(true);
    }
  }
  await store.write(async (tx) => {
    for (const [action, list] of byAction) {
      const g = list[0]!;
      if (g.meta.refType === 'click') {
        const click = await tx.click(g.meta.refId);
        if (click?.invalidReason || click?.duplicateOf) expect(actionNet('click', g.meta.refId), `${action} is invalid or a duplicate and nets 0`).toBe(0n);
      } else if (g.meta.refType === 'impression') {
        const [decision, kind] = g.meta.refId.split(':') as [string, 'served' | 'viewable'];
        const imp = await tx.impression(decision, kind);
        expect(imp?.invalidReason ?? null, `${action} billed an invalid impression`).toBeNull();
      }
    }
  });

  // 6: balances = Σ ledger = every report and CSV, per role and currency. Reports are a function of
  // the stored data: when a step posted nothing (a read, a replay, time passing) they cannot have moved.
  // Likewise a role's reports only move with its own groups: check those of the roles this step touched.
  if (fresh.length === 0 && r.maxGroupId > 0 && !r.reportsDue) return;
  const all = r.reportsDue;
  r.reportsDue = false;
  const touched = new Set(fresh.flatMap((g) => [`advertiser:${g.meta.advertiserId}`, `publisher:${g.meta.publisherId}`]));
  const byCurrency = new Map<string, bigint>(); // `${currency}|${account}` → net (debit − credit)
  for (const g of groups) for (const l of g.legs) byCurrency.set(`${g.meta.currency}|${l.account}`, (byCurrency.get(`${g.meta.currency}|${l.account}`) ?? 0n) + (l.side === 'debit' ? l.micros : -l.micros));
  const bal = (currency: string, account: string) => byCurrency.get(`${currency}|${account}`) ?? 0n;
  const totals = await r.json('GET', '/v1/ledger/totals', OPERATOR_KEY);
  expect(totals.body.balanced, 'the ledger balances').toBe(true);
  for (const cur of totals.body.currencies as { currency: string; balances: Record<string, string> }[]) {
    for (const [account, v] of Object.entries(cur.balances)) expect(BigInt(v), `operator balance ${cur.currency} ${account}`).toBe(bal(cur.currency, account));
  }
  const to = r.clock() + 1;
  for (const a of r.world.advertisers) {
    if (!all && !touched.has(`advertiser:${a.id}`)) continue;
    const perf = await r.json('GET', `/v1/reports/performance?from=0&to=${to}`, a.apiKey);
    expect(perf.status).toBe(200);
    const cost = (perf.body.rows as { currency: string; costMicros: string }[]).filter((x) => x.currency === a.currency).reduce((s, x) => s + BigInt(x.costMicros), 0n);
    expect(cost, `${a.id}: performance cost = its balance`).toBe(bal(a.currency, `advertiser:${a.id}`));
    await checkLedgerViews(r, a.apiKey, `advertiser:${a.id}`, [a.currency], bal);
  }
  for (const p of r.world.publishers) {
    if (!all && !touched.has(`publisher:${p.id}`)) continue;
    const perf = await r.json('GET', `/v1/reports/performance?from=0&to=${to}`, p.apiKey);
    expect(perf.status).toBe(200);
    for (const cur of ['EUR', 'USD']) {
      const earned = (perf.body.rows as { currency: string; earningMicros: string }[]).filter((x) => x.currency === cur).reduce((s, x) => s + BigInt(x.earningMicros), 0n);
      // Payouts move what was earned out of the balance; they are not performance.
      const paid = groups.filter((g) => g.kind === 'payout' && g.meta.currency === cur).reduce((s, g) => s + net(g, `publisher:${p.id}`), 0n);
      expect(earned, `${p.id}: performance earnings in ${cur} = its balance before payouts`).toBe(-(bal(cur, `publisher:${p.id}`) - paid));
    }
    await checkLedgerViews(r, p.apiKey, `publisher:${p.id}`, ['EUR', 'USD'], bal);
  }
}

/** The caller's /v1/ledger (every page) and /v1/ledger.csv add up to its balance, and show it only its own. */
async function checkLedgerViews(r: Run, key: string, account: string, currencies: string[], bal: (c: string, a: string) => bigint): Promise<void> {
  const isPublisher = account.startsWith('publisher:');
  const sums = new Map<string, bigint>();
  let before = '';
  for (;;) {
    const page = await r.json('GET', `/v1/ledger?from=0&to=${r.clock() + 1}&limit=500${before}`, key);
    expect(page.status).toBe(200);
    for (const g of page.body.groups as { meta: { currency: string; advertiserId: string }; legs: { account: string; side: string; micros: string }[] }[]) {
      if (!isPublisher) expect(`advertiser:${g.meta.advertiserId}`, 'an advertiser sees only its own groups').toBe(account);
      for (const l of g.legs) {
        // 7: a publisher sees its own legs only.
        if (isPublisher) expect(l.account, 'a publisher sees only its own legs').toBe(account);
        if (l.account === account) sums.set(g.meta.currency, (sums.get(g.meta.currency) ?? 0n) + (l.side === 'debit' ? 1n : -1n) * BigInt(l.micros));
      }
    }
    if (!page.body.next) break;
    before = `&before=${page.body.next}`;
  }
  const csv = await r.json('GET', `/v1/ledger.csv?from=0&to=${r.clock() + 1}`, key);
  expect(csv.status).toBe(200);
  const csvSums = new Map<string, bigint>();
  const lines = String(csv.body).trim().split('\r\n');
  const header = lines[0]!.split(',');
  const col = (name: string) => header.indexOf(name);
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    if (cells[col('account')] !== account) continue;
    const money = (s: string | undefined) => (s ? (parseDecimalMicros(s) as { ok: true; micros: bigint }).micros : 0n);
    const cur = cells[col('currency')]!;
    csvSums.set(cur, (csvSums.get(cur) ?? 0n) + money(cells[col('debit')]) - money(cells[col('credit')]));
  }
  for (const cur of currencies) {
    expect(sums.get(cur) ?? 0n, `${account}: /v1/ledger in ${cur} = its balance`).toBe(bal(cur, account));
    expect(csvSums.get(cur) ?? 0n, `${account}: ledger.csv in ${cur} = its balance`).toBe(bal(cur, account));
  }
}

/**
 * The sequence's end: every party's statement (issue 12) re-runs — chain, signature, every group
 * re-priced from its facts — and its totals equal the ledger, per account and currency.
 */
async function checkStatements(r: Run): Promise<void> {
  const keys = ((await (await r.send('/.well-known/perfpixel-keys.json')).json()) as { keys: TrustedKey[] }).keys;
  const groups = await allGroups(r.h.store);
  const parties = [
    ...r.world.advertisers.map((a) => ({ key: a.apiKey, account: `advertiser:${a.id}` })),
    ...r.world.publishers.map((p) => ({ key: p.apiKey, account: `publisher:${p.id}` })),
  ];
  for (const p of parties) {
    const res = await r.send('/v1/statements', { headers: { authorization: `Bearer ${p.key}` } });
    expect(res.status).toBe(200);
    const verifier = createStatementVerifier({ sha256: nodeSha256, verifyEd25519, trustedKeys: keys });
    for (const line of (await res.text()).trim().split('\n')) verifier.line(JSON.parse(line));
    const v = verifier.finish();
    expect(v, `${p.account}'s statement verifies: ${JSON.stringify(v)}`).toMatchObject({ ok: true });
    if (!v.ok) continue;
    for (const cur of ['EUR', 'USD']) {
      const ledger = groups.filter((g) => g.meta.currency === cur).reduce((s, g) => s + net(g, p.account), 0n);
      const stated = BigInt(v.totals.find((t) => t.currency === cur && t.account === p.account)?.netMicros ?? '0');
      expect(stated, `${p.account}'s statement in ${cur} = the ledger`).toBe(ledger);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The runner.

/** Options of a model run. */
export interface ModelOptions {
  runs: number;
  seed: number;
  maxLength?: number;
  /** A fresh, migrated, empty store per sequence. */
  store: (clock: TestClock) => Promise<Store>;
  /** Called after each sequence (drop a schema…). */
  cleanup?: (store: Store) => Promise<void>;
}

/** What the sequences of a run did, so a reader sees the model is not checking empty ledgers. */
export interface ModelStats {
  sequences: number;
  steps: number;
  groups: Record<string, number>;
  conversions: Record<string, number>;
}

/** Runs `runs` random sequences; fast-check prints the seed and the shrunk sequence on failure. */
export async function runModel(o: ModelOptions): Promise<ModelStats> {
  const stats: ModelStats = { sequences: 0, steps: 0, groups: {}, conversions: {} };
  const count = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  await fc.assert(
    fc.asyncProperty(sequenceArb(o.maxLength ?? 24), async (commands) => {
      const clock = createTestClock(T0);
      const store = await o.store(clock);
      const h = await createHarness({ store, clock });
      const run = new Run(h, await buildWorld(store));
      try {
        for (const c of commands) {
          run.log.push(await step(run, c));
          await checkInvariants(run);
        }
        await checkStatements(run);
        stats.sequences++;
        stats.steps += commands.length;
        for (const g of await allGroups(store)) count(stats.groups, g.kind);
        for (const c of await store.reports.conversions({}, ALL, 100_000)) count(stats.conversions, c.status);
      } catch (err) {
        (err as Error).message = `${(err as Error).message}\nsteps:\n  ${run.log.join('\n  ')}`;
        throw err;
      } finally {
        await h.drain();
        if (o.cleanup) await o.cleanup(store);
        else await store.close();
      }
    }),
    { numRuns: o.runs, seed: o.seed, endOnFailure: process.env.MODEL_SHRINK !== '1' },
  );
  return stats;
}
