/**
 * The explain record in plain words: why each candidate touch won or lost, what state a conversion is
 * in, and what billing decided. The codes come from collector/src/core/attribution.ts (its rules
 * table), conversion-status.ts and billing.ts; unknown codes fall back to readable text, never to
 * nothing, so a new rule in the collector still shows up.
 *
 *     verdictWords({ verdict: 'outside_click_window', kind: 'click', detail: '3542400000 ms > 2592000000 ms' }, 'last_click')
 *     // { label: 'outside the 30-day click window', detail: 'clicked 41 days before the conversion', tone: 'lost' }
 */

const DAY_MS = 86_400_000;

/** How a verdict should look: the winner, a fair loser, something fishy, or waiting. */
export type Tone = 'won' | 'lost' | 'bad' | 'held';

/** A verdict, status or outcome in words. */
export interface Words {
  label: string;
  detail: string | null;
  tone: Tone;
}

/** One candidate line of the explain record, as the API sends it. */
export interface CandidateLine {
  verdict: string;
  kind: 'click' | 'view' | string;
  detail: string | null;
}

/** "30-day", "1-day", "12-hour" … for a window length in ms. */
export function windowLength(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}-day`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}-hour`;
  return `${Math.round(ms / 60_000)}-minute`;
}

/** An age in words: "41 days", "3 hours", "12 seconds". */
export function duration(ms: number): string {
  const unit = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  if (ms >= 2 * DAY_MS) return unit(Math.floor(ms / DAY_MS), 'day');
  if (ms >= 2 * 3_600_000) return unit(Math.floor(ms / 3_600_000), 'hour');
  if (ms >= 2 * 60_000) return unit(Math.floor(ms / 60_000), 'minute');
  if (ms >= 1000) return unit(Math.floor(ms / 1000), 'second');
  return `${ms} ms`;
}

/** Reads "A ms > B ms" / "A ms after the click < B ms" details into [A, B]. */
function twoDurations(detail: string | null): [number, number] | null {
  const m = detail && /(\d+) ms\D+?(\d+) ms/.exec(detail);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

const IVT: Record<string, string> = {
  declared_bot: 'a declared bot or crawler (its user agent says so)',
  empty_ua: 'a request without a user agent',
  datacenter_ip: 'a data-centre IP address, not a person at home or at work',
  prefetch: 'a browser prefetch, not a person looking',
  stacked_impression: 'a second ad stacked in the same slot of one page view',
  click_flood: 'too many clicks from one source in a short time',
  duplicate_click: 'a repeat click on the same ad',
  expired_token: 'an ad token too old to be real',
  campaign_paused: 'a click on a paused campaign',
  campaign_archived: 'a click on an archived campaign',
};

/** An invalid-traffic reason code in words ("declared_bot" → "a declared bot or crawler …"). */
export function ivtWords(code: string | null | undefined): string {
  if (!code) return 'invalid traffic';
  return IVT[code] ?? code.replace(/_/g, ' ');
}

const CAPS: Record<string, string> = {
  total_budget: 'the campaign’s total budget',
  daily_budget: 'the campaign’s daily budget',
  publisher_daily_cap: 'the daily cap for this publisher',
};

/** A cap name in words. */
export function capWords(cap: string | null | undefined): string {
  return (cap && CAPS[cap]) ?? 'a budget cap';
}

const MODELS: Record<string, string> = {
  last_click: 'last click',
  first_click: 'first click',
  linear: 'linear',
  time_decay: 'time decay',
  position_based: 'position-based (40/20/40)',
};

/** An attribution model's name. */
export function modelWords(model: string): string {
  return MODELS[model] ?? model.replace(/_/g, ' ');
}

/** Why one candidate touch won or lost, under the conversion's billing model. */
export function verdictWords(c: CandidateLine, model = 'last_click'): Words {
  const what = c.kind === 'view' ? 'view' : 'click';
  const first = model === 'first_click';
  const ages = twoDurations(c.detail);
  switch (c.verdict) {
    case 'won':
      return { label: `won: ${first ? 'first' : 'last'} ${what}`, detail: what === 'view' ? 'no eligible click, so the most recent viewable impression earned it' : null, tone: 'won' };
    case 'lost_to_click':
      return { label: 'lost to a click', detail: 'a click always beats a view', tone: 'lost' };
    case 'older':
      return { label: `lost to a more recent ${what}`, detail: 'last click wins', tone: 'lost' };
    case 'newer':
      return { label: `lost to an earlier ${what}`, detail: 'first click wins', tone: 'lost' };
    case 'lower_priority':
      return { label: 'lost to a higher-priority campaign', detail: null, tone: 'lost' };
    case 'tie_break':
      return { label: 'lost a tie', detail: 'same time as the winner; the smaller touch ID wins, so the result is repeatable', tone: 'lost' };
    case 'outside_click_window':
      return {
        label: ages ? `outside the ${windowLength(ages[1])} click window` : 'outside the click window',
        detail: ages ? `clicked ${duration(ages[0])} before the conversion` : c.detail,
        tone: 'lost',
      };
    case 'outside_view_window':
      return {
        label: ages ? `outside the ${windowLength(ages[1])} view window` : 'outside the view window',
        detail: ages ? `seen ${duration(ages[0])} before the conversion` : c.detail,
        tone: 'lost',
      };
    case 'view_through_off':
      return { label: 'views do not count for this campaign', detail: 'view-through attribution is off (the default for pay-per-sale)', tone: 'lost' };
    case 'after_conversion':
      return { label: 'happened after the conversion', detail: null, tone: 'lost' };
    case 'invalid':
      return { label: 'invalid traffic', detail: ivtWords(c.detail), tone: 'bad' };
    case 'forged':
      return { label: 'forged click ID', detail: 'its signature does not match: we never issued it, so it can earn nothing', tone: 'bad' };
    case 'unknown':
      return { label: 'unknown click ID', detail: 'correctly signed, but no such click was ever recorded', tone: 'bad' };
    case 'other_advertiser':
      return { label: 'a click for another advertiser', detail: 'click IDs are bound to one advertiser and cannot be reused', tone: 'bad' };
    case 'unknown_campaign':
      return { label: 'campaign not found', detail: null, tone: 'bad' };
    case 'duplicate':
      return { label: 'already counted', detail: c.detail ? `this touch already earned conversion ${c.detail}` : null, tone: 'lost' };
    case 'too_fast':
      return {
        label: 'held for review: too fast',
        detail: ages ? `converted ${duration(ages[0])} after the click; the minimum is ${duration(ages[1])}` : c.detail,
        tone: 'held',
      };
    case 'over_cap':
      return { label: `won, but over ${capWords(c.detail)}`, detail: 'not charged: the cap was reached', tone: 'held' };
    default:
      return { label: c.verdict.replace(/_/g, ' '), detail: c.detail, tone: 'lost' };
  }
}

const STATUS: Record<string, Words> = {
  received: { label: 'Received', detail: 'being attributed', tone: 'held' },
  approved: { label: 'Approved', detail: null, tone: 'won' },
  pending: { label: 'Held for review', detail: null, tone: 'held' },
  unattributed: { label: 'No ad touch', detail: 'no click or view of ours led here: stored, not charged', tone: 'lost' },
  rejected: { label: 'Rejected', detail: null, tone: 'bad' },
  reversed: { label: 'Reversed', detail: null, tone: 'bad' },
  restated: { label: 'Restated', detail: null, tone: 'won' },
  disputed: { label: 'Disputed', detail: 'held for the operator: the charge stands until it is resolved', tone: 'held' },
};

/** A conversion's status and its reason in words. */
export function statusWords(status: string, reason: string | null): Words {
  const base = STATUS[status] ?? { label: status, detail: null, tone: 'lost' as Tone };
  return { ...base, detail: reason ? statusReasonWords(reason) : base.detail };
}

/** A status reason ("too_fast: 1000 ms after the click < 3000 ms", "over_cap: daily_budget", "counting_one" …) in words. */
export function statusReasonWords(reason: string): string {
  if (reason === 'counting_one' || reason.startsWith('counting one')) return 'counted once per click: this click already earned one';
  if (reason.startsWith('too_fast')) {
    const ages = twoDurations(reason);
    return ages ? `converted ${duration(ages[0])} after the click (minimum ${duration(ages[1])}): held for review` : 'too fast after the click: held for review';
  }
  if (reason.startsWith('over_cap')) return `not charged: ${capWords(reason.split(': ')[1])} was reached`;
  if (reason.startsWith('invalid: ')) return `invalid traffic: ${ivtWords(reason.slice(9))}`;
  if (reason.startsWith('duplicate of conversion')) return reason.replace('duplicate of', 'the same order as');
  // Set by POST /v1/clicks/:id/invalidate (ingest/click-invalidation.ts): the reason is the operator's words.
  const later = /^winning click \S+ invalidated: (.*)$/s.exec(reason);
  if (later) return `its winning click was found invalid later: ${later[1]}`;
  if (reason === 'currency_mismatch') return 'the order’s currency is not the campaign’s: held until restated';
  if (reason === 'missing_value') return 'a share-of-sale campaign needs the order value: held';
  if (reason === 'costs nothing under these terms') return 'nothing to charge under these terms';
  return reason.replace(/_/g, ' ');
}

/** What billing decided for the winner, in words. */
export function chargeWords(outcome: string, reason: string | null, capHit: string | null): Words {
  switch (outcome) {
    case 'charged':
      return { label: 'charged', detail: null, tone: 'won' };
    case 'no_charge':
      return { label: 'not charged', detail: reason ? statusReasonWords(reason) : null, tone: 'lost' };
    case 'over_cap':
      return { label: 'not charged: over the cap', detail: `${capWords(capHit)} was reached`, tone: 'held' };
    case 'held':
      return { label: 'held for review', detail: reason ? statusReasonWords(reason) : null, tone: 'held' };
    case 'not_billable':
      return { label: 'not billable', detail: reason ? statusReasonWords(reason) : null, tone: 'lost' };
    default:
      return { label: outcome.replace(/_/g, ' '), detail: reason, tone: 'lost' };
  }
}

const LEDGER_KINDS: Record<string, string> = {
  charge: 'Charge',
  reversal: 'Reversal',
  invalidation: 'Invalid traffic refund',
  restatement: 'Restatement',
  payout: 'Payout',
};

/** An entry group's kind in words. */
export function ledgerKindWords(kind: string): string {
  return LEDGER_KINDS[kind] ?? kind;
}

/** A ledger account in words: "advertiser:northwind" → "Northwind (advertiser)" given a names map. */
export function accountWords(account: string, names: ReadonlyMap<string, string> = new Map()): string {
  if (account === 'platform') return 'Platform margin';
  if (account === 'payouts') return 'Paid out to publishers';
  const [kind, id = ''] = account.split(':');
  const name = names.get(id) ?? id;
  return kind === 'advertiser' ? `${name} (advertiser)` : kind === 'publisher' ? `${name} (publisher)` : account;
}
