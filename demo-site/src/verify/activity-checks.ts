/**
 * "Verify my tag" as a checklist: which beacon types a site of this kind should send, and for each
 * whether anything arrived in the window. Pure, so the rules are tested without a browser.
 *
 * | state     | meaning                                                        |
 * |-----------|----------------------------------------------------------------|
 * | `ok`      | arrived (or, for rejected events: none — which is good)        |
 * | `missing` | expected from every working install, nothing arrived           |
 * | `waiting` | expected only once a visitor acts (a click), nothing yet        |
 * | `bad`     | rejected events arrived, or every event of the type was invalid traffic (a bot, a headless browser…) |
 * | `na`      | not something this kind of site sends (and none arrived)       |
 */

/** One line of the checklist. */
export interface ActivityCheck {
  type: string;
  state: 'ok' | 'missing' | 'waiting' | 'bad' | 'na';
  count: number;
  lastAt: number | null;
  /** How many of `count` were stored as invalid traffic (never billed), and why. */
  invalid: number;
  invalidReasons: { reason: string; count: number }[];
}

/** Events of a type stored as invalid traffic (`GET /v1/sites/:id/test-events`, `invalid`). */
export interface InvalidCount {
  type: string;
  invalid: number;
  reasons: { reason: string; count: number }[];
}

const EXPECTED: Record<'advertiser' | 'publisher', { always: string[]; later: string[] }> = {
  advertiser: { always: ['pageview'], later: ['conversion'] },
  publisher: { always: ['pageview', 'served', 'viewable'], later: ['click'] },
};

/**
 * The checklist for a site: expected types first, then rejected events, then the rest. A type whose
 * every event was invalid traffic is `bad`: test traffic from a headless browser arrives, but the
 * dashboard refuses it as a bot, so "Conversions ✓" would be a lie (issue 13).
 */
export function activityChecks(
  kind: 'advertiser' | 'publisher',
  activity: readonly { type: string; count: number; lastAt: number | null }[],
  invalidCounts: readonly InvalidCount[] = [],
): ActivityCheck[] {
  const e = EXPECTED[kind];
  const by = new Map(activity.map((a) => [a.type, a]));
  const line = (type: string): ActivityCheck => {
    const a = by.get(type) ?? { type, count: 0, lastAt: null };
    let state: ActivityCheck['state'];
    if (type === 'rejected') state = a.count > 0 ? 'bad' : 'ok';
    else if (a.count > 0) state = 'ok';
    else if (e.always.includes(type)) state = 'missing';
    else if (e.later.includes(type)) state = kind === 'advertiser' ? 'ok' : 'waiting';
    else state = 'na';
    // An advertiser site without conversions yet is not broken: nobody may have bought anything.
    if (kind === 'advertiser' && type === 'conversion' && a.count === 0) state = 'waiting';
    const bad = invalidCounts.find((x) => x.type === type);
    const invalid = Math.min(bad?.invalid ?? 0, a.count);
    if (a.count > 0 && invalid === a.count) state = 'bad';
    return { type, state, count: a.count, lastAt: a.lastAt, invalid, invalidReasons: bad?.reasons ?? [] };
  };
  const order = [...e.always, ...e.later, 'rejected'];
  const rest = [...new Set([...activity.map((a) => a.type), 'pageview', 'served', 'viewable', 'click', 'conversion'])].filter((t) => !order.includes(t));
  return [...order, ...rest].map(line);
}
