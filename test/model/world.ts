/**
 * The small market every model-based sequence starts from (test/model/money-model.ts): two
 * advertisers in two currencies, two publishers, five campaigns covering CPC, CPM (viewable and
 * served basis) and CPA (flat + share), with budgets small enough that caps are hit within a
 * sequence. Written straight into the store's catalog — setting up is not what is under test, and a
 * sequence must start in milliseconds — so everything a sequence then does goes through
 * `app.request()` like an outsider's requests.
 *
 * ```ts
 * const h = await createHarness({ store });
 * const world = await buildWorld(h.store);
 * ```
 */
import { hashKey } from '../../collector/src/http/auth';
import { DEFAULT_TERMS, type CampaignTerms } from '../../collector/src/core/terms';
import type { Store } from '../../collector/src/store/store';

/** One advertiser of the world, with what it authenticates with. */
export interface ModelAdvertiser {
  id: string;
  currency: string;
  apiKey: string;
  s2sSecret: string;
  siteId: string;
}

/** One publisher of the world. */
export interface ModelPublisher {
  id: string;
  apiKey: string;
  siteId: string;
}

/** One campaign and the slots that always serve it (one creative size per campaign). */
export interface ModelCampaign {
  id: string;
  advertiser: number;
  slots: { id: string; publisher: number }[];
  terms: Omit<CampaignTerms, 'version'>;
}

/** The world a sequence starts from. */
export interface World {
  advertisers: ModelAdvertiser[];
  publishers: ModelPublisher[];
  campaigns: ModelCampaign[];
}

const terms = (campaignId: string, advertiserId: string, currency: string, over: Partial<CampaignTerms>): Omit<CampaignTerms, 'version'> => ({
  ...DEFAULT_TERMS,
  campaignId,
  advertiserId,
  currency,
  costModel: 'cpc',
  viewWindowDays: 1,
  payoutFromPublisher: true,
  ...over,
});

/** Builds the world into an empty store; answers its keys and IDs. */
export async function buildWorld(store: Store): Promise<World> {
  const advertisers: ModelAdvertiser[] = [
    { id: 'adv_eur', currency: 'EUR', apiKey: 'ppa_model_advertiser_eur_key', s2sSecret: 's2s-model-eur-secret', siteId: 'site_eur' },
    { id: 'adv_usd', currency: 'USD', apiKey: 'ppa_model_advertiser_usd_key', s2sSecret: 's2s-model-usd-secret', siteId: 'site_usd' },
  ];
  const publishers: ModelPublisher[] = [
    { id: 'pub_one', apiKey: 'ppp_model_publisher_one_key', siteId: 'site_one' },
    { id: 'pub_two', apiKey: 'ppp_model_publisher_two_key', siteId: 'site_two' },
  ];
  const c = store.catalog;
  for (const a of advertisers) {
    await c.createAdvertiser({ id: a.id, name: a.id, currency: a.currency, s2sSecrets: [a.s2sSecret] }, hashKey(a.apiKey));
    await c.createSite({ id: a.siteId, ownerType: 'advertiser', ownerId: a.id, name: a.siteId, origins: [] });
  }
  for (const [k, p] of publishers.entries()) {
    await c.createPublisher({ id: p.id, name: p.id, revShareBps: k === 0 ? 7000 : 5500 }, hashKey(p.apiKey));
    await c.createSite({ id: p.siteId, ownerType: 'publisher', ownerId: p.id, name: p.siteId, origins: [] });
  }
  const [eur, usd] = advertisers as [ModelAdvertiser, ModelAdvertiser];
  const campaigns: ModelCampaign[] = [
    {
      id: 'cmp_cpc',
      advertiser: 0,
      slots: [
        { id: 'slot_cpc_one', publisher: 0 },
        { id: 'slot_cpc_two', publisher: 1 },
      ],
      terms: terms('cmp_cpc', eur.id, 'EUR', { costModel: 'cpc', cpcMicros: 200_000n, totalBudgetMicros: 2_000_000n, dailyBudgetMicros: 1_000_000n, publisherDailyCapMicros: 600_000n }),
    },
    {
      id: 'cmp_cpm',
      advertiser: 0,
      slots: [{ id: 'slot_cpm_one', publisher: 0 }],
      terms: terms('cmp_cpm', eur.id, 'EUR', { costModel: 'cpm', cpmMicros: 1_234_567n, cpmBasis: 'viewable', totalBudgetMicros: 20_000n }),
    },
    {
      id: 'cmp_cpa',
      advertiser: 0,
      slots: [{ id: 'slot_cpa_two', publisher: 1 }],
      terms: terms('cmp_cpa', eur.id, 'EUR', {
        costModel: 'cpa',
        cpaFlatMicros: 1_000_000n,
        cpaBps: 1000,
        viewWindowDays: 0,
        clickWindowDays: 1,
        totalBudgetMicros: 30_000_000n,
        dailyBudgetMicros: 12_000_000n,
      }),
    },
    {
      id: 'cmp_usd_cpc',
      advertiser: 1,
      slots: [{ id: 'slot_usd_cpc_one', publisher: 0 }],
      terms: terms('cmp_usd_cpc', usd.id, 'USD', { costModel: 'cpc', cpcMicros: 300_000n }),
    },
    {
      id: 'cmp_usd_cpm',
      advertiser: 1,
      slots: [{ id: 'slot_usd_cpm_two', publisher: 1 }],
      terms: terms('cmp_usd_cpm', usd.id, 'USD', { costModel: 'cpm', cpmMicros: 2_000_000n, cpmBasis: 'served', dailyBudgetMicros: 9_000n }),
    },
  ];
  // One IAB size per campaign, none fitting inside another: a slot always serves its own campaign.
  const sizes = [
    [300, 250],
    [728, 90],
    [160, 600],
    [320, 50],
    [970, 90],
  ] as const;
  for (const [k, cmp] of campaigns.entries()) {
    const [width, height] = sizes[k]!;
    const adv = advertisers[cmp.advertiser]!;
    await c.createCampaign({
      id: cmp.id,
      advertiserId: adv.id,
      name: cmp.id,
      status: 'active',
      landingUrl: `https://${adv.id}.example/landing`,
      allowedHosts: [],
      terms: { ...cmp.terms, version: 1 },
    });
    await c.createCreative({ id: `cr_${cmp.id}`, campaignId: cmp.id, width, height, imageUrl: `/img/${cmp.id}.png`, alt: cmp.id, landingUrl: `https://${adv.id}.example/landing`, status: 'active' });
    for (const slot of cmp.slots) {
      const pub = publishers[slot.publisher]!;
      await c.createSlot({ id: slot.id, siteId: pub.siteId, publisherId: pub.id, name: slot.id, width, height, status: 'active' });
    }
  }
  return { advertisers, publishers, campaigns };
}
