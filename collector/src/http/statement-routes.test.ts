/**
 * Statements (issue 12) through `app.request()`: an advertiser's and a publisher's statement of a
 * period of real traffic — charges, a CPM running total, a reversal, a restatement, an invalidated
 * click — verify with core/verify-statement.ts to the micro, reconcile with each other and with the
 * ledger; and any one change to a statement (a value, a time, a terms field, a leg, a dropped or
 * moved entry, another signature) or to the stored ledger makes the verifier fail and name it.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStatementVerifier, type StatementVerdict } from '../core/verify-statement';
import { headMessage } from '../core/chain';
import {
  OPERATOR_KEY,
  balance,
  clickThrough,
  conversion,
  createHarness,
  eventId,
  seedWorld,
  serveAd,
  type Harness,
  type World,
} from '../test-fixtures';
import { verifyEd25519 } from './signing';

const sha256 = (d: Uint8Array | string) => createHash('sha256').update(d).digest();

let h: Harness;
let w: World;
let dbFile: string;

/** The statement of `key`'s party (or the operator's for a party), as parsed lines. */
async function statement(key: string, query = ''): Promise<Record<string, any>[]> {
  const res = await h.request(`/v1/statements?${query}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/);
  return (await res.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

async function trusted() {
  return ((await (await h.request('/.well-known/perfpixel-keys.json')).json()) as { keys: { keyId: string; publicKey: string }[] }).keys;
}

async function verify(lines: unknown[]): Promise<StatementVerdict> {
  const v = createStatementVerifier({ sha256, verifyEd25519, trustedKeys: await trusted() });
  for (const l of lines) v.line(JSON.parse(JSON.stringify(l)));
  return v.finish();
}

let visitor = 0;
const peer = () => ({ 'x-test-peer': `203.0.113.${++visitor}`, 'user-agent': `Mozilla/5.0 Chrome/131.0.${visitor}.0` });

/** A CPA sale through its own click; answers the conversion ID. */
async function sale(order: string, value = '49.90'): Promise<string> {
  const { tk } = await serveAd(h, w.slotId, `pv_${order}`);
  const { clickId } = await clickThrough(h, tk, peer());
  h.clock.advance(5000);
  const res = await h.beacon(w.shopSiteId, [conversion(h, { k: clickId!, o: order, v: value })]);
  expect(res.status).toBe(202);
  const [c] = await h.store.reports.conversions({ advertiserId: w.advertiserId }, { from: 0, to: Number.MAX_SAFE_INTEGER }, 1);
  return c!.id;
}

beforeEach(async () => {
  dbFile = join(mkdtempSync(join(tmpdir(), 'pp-statements-')), 'pp.db');
  h = await createHarness({ storeUrl: `sqlite:${dbFile}` });
  w = await seedWorld(h, { terms: { costModel: 'cpa', cpaFlatMicros: '1000000', cpaBps: 1000 } });
  const first = await sale('S-1');
  await sale('S-2', '120.00');
  const third = await sale('S-3');
  // A correction of each kind.
  expect((await h.api('POST', `/v1/conversions/${first}/restate`, w.advertiserKey, { value: '80.00', reason: 'upsell' })).status).toBe(200);
  expect((await h.api('POST', `/v1/conversions/${third}/reverse`, w.advertiserKey, { reason: 'refund' })).status).toBe(200);
  // Then a CPC campaign and a CPM campaign of the same advertiser on the same slot size, so the
  // period holds every kind of charge; the publisher earns its 70 % share.
  for (const [id, terms] of [
    ['cmp_cpc', { costModel: 'cpc', cpcMicros: '250000' }],
    ['cmp_cpm', { costModel: 'cpm', cpmMicros: '1234567', cpmBasis: 'served' }],
  ] as const) {
    expect((await h.api('POST', '/v1/campaigns', OPERATOR_KEY, { id, advertiserId: w.advertiserId, name: id, landingUrl: 'https://shop.example/x', terms })).status).toBe(201);
    expect((await h.api('POST', '/v1/creatives', OPERATOR_KEY, { id: `cr_${id}`, campaignId: id, size: '300x250', imageUrl: '/i.png', alt: id })).status).toBe(201);
  }
  // The CPA campaign pauses, so the slot serves the CPC and CPM ones.
  expect((await h.api('PATCH', `/v1/campaigns/${w.campaignId}`, OPERATOR_KEY, { status: 'paused' })).status).toBe(200);
  for (let k = 0; k < 30; k++) {
    const { tk, campaignId } = await serveAd(h, w.slotId, `pv_more_${k}`);
    const who = peer();
    if (campaignId === 'cmp_cpm') await h.beacon(w.newsSiteId, [{ t: 'imp', i: eventId(`imp-${k}`), ts: h.clock(), tk }], who);
    else await clickThrough(h, tk, who);
    h.clock.advance(1000);
  }
  const { tk } = await serveAd(h, w.slotId, 'pv_bad');
  const { clickId } = await clickThrough(h, tk, peer());
  expect((await h.api('POST', `/v1/clicks/${clickId}/invalidate`, OPERATOR_KEY, { reason: 'ivt' })).status).toBe(200);
});
afterEach(() => h.close());

describe('an advertiser’s statement', () => {
  it('verifies to the micro: every group re-run from its facts, the chain and the signature checked, totals = ledger', async () => {
    const lines = await statement(w.advertiserKey);
    const v = await verify(lines);
    expect(v).toMatchObject({ ok: true, party: { kind: 'advertiser', id: w.advertiserId }, trustedKey: true, withoutFacts: 0 });
    if (!v.ok) return;
    expect(v.rerun).toBe(v.entries);
    expect(v.rerun).toBeGreaterThan(10);
    const kinds = new Set(lines.filter((l) => l.type === 'entry').map((l) => l.facts.rule));
    expect([...kinds].sort()).toEqual(['click', 'conversion', 'impression', 'invalidation', 'restatement', 'reversal']);
    const total = (account: string) => BigInt(v.totals.find((t) => t.account === account)?.netMicros ?? '0');
    expect(total(`advertiser:${w.advertiserId}`)).toBe(await balance(h.store, `advertiser:${w.advertiserId}`));
    expect(total(`publisher:${w.publisherId}`)).toBe(await balance(h.store, `publisher:${w.publisherId}`));
  });

  it('names the same entry groups as the publisher’s statement, with the same chain hashes and the same publisher legs', async () => {
    const adv = await statement(w.advertiserKey);
    const pub = await statement(w.publisherKey);
    expect((await verify(pub)).ok).toBe(true);
    expect(pub[0]!.end).toEqual(adv[0]!.end);
    const advEntries = adv.filter((l) => l.type === 'entry' && l.group.legs.some((x: { account: string }) => x.account === `publisher:${w.publisherId}`));
    const pubEntries = pub.filter((l) => l.type === 'entry');
    expect(pubEntries.map((l) => l.seq)).toEqual(advEntries.map((l) => l.seq));
    for (const [k, e] of pubEntries.entries()) {
      const shown = e.view.legs.filter((p: { value?: unknown }) => p.value).map((p: { value: unknown }) => p.value);
      expect(shown).toEqual(advEntries[k]!.group.legs.filter((x: { account: string }) => x.account === `publisher:${w.publisherId}`));
    }
  });

  it('shows a publisher none of the advertiser’s cost, sale values or facts', async () => {
    const lines = await statement(w.publisherKey);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(`advertiser:${w.advertiserId}`);
    expect(text).not.toContain('"platform"');
    expect(text).not.toContain('valueMicros');
    expect(text).not.toContain('"rule"');
    for (const e of lines.filter((l) => l.type === 'entry')) {
      expect(Object.keys(e.view.facts)).toEqual(['hash']);
      expect(Object.keys(e.view.private)).toEqual(['hash']);
    }
  });

  it('answers the signed head, whose signature verifies with the published key', async () => {
    const head = (await h.api('GET', '/v1/ledger/head', w.publisherKey)).body as { seq: number; hash: string; keyId: string; signature: string };
    const [key] = await trusted();
    expect(head.keyId).toBe(key!.keyId);
    expect(verifyEd25519(Buffer.from(key!.publicKey, 'base64'), headMessage(head), Buffer.from(head.signature, 'base64'))).toBe(true);
  });
});

describe('tampering', () => {
  /** Applies `edit` to a copy of the advertiser's statement and verifies it. */
  async function tampered(edit: (lines: Record<string, any>[]) => void): Promise<StatementVerdict> {
    const lines = JSON.parse(JSON.stringify(await statement(w.advertiserKey))) as Record<string, any>[];
    edit(lines);
    return verify(lines);
  }
  const entries = (lines: Record<string, any>[]) => lines.filter((l) => l.type === 'entry');
  const chargeOf = (lines: Record<string, any>[], rule: string) => entries(lines).find((l) => l.facts?.rule === rule)!;

  it.each([
    ['a leg amount', (l: Record<string, any>[]) => (chargeOf(l, 'click').group.legs[0].micros = String(BigInt(chargeOf(l, 'click').group.legs[0].micros) + 1n))],
    ['the conversion value in the facts', (l: Record<string, any>[]) => (chargeOf(l, 'conversion').facts.conversion.valueMicros = '1')],
    ['a booking time', (l: Record<string, any>[]) => (chargeOf(l, 'impression').group.meta.at += 1)],
    ['the spend a charge was checked against', (l: Record<string, any>[]) => (chargeOf(l, 'click').facts.spend.totalMicros = String(BigInt(chargeOf(l, 'click').facts.spend.totalMicros) + 1n))],
    ['a candidate touch time', (l: Record<string, any>[]) => (chargeOf(l, 'conversion').facts.touches[0].at -= 1)],
  ])('fails on a changed %s and names the entry', async (_what, edit) => {
    const v = await tampered(edit);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.seq).toBeGreaterThan(0);
  });

  it('fails when a terms field changes, naming the terms version', async () => {
    const v = await tampered((l) => {
      const t = l.find((x) => x.type === 'terms' && x.terms.costModel === 'cpa')!;
      t.terms.cpaBps = 5000;
    });
    expect(v).toMatchObject({ ok: false, error: expect.stringMatching(/terms cmp_main v1 do not hash/) });
  });

  it('fails when a leg is changed and the facts changed to match: the chain no longer links', async () => {
    const v = await tampered((l) => {
      const e = chargeOf(l, 'click');
      e.facts.priced.payout = { kind: 'share', bps: 0 };
      e.group.legs = e.group.legs.filter((x: { account: string }) => !x.account.startsWith('publisher:'));
      e.group.legs.find((x: { account: string }) => x.account === 'platform').micros = e.group.legs[0].micros;
    });
    expect(v).toMatchObject({ ok: false, error: expect.stringMatching(/end head says|chain/) });
  });

  it.each([
    ['an entry is dropped', (l: Record<string, any>[]) => l.splice(l.indexOf(entries(l)[2]!), 1), /expected chain position/],
    ['two entries are swapped', (l: Record<string, any>[]) => {
      const [a, b] = [l.indexOf(entries(l)[1]!), l.indexOf(entries(l)[2]!)];
      [l[a], l[b]] = [l[b]!, l[a]!];
    }, /expected chain position/],
    ['the statement is cut short', (l: Record<string, any>[]) => l.splice(l.length - 3), /stops before its end line/],
    ['the end line claims other totals', (l: Record<string, any>[]) => (l.at(-1)!.totals[0].netMicros = '1'), /total/],
    ['the signature is swapped for another head’s', (l: Record<string, any>[]) => (l[0]!.signature.value = Buffer.alloc(64, 7).toString('base64')), /does not verify/],
    ['the end head is moved', (l: Record<string, any>[]) => (l[0]!.end.hash = '0'.repeat(64)), /end head says/],
  ])('fails when %s', async (_what, edit, error) => {
    const v = await tampered(edit as (l: Record<string, any>[]) => void);
    expect(v).toMatchObject({ ok: false, error: expect.stringMatching(error) });
  });

  it('passes untouched', async () => {
    expect((await tampered(() => undefined)).ok).toBe(true);
  });

  it('detects a stored leg edited behind the ledger’s back (append-only triggers dropped)', async () => {
    await h.drain();
    const db = new Database(dbFile);
    db.exec('DROP TRIGGER ledger_legs_append_only_u');
    db.prepare("UPDATE ledger_legs SET micros = micros + 1 WHERE account = ? AND rowid = (SELECT MIN(rowid) FROM ledger_legs WHERE account = ?)").run(`publisher:${w.publisherId}`, `publisher:${w.publisherId}`);
    db.prepare("UPDATE ledger_legs SET micros = micros + 1 WHERE account = ? AND rowid = (SELECT MIN(rowid) FROM ledger_legs WHERE account = ?)").run(`advertiser:${w.advertiserId}`, `advertiser:${w.advertiserId}`);
    db.close();
    const v = await verify(await statement(w.advertiserKey));
    expect(v).toMatchObject({ ok: false, error: expect.stringMatching(/end head says|re-running/) });
  });

  it('detects a stored group deleted behind the ledger’s back', async () => {
    await h.drain();
    const db = new Database(dbFile);
    db.exec('PRAGMA foreign_keys = OFF; DROP TRIGGER ledger_legs_append_only_d; DROP TRIGGER ledger_groups_append_only_d; DROP TRIGGER ledger_chain_append_only_d');
    const victim = db.prepare('SELECT group_id FROM ledger_chain ORDER BY seq LIMIT 1 OFFSET 3').get() as { group_id: number };
    db.prepare('DELETE FROM ledger_chain WHERE group_id = ?').run(victim.group_id);
    db.prepare('DELETE FROM ledger_legs WHERE group_id = ?').run(victim.group_id);
    db.prepare('DELETE FROM ledger_groups WHERE id = ?').run(victim.group_id);
    db.close();
    const v = await verify(await statement(w.advertiserKey));
    expect(v).toMatchObject({ ok: false, error: expect.stringMatching(/expected chain position/) });
  });
});
