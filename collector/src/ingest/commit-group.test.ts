/**
 * commitGroup (commit-group.ts): a group's tokens are verified once each — the lookups read ahead
 * and the items share the answer — and the answers are the same as verifying twice would give.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, seedWorld, serveAd, type Harness } from '../test-fixtures';
import { commitGroup } from './commit-group';
import type { IngestItem } from './items';

let h: Harness;
afterEach(() => h?.close());

describe('commitGroup', () => {
  it('verifies each token of the group once and answers every item as before, a forged token refused', async () => {
    h = await createHarness();
    const w = await seedWorld(h, { terms: { costModel: 'cpm', cpmMicros: '2000000', cpmBasis: 'served' } });
    const tokens = await Promise.all(Array.from({ length: 5 }, (_, n) => serveAd(h, w.slotId, `pv${n}`).then((a) => a.tk)));
    const forged = `${tokens[0]!.slice(0, -2)}${tokens[0]!.endsWith('AA') ? 'BB' : 'AA'}`;
    const calls: string[] = [];
    const keys = h.collector.pipeline.keys;
    const pipeline = { ...h.collector.pipeline, keys: { ...keys, verifyToken: (t: string) => (calls.push(t), keys.verifyToken(t)) } };
    const at = h.clock();
    const item = (tk: string, n: number): IngestItem => ({
      kind: 'beacon', siteId: w.newsSiteId, event: { t: 'imp', i: `e${n}`, ts: at, tk }, at, payloadHash: `h${n}`,
      ctx: { receivedAt: at, sourceKey: `src${n}`, ivt: null, endpoint: '/e' },
    });
    const items = [...tokens.map(item), item(forged, 9)];
    const out = await commitGroup((fn) => h.store.write(fn), items, { pipeline, logger: pino({ level: 'silent' }), clock: () => at });
    expect(out.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'accepted', 'rejected']);
    expect(out.slice(0, 5).map((r) => r.billedMicros)).toEqual(['2000', '2000', '2000', '2000', '2000']);
    expect(out[5]).toMatchObject({ reason: 'bad_signature' });
    expect(calls.sort()).toEqual([...tokens, forged].sort());
  });

  it('reads S2S conversions’ event keys ahead with the group’s, and a replay in a later group still answers duplicate', async () => {
    h = await createHarness();
    const w = await seedWorld(h, { terms: { costModel: 'cpa', cpaFlatMicros: '1000000' } });
    const at = h.clock();
    const s2s = (n: number): IngestItem => ({
      kind: 's2s', advertiserId: w.advertiserId, body: { event_id: `cv${n}`, action: 'purchase', order_id: `o${n}` }, payloadHash: `p${n}`,
      ctx: { receivedAt: at, sourceKey: 'server', ivt: null, endpoint: '/v1/conversions' },
    });
    const wants: unknown[] = [];
    const write: Parameters<typeof commitGroup>[0] = (fn) => h.store.write((tx) => fn({ ...tx, prefetch: async (want) => void (wants.push(want), await tx.prefetch!(want)) }));
    const deps = { pipeline: h.collector.pipeline, logger: pino({ level: 'silent' }), clock: () => at };
    const first = await commitGroup(write, [s2s(1), s2s(2)], deps);
    expect(first.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    expect(wants[0]).toMatchObject({ eventKeys: [[`s2s:${w.advertiserId}`, 'cv', 'cv1'], [`s2s:${w.advertiserId}`, 'cv', 'cv2']] });
    const again = await commitGroup(write, [s2s(2), s2s(3)], deps);
    expect(again.map((r) => r.status)).toEqual(['duplicate', 'accepted']);
  });
});
