/**
 * The test-events view in words: what each event is, what became of it and why, for a site owner
 * rather than an engineer. Pure, so the words are tested without a browser.
 */
import { rejectionWords } from '../dashboard/rejection-words';
import type { TestEvent } from './verify-api';

const TYPES: Record<string, string> = {
  pv: 'Page view',
  imp: 'Ad served',
  vi: 'Viewable impression',
  clk: 'Ad click',
  cv: 'Conversion',
  wv: 'Web vital',
  uc: 'Unknown command',
};

/** An event type of the wire (`pv`, `cv`…) as a name. */
export function eventTypeName(type: string | null): string {
  return type ? (TYPES[type] ?? type) : 'Unreadable request';
}

/** Invalid-traffic reasons (collector/src/ingest/ivt.ts and the pipeline's stateful rules) in words. */
const INVALID: Record<string, string> = {
  declared_bot: 'a bot, or an automated or headless browser (Playwright, Puppeteer, Selenium, HeadlessChrome) — test in a normal browser window',
  empty_ua: 'a request without a User-Agent — not a browser',
  datacenter_ip: 'an address in a data center — a server, not a visitor (behind a proxy of your own? use first-party mode with your S2S secret)',
  prefetch: 'a prefetch or prerender the visitor may never have seen',
  click_flood: 'too many clicks from one source',
  stacked_impression: 'two ads served in one slot of one page view',
};

/** Why traffic was flagged as invalid, in words. */
export function invalidWords(reason: string): string {
  return INVALID[reason] ?? reason.replace(/_/g, ' ');
}

/** The outcome of an event as a short label, and a sentence saying why. */
export function outcomeWords(e: Pick<TestEvent, 'outcome' | 'reason' | 'type' | 'costMicros'>, formatCost: (micros: string) => string): { label: string; why: string } {
  switch (e.outcome) {
    case 'billed':
      return { label: 'Billed', why: `Charged ${formatCost(e.costMicros)}.${e.reason ? ` ${e.reason}` : ''}` };
    case 'merged':
      return {
        label: 'Merged',
        why: `Sent by the browser and confirmed by your server: counted once${BigInt(e.costMicros) > 0n ? `, billed once (${formatCost(e.costMicros)})` : ''}.${e.reason ? ` ${e.reason === 'no ad to credit' ? 'No ad click or view came with it: nothing to credit.' : e.reason}` : ''}`,
      };
    case 'held':
      return { label: 'Held', why: `Held for review: ${e.reason ?? 'it came very soon after its click'}.` };
    case 'invalid':
      return { label: 'Invalid traffic', why: `Stored, never billed: ${invalidWords(e.reason ?? '')}.` };
    case 'refused': {
      const code = e.reason?.split(':')[0] ?? 'refused';
      const detail = e.reason?.includes(':') ? e.reason.slice(code.length + 1).trim() : '';
      const w = rejectionWords(code);
      return { label: 'Refused', why: `${w.what}${detail ? ` (${detail})` : ''} ${w.fix}` };
    }
    default:
      return {
        label: 'Counted',
        why: e.type === 'cv' ? (e.reason === 'no ad to credit' ? 'Counted, but no ad click or view came with it: nothing to credit.' : `Counted${e.reason ? `: ${e.reason}` : ''}.`) : e.reason ? `Counted, not billed: ${e.reason.replace(/_/g, ' ')}.` : 'Counted.',
      };
  }
}

/** A stored field of an event as one readable line (lists joined, objects as key=value). */
export function fieldText(value: unknown): string {
  if (Array.isArray(value)) return value.join(', ');
  if (value && typeof value === 'object') return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  return String(value);
}
