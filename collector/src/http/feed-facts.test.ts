/**
 * The live feed's structured facts (issue 14): a conversion row names its conversion, state and
 * action so the dashboard can link to it and say it in words; a publisher gets neither conversions
 * nor billing codes (role table).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cpaSale, createHarness, seedWorld, type Harness, type World } from '../test-fixtures';

let h: Harness;
let w: World;
beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h);
});
afterEach(() => h.close());

describe('GET /v1/feed facts', () => {
  it('gives the advertiser each conversion’s ID, state and action, and each click’s billing and campaign', async () => {
    const id = await cpaSale(h, w, 'FEED-1');
    const items = (await h.api('GET', '/v1/feed', w.advertiserKey)).body.items as Record<string, unknown>[];
    expect(items.find((i) => i.type === 'conversion')).toMatchObject({ conversionId: id, status: 'approved', actionKey: 'purchase', campaignId: w.campaignId, costMicros: '5000000' });
    expect(items.find((i) => i.type === 'click')).toMatchObject({ campaignId: w.campaignId, billing: expect.any(String) });
  });

  it('gives a publisher no conversion and no billing code', async () => {
    await cpaSale(h, w, 'FEED-2');
    const items = (await h.api('GET', '/v1/feed', w.publisherKey)).body.items as Record<string, unknown>[];
    expect(items.length).toBeGreaterThan(0);
    for (const i of items) {
      expect(i.type).not.toBe('conversion');
      expect(i).not.toHaveProperty('billing');
      expect(i).not.toHaveProperty('conversionId');
      expect(i).not.toHaveProperty('costMicros');
    }
  });
});
