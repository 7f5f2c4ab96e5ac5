/**
 * Statement verification (issue 12): how long `perfpixel verify` takes on an advertiser's statement
 * of 100 k conversions over 1 M touches, and how big that statement is.
 *
 * Built through the product's own paths, never a copy of them:
 * 1. a SQLite store file opened and migrated by `openStore`, the catalog (advertiser, publishers,
 *    slots, CPA campaigns) made through the admin API (`app.request`);
 * 2. the touches written with the store's real `WriteTx` (`insertClick`, `insertImpression`; click
 *    IDs minted and signed by the collector's keys), the conversions through the pipeline's own
 *    `processConversion` inside `store.write` — attribution, pricing, the facts recorded with each
 *    entry group and the chain sealing are the collector's code;
 * 3. the statement from the real `GET /v1/statements` (`app.request`), streamed to a file;
 * 4. the CLI (`node bin/perfpixel.mjs verify <file> --keys <file>`) timed over a few runs.
 *
 * Touches are spread over 100 k sources as in the attribution replay (replay-bench.ts): 20 % clicks,
 * the rest viewable impressions; a conversion carries up to five click IDs of its source and meets
 * its source's views, so each has a handful of candidate touches recorded in its facts.
 */
import { copyFileSync, createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createCollector } from '../collector/src/app';
import { DAY_MS } from '../collector/src/core/terms';
import { createKeys } from '../collector/src/ingest/keys';
import { processConversion } from '../collector/src/ingest/conversions';
import { DEFAULT_IVT_LIMITS, type PipelineDeps } from '../collector/src/ingest/deps';
import { openStore } from '../collector/src/store/open-store';
import { perfpixel } from '../test/e2e/support/perfpixel-cli';
import { rng } from './replay-bench';

/** What the benchmark measured. */
export interface StatementBenchResult {
  touches: number;
  conversions: number;
  /** Entry groups in the statement (charges of the period). */
  entries: number;
  candidatesPerConversion: number;
  bytes: number;
  lines: number;
  buildSeconds: number;
  statementSeconds: number;
  verifySeconds: { min: number; median: number; max: number; runs: number[] };
  entriesPerSecond: number;
  megabytesPerSecond: number;
  verified: boolean;
}

const SECRET = 'statement-bench-secret-0123456789abcdef';
const OPERATOR_KEY = 'op_statement_bench_operator_key_01';
const SOURCES = 100_000;
const CAMPAIGNS = 8;
const PUBLISHERS = 4;
const T0 = Date.UTC(2026, 9, 1);
const BATCH = 5000;

/** Builds the store, downloads the statement and times its verification. */
export async function runStatementBenchmark(o: { touches: number; conversions: number; runs: number; log: (s: string) => void; keepIn?: string }): Promise<StatementBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pp-statement-bench-'));
  let now = T0;
  const clock = () => now;
  // NORMAL: the build is not about durability, and FULL would fsync every batch for nothing.
  const store = await openStore(`sqlite:${join(dir, 'bench.db')}`, { clock, sqliteSynchronous: 'NORMAL' });
  const { app } = createCollector({ store, clock, secret: SECRET, operatorKey: OPERATOR_KEY });
  const keys = createKeys(SECRET);
  const r = rng(7);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  const deps: PipelineDeps = { keys, random: bytes, newId: (() => { let n = 0; return (p: string) => `${p}_${String(++n).padStart(9, '0')}`; })(), limits: DEFAULT_IVT_LIMITS };
  try {
    const started = performance.now();
    const api = async (method: string, path: string, key: string, body: unknown) => {
      const res = await app.request(path, { method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, any>;
    };
    const adv = await api('POST', '/v1/advertisers', OPERATOR_KEY, { id: 'adv', name: 'Bench shop', currency: 'EUR' });
    // Only the operator may choose IDs (admin-routes.ts): the rest take the IDs the collector assigns.
    const shop = (await api('POST', '/v1/sites', adv.apiKey, { name: 'Shop', origins: ['https://shop.example'] })).site.id as string;
    const pubs: { id: string; site: string; slot: string }[] = [];
    for (let p = 0; p < PUBLISHERS; p++) {
      const pub = await api('POST', '/v1/publishers', OPERATOR_KEY, { id: `p${p}`, name: `Publisher ${p}`, revShareBps: 6000 + p * 500 });
      const site = (await api('POST', '/v1/sites', pub.apiKey, { name: `News ${p}`, origins: [] })).site.id as string;
      const slot = (await api('POST', '/v1/slots', pub.apiKey, { siteId: site, name: 'Top', size: '300x250' })).slot.id as string;
      pubs.push({ id: pub.publisher.id as string, site, slot });
    }
    const camps: { id: string; creative: string }[] = [];
    for (let c = 0; c < CAMPAIGNS; c++) {
      const camp = await api('POST', '/v1/campaigns', adv.apiKey, {
        name: `Campaign ${c}`,
        landingUrl: 'https://shop.example/',
        terms: { costModel: 'cpa', cpaFlatMicros: String(1_000_000 + c * 250_000), cpaBps: 500, clickWindowDays: 90, viewWindowDays: 1, priority: c % 3 },
      });
      const creative = await api('POST', '/v1/creatives', adv.apiKey, { campaignId: camp.campaign.id, size: '300x250', imageUrl: `/i/${c}.png`, alt: `c${c}` });
      camps.push({ id: camp.campaign.id as string, creative: creative.creative.id as string });
    }

    // Touches over the first 30 days, through the store's own write transactions.
    const clicksBySource = new Map<number, string[]>();
    const source = (n: number) => `src${n}`;
    for (let n = 0; n < o.touches; ) {
      const end = Math.min(o.touches, n + BATCH);
      now = T0 + Math.floor((n / o.touches) * 30 * DAY_MS);
      await store.write(async (tx) => {
        for (; n < end; n++) {
          const s = Math.floor(r() * SOURCES);
          const c = Math.floor(r() * CAMPAIGNS);
          const p = Math.floor(r() * PUBLISHERS);
          const at = T0 + Math.floor(r() * 30 * DAY_MS);
          const base = { decisionId: `d${n}`, eventId: `e${n}`, siteId: pubs[p]!.site, slotId: pubs[p]!.slot, publisherId: pubs[p]!.id, campaignId: camps[c]!.id, creativeId: camps[c]!.creative, advertiserId: 'adv', termsVersion: 1, pageViewId: `pv${n}`, sourceKey: source(s), at, receivedAt: at, invalidReason: r() < 0.03 ? 'declared_bot' : null, billing: 'no_charge' as const, costMicros: 0n };
          if (r() < 0.2) {
            const clickId = keys.mintClickId('adv', bytes(12));
            await tx.insertClick({ ...base, clickId, via: 'redirect', ipKey: null, duplicateOf: null });
            const list = clicksBySource.get(s) ?? [];
            if (list.length < 5) list.push(clickId);
            clicksBySource.set(s, list);
          } else {
            await tx.insertImpression({ ...base, kind: 'viewable' });
          }
        }
      });
    }
    o.log(`  statement: ${o.touches.toLocaleString('en')} touches written in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // Conversions over the next 30 days, each through the pipeline's own conversion step.
    let candidates = 0;
    // Every conversion comes from a source that clicked (they carry its click IDs), so nearly all are charged.
    const clickers = [...clicksBySource.keys()];
    for (let n = 0; n < o.conversions; ) {
      const end = Math.min(o.conversions, n + 1000);
      await store.write(async (tx) => {
        for (; n < end; n++) {
          const s = clickers[n % clickers.length]!;
          const at = T0 + 30 * DAY_MS + Math.floor((n / o.conversions) * 30 * DAY_MS);
          now = at + 1000;
          const clickIds = clicksBySource.get(s) ?? [];
          const res = await processConversion(
            tx,
            {
              advertiserId: 'adv', siteId: shop, actionKey: 'purchase', orderId: `o${n}`, eventId: `cv${n}`, origin: 'beacon', clickIds: [...clickIds].reverse(), otherClickIds: {},
              sourceKey: source(s), valueMicros: BigInt(10_000_000 + Math.floor(r() * 190_000_000)), currency: 'EUR', at, receivedAt: now, payloadHash: `h${n}`, ivt: null,
            },
            deps,
          );
          if (res.status !== 'accepted') throw new Error(`conversion ${n}: ${JSON.stringify(res)}`);
        }
      });
    }
    const buildSeconds = (performance.now() - started) / 1000;
    o.log(`  statement: ${o.conversions.toLocaleString('en')} conversions through the pipeline; store built in ${buildSeconds.toFixed(1)} s`);

    // The advertiser's statement from the real route, streamed to a file.
    now += 60_000;
    const file = join(dir, 'statement.ndjson');
    const t1 = performance.now();
    const res = await app.request('/v1/statements', { headers: { Authorization: `Bearer ${adv.apiKey}` } });
    if (res.status !== 200 || !res.body) throw new Error(`GET /v1/statements → ${res.status}`);
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(file));
    const statementSeconds = (performance.now() - t1) / 1000;
    const keysFile = join(dir, 'perfpixel-keys.json');
    writeFileSync(keysFile, await (await app.request('/.well-known/perfpixel-keys.json')).text());
    const size = statSync(file).size;
    let lines = 0;
    let entries = 0;
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      lines++;
      if (line.includes('"type":"entry"')) {
        entries++;
        candidates += (line.match(/"countedConversionId"/g) ?? []).length;
      }
    }
    o.log(`  statement: ${(size / 1e6).toFixed(1)} MB, ${lines.toLocaleString('en')} lines (${entries.toLocaleString('en')} entries) written in ${statementSeconds.toFixed(1)} s`);
    await store.close();
    if (o.keepIn) {
      copyFileSync(file, join(o.keepIn, 'statement.ndjson'));
      copyFileSync(keysFile, join(o.keepIn, 'perfpixel-keys.json'));
    }

    // The CLI on the file, a few times.
    const runs: number[] = [];
    let verified = true;
    for (let k = 0; k < o.runs; k++) {
      const v = await perfpixel('verify', file, '--keys', keysFile);
      if (v.code !== 0) {
        verified = false;
        o.log(`  statement: verify failed (${v.code}): ${(v.stdout + v.stderr).slice(0, 500)}`);
      }
      runs.push(Number(v.seconds.toFixed(2)));
      o.log(`  statement: perfpixel verify run ${k + 1}: ${v.seconds.toFixed(2)} s`);
    }
    const sorted = [...runs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return {
      touches: o.touches,
      conversions: o.conversions,
      entries,
      candidatesPerConversion: Number((candidates / Math.max(entries, 1)).toFixed(1)),
      bytes: size,
      lines,
      buildSeconds: Number(buildSeconds.toFixed(1)),
      statementSeconds: Number(statementSeconds.toFixed(1)),
      verifySeconds: { min: sorted[0]!, median, max: sorted.at(-1)!, runs },
      entriesPerSecond: Math.round(entries / median),
      megabytesPerSecond: Number((size / 1e6 / median).toFixed(1)),
      verified,
    };
  } finally {
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

// `tsx bench/statement-bench.ts [--quick]` runs it alone.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const keep = process.argv.indexOf('--keep');
  runStatementBenchmark({ touches: quick ? 100_000 : 1_000_000, conversions: quick ? 10_000 : 100_000, runs: 3, log: console.log, ...(keep > 0 ? { keepIn: process.argv[keep + 1]! } : {}) })
    .then((r) => console.log(JSON.stringify(r, null, 2)))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
