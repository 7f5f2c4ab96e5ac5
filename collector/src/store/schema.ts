/**
 * The schema, as numbered migrations run at start (`migrate(db)`), written once for both dialects:
 * `{{id}}` becomes an auto-increment key and `{{no_update:table}}` a trigger that refuses UPDATE
 * and DELETE (the ledger is append-only at the database level too, SPEC §3.4); on PostgreSQL
 * `{{no_truncate:table}}` refuses TRUNCATE as well (SQLite has none: its DELETE fires the triggers).
 *
 * Money columns are BIGINT micros; timestamps BIGINT epoch ms; JSON documents TEXT.
 */
import type { Db } from './db';

const V1 = `
CREATE TABLE advertisers (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, currency TEXT NOT NULL,
  s2s_secret_1 TEXT NOT NULL, s2s_secret_2 TEXT,
  api_key_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);
CREATE TABLE publishers (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, rev_share_bps INTEGER NOT NULL,
  api_key_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);
CREATE TABLE sites (
  id TEXT PRIMARY KEY, owner_type TEXT NOT NULL CHECK (owner_type IN ('advertiser', 'publisher')),
  owner_id TEXT NOT NULL, name TEXT NOT NULL, origins TEXT NOT NULL,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);
CREATE INDEX sites_owner ON sites (owner_type, owner_id);
CREATE TABLE slots (
  id TEXT PRIMARY KEY, site_id TEXT NOT NULL REFERENCES sites (id), publisher_id TEXT NOT NULL,
  name TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, status TEXT NOT NULL,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);
CREATE INDEX slots_publisher ON slots (publisher_id);
CREATE TABLE campaigns (
  id TEXT PRIMARY KEY, advertiser_id TEXT NOT NULL REFERENCES advertisers (id), name TEXT NOT NULL,
  status TEXT NOT NULL, terms_version INTEGER NOT NULL, landing_url TEXT NOT NULL,
  allowed_hosts TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);
CREATE INDEX campaigns_advertiser ON campaigns (advertiser_id);
CREATE TABLE campaign_terms (
  campaign_id TEXT NOT NULL REFERENCES campaigns (id), version INTEGER NOT NULL, terms TEXT NOT NULL,
  created_at BIGINT NOT NULL, PRIMARY KEY (campaign_id, version)
);
CREATE TABLE conversion_actions (
  advertiser_id TEXT NOT NULL REFERENCES advertisers (id), action_key TEXT NOT NULL, name TEXT NOT NULL,
  counting TEXT NOT NULL, model TEXT NOT NULL, click_window_days INTEGER, view_window_days INTEGER,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (advertiser_id, action_key)
);
CREATE TABLE creatives (
  id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL REFERENCES campaigns (id), width INTEGER NOT NULL,
  height INTEGER NOT NULL, image_url TEXT NOT NULL, alt TEXT NOT NULL, landing_url TEXT NOT NULL,
  status TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);
CREATE INDEX creatives_campaign ON creatives (campaign_id);

CREATE TABLE event_keys (
  site_id TEXT NOT NULL, type TEXT NOT NULL, event_id TEXT NOT NULL, payload_hash TEXT NOT NULL,
  result TEXT NOT NULL, received_at BIGINT NOT NULL, PRIMARY KEY (site_id, type, event_id)
);
CREATE TABLE page_views (
  id {{id}}, site_id TEXT NOT NULL, event_id TEXT NOT NULL, page_view_id TEXT, url TEXT, referrer TEXT,
  click_ids TEXT, other_click_ids TEXT, cookieless INTEGER NOT NULL, invalid_reason TEXT,
  at BIGINT NOT NULL, received_at BIGINT NOT NULL
);
CREATE INDEX page_views_site ON page_views (site_id, received_at);
CREATE TABLE vitals (
  id {{id}}, site_id TEXT NOT NULL, page_view_id TEXT, name TEXT NOT NULL, value DOUBLE PRECISION NOT NULL,
  at BIGINT NOT NULL, received_at BIGINT NOT NULL
);
CREATE TABLE impressions (
  id TEXT PRIMARY KEY, decision_id TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('served', 'viewable')),
  event_id TEXT NOT NULL, site_id TEXT NOT NULL, slot_id TEXT NOT NULL, publisher_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL, creative_id TEXT NOT NULL, advertiser_id TEXT NOT NULL,
  terms_version INTEGER NOT NULL, page_view_id TEXT, source_key TEXT NOT NULL, at BIGINT NOT NULL,
  received_at BIGINT NOT NULL, invalid_reason TEXT, billing TEXT NOT NULL, cost_micros BIGINT NOT NULL,
  UNIQUE (decision_id, kind)
);
CREATE INDEX impressions_view_through ON impressions (advertiser_id, source_key, kind, at);
CREATE INDEX impressions_campaign ON impressions (campaign_id, at);
CREATE INDEX impressions_publisher ON impressions (publisher_id, at);
CREATE INDEX impressions_page_slot ON impressions (page_view_id, slot_id);
CREATE TABLE clicks (
  click_id TEXT PRIMARY KEY, decision_id TEXT NOT NULL, via TEXT NOT NULL, event_id TEXT NOT NULL,
  site_id TEXT NOT NULL, slot_id TEXT NOT NULL, publisher_id TEXT NOT NULL, campaign_id TEXT NOT NULL,
  creative_id TEXT NOT NULL, advertiser_id TEXT NOT NULL, terms_version INTEGER NOT NULL,
  page_view_id TEXT, source_key TEXT NOT NULL, at BIGINT NOT NULL, received_at BIGINT NOT NULL,
  invalid_reason TEXT, duplicate_of TEXT, billing TEXT NOT NULL, cost_micros BIGINT NOT NULL
);
CREATE INDEX clicks_campaign_source ON clicks (campaign_id, source_key, at);
CREATE INDEX clicks_source ON clicks (source_key, at);
CREATE INDEX clicks_campaign ON clicks (campaign_id, at);
CREATE INDEX clicks_publisher ON clicks (publisher_id, at);
CREATE INDEX clicks_decision ON clicks (decision_id);
CREATE TABLE conversions (
  id TEXT PRIMARY KEY, advertiser_id TEXT NOT NULL, site_id TEXT, action_key TEXT NOT NULL,
  order_id TEXT, event_id TEXT NOT NULL, origin TEXT NOT NULL, click_ids TEXT, other_click_ids TEXT,
  source_key TEXT, value_micros BIGINT NOT NULL, currency TEXT, at BIGINT NOT NULL,
  received_at BIGINT NOT NULL, status TEXT NOT NULL, status_reason TEXT, campaign_id TEXT,
  publisher_id TEXT, creative_id TEXT, slot_id TEXT, touch_id TEXT, touch_kind TEXT,
  terms_version INTEGER, cost_micros BIGINT NOT NULL, decision TEXT NOT NULL, payload_hash TEXT NOT NULL,
  restatements INTEGER NOT NULL, updated_at BIGINT NOT NULL,
  UNIQUE (advertiser_id, action_key, order_id)
);
CREATE INDEX conversions_advertiser ON conversions (advertiser_id, received_at);
CREATE INDEX conversions_campaign ON conversions (campaign_id, at);
CREATE INDEX conversions_touch ON conversions (touch_id, action_key, status);
CREATE INDEX conversions_event ON conversions (advertiser_id, event_id);

CREATE TABLE ledger_groups (
  id {{id}}, idem_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, ref_type TEXT NOT NULL, ref_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL, advertiser_id TEXT NOT NULL, publisher_id TEXT NOT NULL, slot_id TEXT,
  terms_version INTEGER NOT NULL, currency TEXT NOT NULL, reason TEXT, at BIGINT NOT NULL,
  posted_at BIGINT NOT NULL
);
CREATE INDEX ledger_groups_ref ON ledger_groups (ref_type, ref_id);
CREATE INDEX ledger_groups_campaign ON ledger_groups (campaign_id, at);
CREATE INDEX ledger_groups_advertiser ON ledger_groups (advertiser_id, at);
CREATE INDEX ledger_groups_publisher ON ledger_groups (publisher_id, at);
CREATE TABLE ledger_legs (
  group_id BIGINT NOT NULL REFERENCES ledger_groups (id), account TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('debit', 'credit')), micros BIGINT NOT NULL CHECK (micros > 0)
);
CREATE INDEX ledger_legs_group ON ledger_legs (group_id);
CREATE INDEX ledger_legs_account ON ledger_legs (account);
{{no_update:ledger_groups}}
{{no_update:ledger_legs}}

CREATE TABLE spend (
  campaign_id TEXT NOT NULL, scope TEXT NOT NULL, publisher_id TEXT NOT NULL, micros BIGINT NOT NULL,
  PRIMARY KEY (campaign_id, scope, publisher_id)
);
CREATE TABLE cpm_totals (
  campaign_id TEXT NOT NULL, terms_version INTEGER NOT NULL, billable_count BIGINT NOT NULL,
  charged_micros BIGINT NOT NULL, PRIMARY KEY (campaign_id, terms_version)
);
CREATE TABLE rejected_events (
  id {{id}}, received_at BIGINT NOT NULL, site_id TEXT, endpoint TEXT NOT NULL, event_type TEXT,
  event_id TEXT, reason TEXT NOT NULL, detail TEXT, payload TEXT
);
CREATE INDEX rejected_events_site ON rejected_events (site_id, received_at);
CREATE INDEX rejected_events_time ON rejected_events (received_at);
`;

// PostgreSQL row triggers do not fire on TRUNCATE, which emptied the append-only ledger.
const V2 = `
{{no_truncate:ledger_legs}}
{{no_truncate:ledger_groups}}
`;

/** Numbered migrations; append, never edit a released one. */
// Served impressions never join a conversion by source (only viewable ones do, for view-through),
// and their source keys are random: maintaining the index for them cost one random page write each.
const V3 = `
DROP INDEX impressions_view_through;
CREATE INDEX impressions_view_through ON impressions (advertiser_id, source_key, at) WHERE kind = 'viewable';
`;

// Click floods are counted per IP across user agents, and every click window runs on the
// collector's receive time (a click beacon may claim an older time; it must not dodge a window).
const V4 = `
ALTER TABLE clicks ADD COLUMN ip_key TEXT;
DROP INDEX clicks_source;
CREATE INDEX clicks_source ON clicks (source_key, received_at);
DROP INDEX clicks_campaign_source;
CREATE INDEX clicks_campaign_source ON clicks (campaign_id, source_key, received_at);
CREATE INDEX clicks_ip ON clicks (ip_key, received_at);
`;

// The tamper-evident ledger (core/chain.ts): each group keeps the facts it was priced from;
// ledger_chain links the groups in the order they were sealed (at the end of the transaction that
// posted them), each link hashing the one before, with the group's random salt. Append-only like
// the ledger; groups posted before this migration are sealed (without facts) when the store opens.
const V5 = `
ALTER TABLE ledger_groups ADD COLUMN facts TEXT;
CREATE TABLE ledger_chain (
  seq BIGINT PRIMARY KEY, group_id BIGINT NOT NULL UNIQUE REFERENCES ledger_groups (id), salt TEXT NOT NULL,
  content_hash TEXT NOT NULL, hash TEXT NOT NULL, sealed_at BIGINT NOT NULL
);
CREATE INDEX ledger_chain_sealed ON ledger_chain (sealed_at);
{{no_update:ledger_chain}}
{{no_truncate:ledger_chain}}
`;

// The landing's UTM parameters, reported per page view and per conversion (issue 13; not billed).
const V6 = `
ALTER TABLE page_views ADD COLUMN utm TEXT;
ALTER TABLE conversions ADD COLUMN utm TEXT;
`;

// Publisher payouts (issue 14, core/payouts.ts): per currency, the reversal window a charge stays
// pending in and the smallest payout. Payouts themselves are ledger groups (kind 'payout').
// Version 8: version 7 is left to a migration being written on another branch at the same time.
const V8 = `
CREATE TABLE payout_policies (
  currency TEXT PRIMARY KEY, reversal_window_days INTEGER NOT NULL, threshold_micros BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
`;

// Advertisers find a conversion by its order ID (issue 14): the unique (advertiser, action, order)
// index needs the action first, so an order-ID search without one would scan the advertiser's rows.
const V9 = `
CREATE INDEX conversions_order ON conversions (advertiser_id, order_id);
`;

// A conversion counted 'one' asks, per candidate touch, for the first counted conversion of the
// touch and action (store/sql-write-tx.ts countedConversions). conversions_touch has the status
// after the action, so that query read and sorted every conversion the touch had won: quadratic in
// a touch's conversions, which an advertiser's own postbacks can pile up on one click.
const V10 = `
CREATE INDEX conversions_counted ON conversions (touch_id, action_key, received_at) WHERE status IN ('approved', 'restated', 'disputed', 'pending');
`;

// A beacon conversion's value is compared with the advertiser's last hundred of the action
// (core/outliers.ts). conversions_advertiser has no action or status, so that read walked back
// through all of the advertiser's conversions until it had found a hundred of the action: every
// beacon of a rare action paid for all the frequent ones.
const V11 = `
CREATE INDEX conversions_recent_values ON conversions (advertiser_id, action_key, received_at) WHERE status IN ('approved', 'restated', 'disputed');
`;

export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  { version: 1, name: 'initial schema', sql: V1 },
  { version: 2, name: 'ledger refuses TRUNCATE', sql: V2 },
  { version: 3, name: 'view-through index for viewable impressions only', sql: V3 },
  { version: 4, name: 'click windows on receive time; clicks per IP', sql: V4 },
  { version: 5, name: 'ledger facts, salts and the hash chain', sql: V5 },
  { version: 6, name: 'UTM parameters of page views and conversions', sql: V6 },
  { version: 8, name: 'publisher payout policies', sql: V8 },
  { version: 9, name: 'conversions by order ID', sql: V9 },
  { version: 10, name: 'first counted conversion of a touch', sql: V10 },
  { version: 11, name: 'recent values of an action', sql: V11 },
];

/** Renders a migration's portable SQL for a dialect. */
export function renderSql(sql: string, dialect: Db['dialect']): string {
  return sql
    .replace(/\{\{id\}\}/g, dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY')
    .replace(/\{\{no_update:(\w+)\}\}/g, (_, table: string) =>
      dialect === 'sqlite'
        ? `CREATE TRIGGER ${table}_append_only_u BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END;
           CREATE TRIGGER ${table}_append_only_d BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END;`
        : `CREATE OR REPLACE FUNCTION ${table}_append_only() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN RAISE EXCEPTION '${table} is append-only'; END $$;
           CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
             FOR EACH ROW EXECUTE FUNCTION ${table}_append_only();`,
    )
    .replace(/\{\{no_truncate:(\w+)\}\}/g, (_, table: string) =>
      dialect === 'sqlite'
        ? ''
        : `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${table}_append_only();`,
    );
}

const MIGRATIONS_TABLE = 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)';

/** Applies the migrations not yet applied, each in its own transaction. */
export async function migrate(db: Db, now: number): Promise<number[]> {
  if (db.dialect === 'postgres') {
    // Several processes may start at once on a fresh database, and CREATE TABLE IF NOT EXISTS is not
    // safe against a concurrent create (it fails on pg_type's unique index): create the table under
    // a transaction-scoped advisory lock per schema, so the others wait and then find it.
    await db.transaction(async (tx) => {
      await tx.get("SELECT pg_advisory_xact_lock(hashtext('perfpixel:migrate:' || current_schema()))");
      await tx.exec(MIGRATIONS_TABLE);
    });
  } else {
    await db.exec(MIGRATIONS_TABLE);
  }
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    const done = await db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.exec('LOCK TABLE schema_migrations IN EXCLUSIVE MODE'); // two processes starting at once
      const row = await tx.get('SELECT version FROM schema_migrations WHERE version = ?', [m.version]);
      if (row) return false;
      await tx.exec(renderSql(m.sql, tx.dialect));
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, now]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
