import { randomUUID } from 'node:crypto';

/**
 * An event or page-view ID shaped as the SDK makes them (sdk/src/event-id.ts: the time, then the
 * last 26 characters of a UUID), so the collector's B-trees see the key order real tags send. Not
 * the SDK's own function: it draws from blob URLs, which Node keeps until revoked — millions of them
 * in a load generator. `BENCH_IDS=uuid` sends random UUIDs instead, as the SDK did before issue 17.
 */
export const sdkEventId = process.env.BENCH_IDS === 'uuid' ? (_at?: number) => randomUUID() : (at = Date.now()) => at + randomUUID().slice(-26);
