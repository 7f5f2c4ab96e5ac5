/**
 * The calls the verify page makes beyond the dashboard's API client: the test events of a site
 * (`GET /v1/sites/:id/test-events`), changing its allowed origins (`PATCH /v1/sites/:id`) and the
 * tag's current versioned URL with its SRI hash (`GET /sdk/current.json`). Errors are the
 * dashboard's `ApiError`, with the same readable messages.
 */
import { ApiError, describeFailure, type Api, type Site } from '../dashboard/api';
import type { PinnedTag } from './tag-snippet';

/** One event of the test-events view (collector/src/store/test-events.ts; money as a string). */
export interface TestEvent {
  receivedAt: number;
  type: string | null;
  eventId: string | null;
  outcome: 'counted' | 'billed' | 'merged' | 'held' | 'invalid' | 'refused';
  reason: string | null;
  clickId: boolean | null;
  consent: 'granted' | 'denied' | null;
  costMicros: string;
  fields: Record<string, unknown>;
}

/** The answer of `GET /v1/sites/:id/test-events`. */
export interface TestEvents {
  site: Site;
  code: string | null;
  now: number;
  since: number;
  events: TestEvent[];
  consent: { conversions: number; withoutClickId: number; storageDenied: number };
  invalid: { type: string; total: number; invalid: number; reasons: { reason: string; count: number }[] }[];
  strays: { siteId: string; count: number; lastAt: number }[];
}

/** A site ID that does not exist, with the caller's close ones. */
export class UnknownSite extends ApiError {
  constructor(
    message: string,
    readonly didYouMean: string[],
  ) {
    super(404, 'not_found', message);
  }
}

async function call<T>(api: Pick<Api, 'key'>, path: string, init: { method?: string; body?: unknown } = {}, fetchFn: typeof fetch = (...a) => fetch(...a)): Promise<T> {
  let res: Response;
  try {
    res = await fetchFn(path, {
      method: init.method ?? 'GET',
      headers: { Authorization: `Bearer ${api.key}`, Accept: 'application/json', ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Could not reach the collector. Is the server running?');
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string; reason?: string; didYouMean?: string[] };
  if (res.status === 404 && body.didYouMean) throw new UnknownSite(describeFailure(404, body.error ?? '', body.reason ?? ''), body.didYouMean);
  if (!res.ok) throw new ApiError(res.status, body.error ?? String(res.status), describeFailure(res.status, body.error ?? '', body.reason ?? ''));
  return body as T;
}

/** The newest events of a site; with `code`, only one test browser's. */
export const testEvents = (api: Pick<Api, 'key'>, siteId: string, code?: string | null, fetchFn?: typeof fetch) =>
  call<TestEvents>(api, `/v1/sites/${encodeURIComponent(siteId)}/test-events${code ? `?code=${encodeURIComponent(code)}` : ''}`, {}, fetchFn);

/** Replaces a site's allowed origins. */
export const setOrigins = (api: Pick<Api, 'key'>, siteId: string, origins: string[], fetchFn?: typeof fetch) =>
  call<{ site: Site }>(api, `/v1/sites/${encodeURIComponent(siteId)}`, { method: 'PATCH', body: { origins } }, fetchFn);

/** The tag's versioned URL and SRI hash, or null when this server does not serve versioned files. */
export async function pinnedTag(fetchFn: typeof fetch = (...a) => fetch(...a)): Promise<PinnedTag | null> {
  try {
    const res = await fetchFn('/sdk/current.json', { headers: { Accept: 'application/json' } });
    if (!res.ok) return null;
    const body = (await res.json()) as { files?: Record<string, PinnedTag> };
    return body.files?.['pp.js'] ?? null;
  } catch {
    return null;
  }
}

/**
 * The origin a person typed, as the collector keeps it (`https://shop.example`, no path), or a
 * sentence saying what is wrong with it.
 */
export function parseOrigin(typed: string): { origin: string } | { problem: string } {
  const t = typed.trim();
  if (!t) return { problem: 'Type the address of your site, e.g. https://shop.example.' };
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `https://${t}`);
  } catch {
    return { problem: `“${t}” is not a web address.` };
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return { problem: 'An origin starts with https:// (or http:// for a test server).' };
  return { origin: u.origin };
}

/** A random test code for `?pp_test=` (the SDK takes 1–24 letters or digits). */
export function newTestCode(random: () => number = Math.random): string {
  const chars = 'abcdefghjkmnpqrstuvwxyz23456789';
  return Array.from({ length: 6 }, () => chars[Math.floor(random() * chars.length)]).join('');
}
