/** `GET /v1/publisher-names`: an advertiser reads the names of the publishers its ads ran with, and no others. */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { OPERATOR_KEY, cpaSale, createHarness, seedWorld, type Harness, type World } from '../test-fixtures';

let h: Harness;
let w: World;
beforeEach(async () => {
  h = await createHarness();
  w = await seedWorld(h);
  await h.api('POST', '/v1/publishers', OPERATOR_KEY, { id: 'pub_other', name: 'Another Paper', revShareBps: 5000 });
});
afterEach(() => h.close());

it('names only the publishers an advertiser’s ads ran with; the operator reads them all', async () => {
  expect((await h.api('GET', '/v1/publisher-names', w.advertiserKey)).body).toEqual({ publishers: [] });
  await cpaSale(h, w, 'N-1');
  const adv = await h.api('GET', '/v1/publisher-names', w.advertiserKey);
  expect(adv.body.publishers).toEqual([{ id: w.publisherId, name: expect.any(String) }]);
  const op = await h.api('GET', '/v1/publisher-names', OPERATOR_KEY);
  expect(op.body.publishers.map((p: { id: string }) => p.id).sort()).toEqual(['pub_other', w.publisherId].sort());
  expect(JSON.stringify(op.body)).not.toContain('revShare');
  expect((await h.api('GET', '/v1/publisher-names', w.publisherKey)).status).toBe(403);
});
