/** The Catalog half of the SQL store: advertisers, publishers, sites, slots, campaigns, creatives. */
import type { CampaignTerms } from '../core/terms';
import { num, type Db } from './db';
import { termsFromJson, termsToJson } from './json';
import type {
  Advertiser,
  Campaign,
  Catalog,
  ConversionActionRecord,
  Creative,
  Principal,
  Publisher,
  Site,
  Slot,
} from './store';

type Row = Record<string, unknown>;
const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : num(v));

export const toAdvertiser = (r: Row): Advertiser => ({
  id: str(r.id),
  name: str(r.name),
  currency: str(r.currency),
  s2sSecrets: [str(r.s2s_secret_1), strOrNull(r.s2s_secret_2)].filter((s): s is string => !!s),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});
export const toPublisher = (r: Row): Publisher => ({
  id: str(r.id),
  name: str(r.name),
  revShareBps: num(r.rev_share_bps),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});
export const toSite = (r: Row): Site => ({
  id: str(r.id),
  ownerType: str(r.owner_type) as Site['ownerType'],
  ownerId: str(r.owner_id),
  name: str(r.name),
  origins: JSON.parse(str(r.origins) || '[]') as string[],
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});
export const toSlot = (r: Row): Slot => ({
  id: str(r.id),
  siteId: str(r.site_id),
  publisherId: str(r.publisher_id),
  name: str(r.name),
  width: num(r.width),
  height: num(r.height),
  status: str(r.status) as Slot['status'],
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});
export const toCreative = (r: Row): Creative => ({
  id: str(r.id),
  campaignId: str(r.campaign_id),
  width: num(r.width),
  height: num(r.height),
  imageUrl: str(r.image_url),
  alt: str(r.alt),
  landingUrl: str(r.landing_url),
  status: str(r.status) as Creative['status'],
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});
export const toAction = (r: Row): ConversionActionRecord => ({
  advertiserId: str(r.advertiser_id),
  key: str(r.action_key),
  name: str(r.name),
  counting: str(r.counting) as ConversionActionRecord['counting'],
  model: str(r.model) as ConversionActionRecord['model'],
  clickWindowDays: numOrNull(r.click_window_days),
  viewWindowDays: numOrNull(r.view_window_days),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});
/** A campaign row joined with its current terms row (`terms` column). */
export const toCampaign = (r: Row): Campaign => ({
  id: str(r.id),
  advertiserId: str(r.advertiser_id),
  name: str(r.name),
  status: str(r.status) as Campaign['status'],
  landingUrl: str(r.landing_url),
  allowedHosts: JSON.parse(str(r.allowed_hosts) || '[]') as string[],
  terms: termsFromJson(str(r.terms), { campaignId: str(r.id), advertiserId: str(r.advertiser_id), version: num(r.terms_version) }),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

export const CAMPAIGN_SELECT = `SELECT c.*, t.terms FROM campaigns c JOIN campaign_terms t ON t.campaign_id = c.id AND t.version = c.terms_version`;

type Clock = () => number;

/** Builds the Catalog over a Db. */
export function createSqlCatalog(db: Db, clock: Clock): Catalog {
  const one = async <T>(sql: string, params: (string | number | null)[], map: (r: Row) => T): Promise<T | null> => {
    const r = await db.get<Row>(sql, params);
    return r ? map(r) : null;
  };
  const many = async <T>(sql: string, params: (string | number | null)[], map: (r: Row) => T): Promise<T[]> =>
    (await db.all<Row>(sql, params)).map(map);

  /** UPDATE table SET <patch columns>, updated_at WHERE id; returns whether a row matched. */
  const patchRow = async (table: string, id: string, cols: Record<string, string | number | null | undefined>) => {
    const set = Object.entries(cols).filter(([, v]) => v !== undefined) as [string, string | number | null][];
    const sql = `UPDATE ${table} SET ${[...set.map(([k]) => `${k} = ?`), 'updated_at = ?'].join(', ')} WHERE id = ?`;
    return (await db.run(sql, [...set.map(([, v]) => v), clock(), id])).changes > 0;
  };

  const catalog: Catalog = {
    async createAdvertiser(a, keyHash) {
      const now = clock();
      await db.run(
        'INSERT INTO advertisers (id, name, currency, s2s_secret_1, s2s_secret_2, api_key_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [a.id, a.name, a.currency, a.s2sSecrets[0] ?? '', a.s2sSecrets[1] ?? null, keyHash, now, now],
      );
      return (await catalog.getAdvertiser(a.id))!;
    },
    async updateAdvertiser(id, patch) {
      const ok = await patchRow('advertisers', id, {
        name: patch.name,
        s2s_secret_1: patch.s2sSecrets ? (patch.s2sSecrets[0] ?? '') : undefined,
        s2s_secret_2: patch.s2sSecrets ? (patch.s2sSecrets[1] ?? null) : undefined,
      });
      return ok ? catalog.getAdvertiser(id) : null;
    },
    getAdvertiser: (id) => one('SELECT * FROM advertisers WHERE id = ?', [id], toAdvertiser),
    listAdvertisers: () => many('SELECT * FROM advertisers ORDER BY created_at, id', [], toAdvertiser),

    async createPublisher(p, keyHash) {
      const now = clock();
      await db.run('INSERT INTO publishers (id, name, rev_share_bps, api_key_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', [
        p.id,
        p.name,
        p.revShareBps,
        keyHash,
        now,
        now,
      ]);
      return (await catalog.getPublisher(p.id))!;
    },
    async updatePublisher(id, patch) {
      const ok = await patchRow('publishers', id, { name: patch.name, rev_share_bps: patch.revShareBps });
      return ok ? catalog.getPublisher(id) : null;
    },
    getPublisher: (id) => one('SELECT * FROM publishers WHERE id = ?', [id], toPublisher),
    listPublishers: () => many('SELECT * FROM publishers ORDER BY created_at, id', [], toPublisher),

    async principalByKeyHash(hash) {
      const a = await db.get<Row>('SELECT id FROM advertisers WHERE api_key_hash = ?', [hash]);
      if (a) return { kind: 'advertiser', id: str(a.id) };
      const p = await db.get<Row>('SELECT id FROM publishers WHERE api_key_hash = ?', [hash]);
      return p ? { kind: 'publisher', id: str(p.id) } : null;
    },
    async setKeyHash(principal: Principal, hash) {
      await patchRow(principal.kind === 'advertiser' ? 'advertisers' : 'publishers', principal.id, { api_key_hash: hash });
    },

    async createSite(s) {
      const now = clock();
      await db.run('INSERT INTO sites (id, owner_type, owner_id, name, origins, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        s.id,
        s.ownerType,
        s.ownerId,
        s.name,
        JSON.stringify(s.origins),
        now,
        now,
      ]);
      return (await catalog.getSite(s.id))!;
    },
    async updateSite(id, patch) {
      const ok = await patchRow('sites', id, { name: patch.name, origins: patch.origins ? JSON.stringify(patch.origins) : undefined });
      return ok ? catalog.getSite(id) : null;
    },
    getSite: (id) => one('SELECT * FROM sites WHERE id = ?', [id], toSite),
    listSites: (owner) =>
      owner
        ? many('SELECT * FROM sites WHERE owner_type = ? AND owner_id = ? ORDER BY created_at, id', [owner.ownerType, owner.ownerId], toSite)
        : many('SELECT * FROM sites ORDER BY created_at, id', [], toSite),

    async createSlot(s) {
      const now = clock();
      await db.run(
        'INSERT INTO slots (id, site_id, publisher_id, name, width, height, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [s.id, s.siteId, s.publisherId, s.name, s.width, s.height, s.status, now, now],
      );
      return (await catalog.getSlot(s.id))!;
    },
    async updateSlot(id, patch) {
      const ok = await patchRow('slots', id, { name: patch.name, width: patch.width, height: patch.height, status: patch.status });
      return ok ? catalog.getSlot(id) : null;
    },
    getSlot: (id) => one('SELECT * FROM slots WHERE id = ?', [id], toSlot),
    listSlots: (f = {}) =>
      many(
        'SELECT * FROM slots WHERE (CAST(? AS TEXT) IS NULL OR publisher_id = ?) AND (CAST(? AS TEXT) IS NULL OR site_id = ?) ORDER BY created_at, id',
        [f.publisherId ?? null, f.publisherId ?? null, f.siteId ?? null, f.siteId ?? null],
        toSlot,
      ),

    async createCampaign(c) {
      const now = clock();
      await db.transaction(async (tx) => {
        await tx.run(
          'INSERT INTO campaigns (id, advertiser_id, name, status, terms_version, landing_url, allowed_hosts, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)',
          [c.id, c.advertiserId, c.name, c.status, c.landingUrl, JSON.stringify(c.allowedHosts), now, now],
        );
        await tx.run('INSERT INTO campaign_terms (campaign_id, version, terms, created_at) VALUES (?, 1, ?, ?)', [c.id, termsJson(c.terms), now]);
      });
      return (await catalog.getCampaign(c.id))!;
    },
    async updateCampaign(id, patch) {
      const now = clock();
      const found = await db.transaction(async (tx) => {
        // Lock the campaign row on PostgreSQL so concurrent terms updates take versions in turn
        // instead of both inserting the same next version (SQLite transactions already run one at a time).
        const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
        const row = await tx.get<Row>(`SELECT terms_version FROM campaigns WHERE id = ?${lock}`, [id]);
        if (!row) return false;
        if (tx.dialect === 'postgres' && (patch.terms || patch.status)) {
          // Take the campaign's total-budget row, which every charge locks before it reads the caps
          // in force: a charge in flight commits first, and every later one sees the new terms
          // (SPEC §3.8 "checked against the caps in force when it is charged", across processes).
          await tx.run("INSERT INTO spend (campaign_id, scope, publisher_id, micros) VALUES (?, 'total', '', 0) ON CONFLICT DO NOTHING", [id]);
          await tx.get("SELECT micros FROM spend WHERE campaign_id = ? AND scope = 'total' AND publisher_id = '' FOR UPDATE", [id]);
        }
        let version = num(row.terms_version);
        if (patch.terms) {
          // Terms are never edited in place: a new version, so past decisions keep theirs.
          version += 1;
          await tx.run('INSERT INTO campaign_terms (campaign_id, version, terms, created_at) VALUES (?, ?, ?, ?)', [id, version, termsJson(patch.terms), now]);
        }
        const cols: Record<string, string | number | undefined> = {
          name: patch.name,
          status: patch.status,
          landing_url: patch.landingUrl,
          allowed_hosts: patch.allowedHosts ? JSON.stringify(patch.allowedHosts) : undefined,
          terms_version: version,
        };
        const set = Object.entries(cols).filter(([, v]) => v !== undefined) as [string, string | number][];
        await tx.run(`UPDATE campaigns SET ${[...set.map(([k]) => `${k} = ?`), 'updated_at = ?'].join(', ')} WHERE id = ?`, [
          ...set.map(([, v]) => v),
          now,
          id,
        ]);
        return true;
      });
      return found ? catalog.getCampaign(id) : null;
    },
    getCampaign: (id) => one(`${CAMPAIGN_SELECT} WHERE c.id = ?`, [id], toCampaign),
    listCampaigns: (f = {}) =>
      many(
        `${CAMPAIGN_SELECT} WHERE (CAST(? AS TEXT) IS NULL OR c.advertiser_id = ?) AND (CAST(? AS TEXT) IS NULL OR c.status = ?) ORDER BY c.created_at, c.id`,
        [f.advertiserId ?? null, f.advertiserId ?? null, f.status ?? null, f.status ?? null],
        toCampaign,
      ),
    async getTerms(campaignId, version) {
      const r = await db.get<Row>(
        'SELECT t.terms, c.advertiser_id FROM campaign_terms t JOIN campaigns c ON c.id = t.campaign_id WHERE t.campaign_id = ? AND t.version = ?',
        [campaignId, version],
      );
      return r ? termsFromJson(str(r.terms), { campaignId, advertiserId: str(r.advertiser_id), version }) : null;
    },
    async listTermsVersions(campaignId) {
      const rows = await db.all<Row>(
        'SELECT t.terms, t.version, t.created_at, c.advertiser_id FROM campaign_terms t JOIN campaigns c ON c.id = t.campaign_id WHERE t.campaign_id = ? ORDER BY t.version',
        [campaignId],
      );
      return rows.map((r) => ({
        ...termsFromJson(str(r.terms), { campaignId, advertiserId: str(r.advertiser_id), version: num(r.version) }),
        createdAt: num(r.created_at),
      }));
    },

    async createCreative(c) {
      const now = clock();
      await db.run(
        'INSERT INTO creatives (id, campaign_id, width, height, image_url, alt, landing_url, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [c.id, c.campaignId, c.width, c.height, c.imageUrl, c.alt, c.landingUrl, c.status, now, now],
      );
      return (await catalog.getCreative(c.id))!;
    },
    async updateCreative(id, patch) {
      const ok = await patchRow('creatives', id, {
        image_url: patch.imageUrl,
        alt: patch.alt,
        landing_url: patch.landingUrl,
        status: patch.status,
        width: patch.width,
        height: patch.height,
      });
      return ok ? catalog.getCreative(id) : null;
    },
    getCreative: (id) => one('SELECT * FROM creatives WHERE id = ?', [id], toCreative),
    listCreatives: (f = {}) =>
      many(
        `SELECT cr.* FROM creatives cr JOIN campaigns c ON c.id = cr.campaign_id
         WHERE (CAST(? AS TEXT) IS NULL OR cr.campaign_id = ?) AND (CAST(? AS TEXT) IS NULL OR c.advertiser_id = ?) ORDER BY cr.created_at, cr.id`,
        [f.campaignId ?? null, f.campaignId ?? null, f.advertiserId ?? null, f.advertiserId ?? null],
        toCreative,
      ),

    async putConversionAction(a) {
      const now = clock();
      await db.run(
        `INSERT INTO conversion_actions (advertiser_id, action_key, name, counting, model, click_window_days, view_window_days, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (advertiser_id, action_key) DO UPDATE SET name = excluded.name, counting = excluded.counting, model = excluded.model,
           click_window_days = excluded.click_window_days, view_window_days = excluded.view_window_days, updated_at = excluded.updated_at`,
        [a.advertiserId, a.key, a.name, a.counting, a.model, a.clickWindowDays, a.viewWindowDays, now, now],
      );
      return (await catalog.getConversionAction(a.advertiserId, a.key))!;
    },
    getConversionAction: (advertiserId, key) =>
      one('SELECT * FROM conversion_actions WHERE advertiser_id = ? AND action_key = ?', [advertiserId, key], toAction),
    listConversionActions: (advertiserId) =>
      many('SELECT * FROM conversion_actions WHERE advertiser_id = ? ORDER BY created_at, action_key', [advertiserId], toAction),

    async isEmpty() {
      const r = await db.get<Row>('SELECT COUNT(*) AS n FROM advertisers');
      return num(r?.n) === 0;
    },
  };
  return catalog;
}

function termsJson(t: Omit<CampaignTerms, 'version'>): string {
  const { campaignId: _c, advertiserId: _a, ...rest } = t as CampaignTerms;
  void _c;
  void _a;
  return termsToJson(rest);
}
