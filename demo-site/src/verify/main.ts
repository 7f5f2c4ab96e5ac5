/**
 * "Verify my tag" (`/verify/`, built to demo-site/dist/verify.js): pick a site, see per beacon type
 * whether anything arrived in the last 24 hours and when the last one came, every rejected event
 * with its reason in plain words and how to fix it, and the tag to copy. Refreshes itself every few
 * seconds, so opening the site in another tab shows up here live.
 *
 * Test hooks: `verify-site` (input), `verify-submit`, `verify-result` (`data-site-id`),
 * `check-<type>` (`data-state`: ok, missing, waiting, bad, na), `rejection` (`data-reason`),
 * `tag-snippet`, `copy-snippet`; sign-in hooks as in the dashboard.
 */
import { ApiError, type Api, type SiteActivity, type Slot } from '../dashboard/api';
import { empty, errorBox, h, loading, mount } from '../dashboard/dom';
import { formatCount } from '../dashboard/format-money';
import { ago, clockTime, dateTime } from '../dashboard/format-time';
import { beaconTypeWords, rejectionWords } from '../dashboard/rejection-words';
import { forgetKey, savedKey } from '../dashboard/session';
import { checkKey, renderSignIn, type Session } from '../dashboard/sign-in';
import { whoName } from '../dashboard/context';
import { activityChecks, type ActivityCheck } from './activity-checks';
import { snippetsFor } from './tag-snippet';

const app = document.getElementById('app')!;
const REFRESH_MS = 5000;

const HINT: Record<string, string> = {
  pageview: 'Open a page of this site in a browser. If still nothing arrives: is the tag on the page, is data-site exactly this ID, and does the browser console show errors? Add ?pp_debug=1 to the page URL to see every beacon the tag sends.',
  served: 'Check that the page has <ins data-pp-slot="…"> placeholders with this site’s slot IDs, placed before the tag, and that a campaign of the right size is running.',
  viewable: 'Viewable impressions need the ad at least half in view for one second in a visible tab: scroll to an ad and wait.',
  click: 'Clicks arrive when a visitor clicks an ad. Nothing to fix if nobody has yet.',
  conversion: 'Conversions arrive when a visitor buys or signs up. Make a test order, or check that pp("conversion", …) runs on the thank-you page.',
};

function topbar(s: Session | null): HTMLElement {
  return h(
    'header',
    { class: 'topbar' },
    h('a', { href: '/', class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'perfpixel'),
    h('nav', { class: 'tabs', 'aria-label': 'Pages' }, h('a', { href: '/dashboard/', class: 'tab' }, 'Dashboard'), h('a', { href: '/verify/', class: 'tab', 'aria-current': 'page' }, 'Verify my tag')),
    s
      ? h(
          'div',
          { class: 'who' },
          h('span', { 'data-testid': 'signed-in-as', 'data-kind': s.me.kind }, h('strong', {}, whoName(s.me))),
          h('button', { type: 'button', class: 'button small secondary', 'data-testid': 'sign-out', onclick: () => (forgetKey(), showSignIn()) }, 'Sign out'),
        )
      : null,
  );
}

async function boot(): Promise<void> {
  const key = savedKey();
  if (!key) return showSignIn();
  mount(app, topbar(null), h('main', { id: 'main' }, loading('your sites')));
  try {
    start(await checkKey(key));
  } catch {
    forgetKey();
    showSignIn();
  }
}

let stopRefresh: (() => void) | null = null;

function showSignIn(): void {
  stopRefresh?.();
  const holder = h('div', {});
  mount(app, topbar(null), h('main', { id: 'main', class: 'narrow' }, holder));
  renderSignIn(holder, start, {
    title: 'Verify my tag',
    intro: 'Check that the beacons from your site arrive, and see exactly why any were refused. Sign in with the key of the site’s owner.',
  });
}

function start(s: Session): void {
  const main = h('main', { id: 'main' });
  mount(app, topbar(s), main);
  const input = h('input', { id: 'site', name: 'site', list: 'site-list', autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. shop-site', required: true, 'data-testid': 'verify-site' });
  const datalist = h('datalist', { id: 'site-list' });
  const result = h('div', { class: 'verify-grid', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'site-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'site' }, 'Site ID'), input, datalist),
    h('button', { type: 'submit', class: 'button', 'data-testid': 'verify-submit' }, 'Check'),
  );
  const siteButtons = h('div', { class: 'actions' });
  mount(
    main,
    h(
      'div',
      { class: 'view' },
      h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Verify my tag'), h('p', { class: 'sub' }, 'Did the beacons from your site arrive in the last 24 hours? Which were refused, and why?'))),
      h('section', { class: 'card' }, form, siteButtons),
      result,
    ),
  );
  const check = (siteId: string) => {
    input.value = siteId;
    const url = new URL(location.href);
    url.searchParams.set('site', siteId);
    history.replaceState(null, '', url);
    void show(s.api, siteId, result);
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = input.value.trim();
    if (!id) {
      mount(result, errorBox('Enter a site ID: it is the value of data-site in your tag.'));
      return;
    }
    check(id);
  });

  s.api.sites().then(
    ({ sites }) => {
      for (const site of sites) datalist.append(h('option', { value: site.id }, site.name));
      if (sites.length) {
        mount(
          siteButtons,
          h('span', { class: 'hint' }, 'Your sites:'),
          sites.map((site) => h('button', { type: 'button', class: 'button small secondary', 'data-testid': `verify-pick-${site.id}`, onclick: () => check(site.id) }, site.name)),
        );
        siteButtons.style.marginTop = '12px';
      }
      const wanted = new URL(location.href).searchParams.get('site') ?? (sites.length === 1 ? sites[0]!.id : null);
      if (wanted) check(wanted);
    },
    () => {
      const wanted = new URL(location.href).searchParams.get('site');
      if (wanted) check(wanted);
    },
  );
}

let showing = 0;

/** Fetches and shows one site's activity, then keeps the checklist fresh (the snippets stay put, so a selection survives). */
async function show(api: Api, siteId: string, el: HTMLElement): Promise<void> {
  stopRefresh?.();
  const mine = ++showing;
  mount(el, loading(`activity of ${siteId}`));
  const status = h('div', {});
  const rejected = h('div', {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  stopRefresh = () => clearTimeout(timer);
  const refresh = async (first: boolean) => {
    if (!first && document.hidden) {
      timer = setTimeout(() => void refresh(false), REFRESH_MS);
      return;
    }
    try {
      const a = await api.siteActivity(siteId);
      if (mine !== showing) return;
      const now = Date.now();
      mount(status, statusCard(a, now));
      mount(rejected, rejectedCard(a, now));
      if (first) {
        const slots = a.site.ownerType === 'publisher' ? (await api.slots(siteId).catch(() => ({ slots: [] as Slot[] }))).slots : [];
        if (mine !== showing) return;
        mount(el, status, rejected, snippetsCard(a, slots));
      }
    } catch (err) {
      if (mine !== showing) return;
      const msg =
        err instanceof ApiError && err.status === 404
          ? `There is no site "${siteId}" for this key. Check the data-site value in your tag (it must match a site ID exactly), or sign in with the key of the site's owner.`
          : err instanceof ApiError && err.status === 403
            ? `This key may not check site "${siteId}".`
            : err instanceof Error
              ? err.message
              : 'Could not load the activity.';
      if (first) {
        mount(el, errorBox(msg));
        return;
      }
    }
    timer = setTimeout(() => void refresh(false), REFRESH_MS);
  };
  await refresh(true);
}

function statusCard(a: SiteActivity, now: number): HTMLElement {
  const kind = a.site.ownerType;
  const checks = activityChecks(kind, a.activity);
  const problems = checks.filter((c) => c.state === 'missing' || c.state === 'bad');
  const headline = problems.length === 0 ? 'Your tag is working.' : checks.some((c) => c.type === 'pageview' && c.state === 'missing') ? 'Nothing has arrived from this site yet.' : 'Some beacons need attention.';
  return h(
    'section',
    { class: 'card', 'data-testid': 'verify-result', 'data-site-id': a.site.id, 'data-ok': String(problems.length === 0) },
    h(
      'div',
      { class: 'card-head' },
      h('h2', {}, `${a.site.name} `, h('code', { class: 'muted' }, a.site.id)),
      h('span', { class: 'listening', role: 'status' }, h('span', { class: 'live-dot on', 'aria-hidden': 'true' }), `Checked at ${clockTime(now)} · refreshing`),
      h(
        'p',
        { class: 'sub' },
        kind === 'publisher' ? 'A publisher site: it shows ads in slots.' : 'An advertiser site: it records conversions.',
        a.site.origins.length ? ` Beacons are accepted from ${a.site.origins.join(', ')}.` : ' Beacons are accepted from any origin.',
      ),
    ),
    h('p', { class: `big-status ${problems.length ? 'warn' : 'good'}` }, h('strong', {}, headline), ' In the last 24 hours:'),
    h('ul', { class: 'checks' }, checks.map((c) => checkItem(c, now))),
  );
}

function checkItem(c: ActivityCheck, now: number): HTMLElement {
  const w = beaconTypeWords(c.type);
  const mark = { ok: '✓', missing: '!', waiting: '…', bad: '✗', na: '–' }[c.state];
  const cls = c.state === 'ok' ? 'ok' : c.state === 'bad' ? 'bad' : c.state === 'na' ? 'na' : 'missing';
  let text: string;
  if (c.type === 'rejected') text = c.count ? 'Some events were refused — see why below.' : 'Nothing was refused.';
  else if (c.count > 0) text = `Last one ${ago(c.lastAt ?? now, now)} (${dateTime(c.lastAt ?? now)}).`;
  else if (c.state === 'na') text = 'Not sent by this kind of site.';
  else text = HINT[c.type] ?? 'Nothing yet.';
  return h(
    'li',
    { class: `check-item ${cls}`, 'data-testid': `check-${c.type}`, 'data-state': c.state },
    h('span', { class: 'mark', 'aria-hidden': 'true' }, mark),
    h('div', {}, h('h3', {}, w.name), h('p', { class: c.count ? 'muted' : '' }, w.what && c.state !== 'na' ? `${w.what}. ` : '', text)),
    h('span', { class: 'count' }, formatCount(c.count), h('small', {}, 'in 24 h')),
  );
}

function rejectedCard(a: SiteActivity, now: number): HTMLElement {
  const head = h('div', { class: 'card-head' }, h('h2', {}, 'Rejected events'), h('p', { class: 'sub' }, 'The collector answers every refused beacon with a reason and keeps it, so nothing is dropped silently.'));
  if (a.rejectedReasons.length === 0) return h('section', { class: 'card' }, head, empty('No rejected events in the last 24 hours.'));
  return h(
    'section',
    { class: 'card' },
    head,
    h(
      'div',
      { class: 'rejections' },
      a.rejectedReasons.map((r) => {
        const words = rejectionWords(r.reason);
        const recent = a.recentRejected.filter((e) => e.reason === r.reason);
        return h(
          'article',
          { class: 'rejection', 'data-testid': 'rejection', 'data-reason': r.reason },
          h('h3', {}, words.what, h('span', { class: 'times' }, `${formatCount(r.count)}× · `, h('code', {}, r.reason))),
          h('p', { class: 'fix' }, h('strong', {}, 'How to fix: '), words.fix),
          recent.length
            ? h(
                'ul',
                {},
                recent.map((e) =>
                  h('li', {}, h('span', { class: 'muted' }, `${ago(e.receivedAt, now)} · ${e.eventType ?? 'request'} via ${e.endpoint}: `), e.detail ?? 'no detail', e.eventId ? h('span', { class: 'muted' }, ' · event ', h('code', {}, e.eventId)) : null),
                ),
              )
            : null,
        );
      }),
    ),
  );
}

function snippetsCard(a: SiteActivity, slots: Slot[]): HTMLElement {
  const snippets = snippetsFor(a.site, slots, location.origin);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'snippet-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'snippet-title' }, 'Your tag'), h('p', { class: 'sub' }, 'Copy it exactly: the site ID must match.')),
    snippets.map((s, i) => {
      const code = h('code', {}, s.code);
      const copy = h('button', { type: 'button', class: 'button small secondary copy', 'data-testid': i === 0 ? 'copy-snippet' : `copy-snippet-${i}` }, 'Copy');
      copy.addEventListener('click', () => void copyText(s.code, copy));
      return [h('p', { class: 'snippet-title' }, s.title), h('div', { class: 'snippet', 'data-testid': i === 0 ? 'tag-snippet' : `snippet-${i}` }, h('pre', {}, code), copy)];
    }),
  );
}

async function copyText(text: string, button: HTMLButtonElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    // No clipboard permission (plain http on another host): select the text for Ctrl+C instead.
    const pre = button.parentElement?.querySelector('pre');
    if (pre) getSelection()?.selectAllChildren(pre);
    button.textContent = 'Press Ctrl+C';
  }
  setTimeout(() => (button.textContent = 'Copy'), 2000);
}

void boot();
