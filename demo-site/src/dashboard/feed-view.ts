/**
 * The live events feed: `GET /v1/feed?after=<epoch ms>` polled every few seconds while the page is
 * visible, newest on top. Test hooks: `feed` (the list, `data-live`), `feed-item` (`data-type`).
 */
import type { FeedItem } from './api';
import type { DashboardContext } from './context';
import { empty, h, mount } from './dom';
import { formatMoney } from './format-money';
import { clockTime, dateTime, dayLabel, utcDay } from './format-time';
import { feedWords } from './feed-words';
import { pageHead } from './panels';
import { pill } from './table';
import { ivtWords, statusReasonWords } from './verdict-words';

const POLL_MS = 3000;
const KEEP = 150;

const TYPE: Record<string, { label: string; tone: string }> = {
  pageview: { label: 'page view', tone: 'neutral' },
  served: { label: 'served', tone: 'neutral' },
  viewable: { label: 'viewable', tone: 'info' },
  click: { label: 'click', tone: 'info' },
  conversion: { label: 'conversion', tone: 'won' },
  rejected: { label: 'rejected', tone: 'bad' },
};

/** The feed's summary with raw micros ("charged 4000 µ") written as money and campaign IDs as their names. */
export function readableSummary(summary: string, currency: string | null, names: ReadonlyMap<string, string> = new Map()): string {
  return summary
    .replace(/(-?\d+) µ/g, (_m, micros: string) => formatMoney(micros, currency, { exact: true }))
    .replace(/[a-z0-9][a-z0-9_-]*/gi, (word) => names.get(word) ?? word);
}

/** A row's words (feed-words.ts); a conversion links to its page. */
function whatOf(i: FeedItem, ctx: DashboardContext): HTMLElement {
  const w = feedWords(i, ctx);
  return w.href ? h('a', { class: 'what', href: w.href, 'data-testid': 'feed-conversion-link' }, w.text) : h('span', { class: 'what' }, w.text);
}

/** Renders the feed and starts polling; returns a function that stops it. */
export function renderFeed(el: HTMLElement, ctx: DashboardContext): () => void {
  const list = h('ol', { class: 'feed', 'data-testid': 'feed', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const status = h('span', { class: 'live-status', role: 'status' }, 'Connecting…');
  const dot = h('span', { class: 'live-dot', 'aria-hidden': 'true' });
  const pause = h('button', { type: 'button', class: 'button secondary', 'aria-pressed': 'false', 'data-testid': 'feed-pause' }, 'Pause');
  const holder = h('div', {});
  mount(
    el,
    pageHead('Live events', 'Impressions, clicks and conversions as the collector commits them.', h('span', { class: 'live' }, dot, status), pause),
    h('section', { class: 'card' }, holder),
  );

  let after = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let paused = false;
  let count = 0;

  const row = (i: FeedItem) => {
    const t = TYPE[i.type] ?? { label: i.type, tone: 'neutral' };
    return h(
      'li',
      { 'data-testid': 'feed-item', 'data-type': i.type, class: i.invalidReason ? 'invalid' : null },
      h('time', { datetime: new Date(i.at).toISOString(), class: 'num', title: dateTime(i.at) }, utcDay(i.at) === utcDay(Date.now()) ? clockTime(i.at) : dayLabel(utcDay(i.at))),
      pill(t.label, t.tone),
      whatOf(i, ctx),
      i.invalidReason ? h('span', { class: 'why' }, i.type === 'rejected' ? i.invalidReason.replace(/_/g, ' ') : `${i.type === 'conversion' ? statusReasonWords(i.invalidReason) : `invalid: ${ivtWords(i.invalidReason)}`} — not billed`) : null,
      i.siteId ? h('code', { class: 'site' }, i.siteId) : null,
    );
  };

  const poll = async () => {
    if (stopped) return;
    if (!paused && !document.hidden) {
      try {
        const { items } = await ctx.api.feed({ after: after || undefined, limit: 50 });
        if (stopped) return;
        if (items.length) {
          after = Math.max(after, ...items.map((i) => i.at));
          // Newest first from the API: prepend oldest-first so the newest ends on top.
          for (const i of [...items].reverse()) list.prepend(row(i));
          count += items.length;
          while (list.children.length > KEEP) list.lastElementChild!.remove();
        }
        if (count === 0) holder.replaceChildren(empty('Nothing yet. Open the news page in another tab: every ad it shows appears here within seconds.', h('a', { href: '/news/', target: '_blank', class: 'button secondary' }, 'Open the news page')));
        else if (!list.isConnected) holder.replaceChildren(list);
        status.textContent = `Live · updated ${clockTime(Date.now())}`;
        dot.className = 'live-dot on';
        list.dataset.live = 'true';
      } catch (err) {
        status.textContent = err instanceof Error ? err.message : 'Could not reach the collector.';
        dot.className = 'live-dot off';
      }
    }
    timer = setTimeout(poll, POLL_MS);
  };
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
    status.textContent = paused ? 'Paused' : 'Resuming…';
    dot.className = paused ? 'live-dot off' : 'live-dot on';
  });
  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
