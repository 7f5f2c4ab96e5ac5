/**
 * "Verify my tag" (`/verify/`, built to demo-site/dist/verify.js): pick a site, see per beacon type
 * whether anything arrived in the last 24 hours and when the last one came (and whether it was all
 * invalid traffic), the site's events as they arrive with what became of each (the test-events view,
 * optionally only the owner's own browser in test mode), conversions nobody can be credited for
 * because storage was denied, beacons sent with a mistyped site ID, every rejected event with its
 * reason in plain words, the site's allowed origins (editable), and the tag to copy. Refreshes itself
 * every few seconds, so opening the site in another tab shows up here live.
 *
 * Test hooks: `verify-site` (input), `verify-submit`, `verify-result` (`data-site-id`),
 * `check-<type>` (`data-state`: ok, missing, waiting, bad, na), `did-you-mean` (buttons
 * `did-you-mean-<id>`), `test-events` (`data-code`), `test-event` (`data-type`, `data-outcome`,
 * `data-event-id`, `data-click-id`, `data-consent`), `test-code`, `test-mode-link`, `test-filter-mine`,
 * `test-filter-all`, `consent-warning`, `stray-site` (`data-site-id`), `rejection` (`data-reason`),
 * `origins`, `origin` (`data-origin`), `origin-remove`, `origin-input`, `origin-add`,
 * `origin-message`, `tag-snippet`, `copy-snippet`, `snippet-<n>`; sign-in hooks as in the dashboard.
 */
import { ApiError, type Api, type Site, type SiteActivity, type Slot } from '../dashboard/api';
import { empty, errorBox, h, loading, mount } from '../dashboard/dom';
import { formatCount, formatMoney } from '../dashboard/format-money';
import { ago, clockTime, dateTime } from '../dashboard/format-time';
import { beaconTypeWords, rejectionWords } from '../dashboard/rejection-words';
import { forgetKey, savedKey } from '../dashboard/session';
import { checkKey, renderSignIn, type Session } from '../dashboard/sign-in';
import { whoName } from '../dashboard/context';
import { activityChecks, type ActivityCheck, type InvalidCount } from './activity-checks';
import { snippetsFor, type PinnedTag } from './tag-snippet';
import { eventTypeName, fieldText, invalidWords, outcomeWords } from './test-event-words';
import { newTestCode, parseOrigin, pinnedTag, setOrigins, testEvents, UnknownSite, type TestEvent, type TestEvents } from './verify-api';

const app = document.getElementById('app')!;
const REFRESH_MS = 5000;
/** How often the test-events view asks for new events ("a few seconds' delay at most"). */
const TEST_EVENTS_MS = 2000;

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

/** The test code of this page (`?code=` keeps it across reloads), and whether the view keeps to it. */
const testMode = { code: new URL(location.href).searchParams.get('code') ?? newTestCode(), mine: new URL(location.href).searchParams.has('code') };

/** Fetches and shows one site's activity, then keeps it fresh (the snippets stay put, so a selection survives). */
async function show(api: Api, siteId: string, el: HTMLElement): Promise<void> {
  stopRefresh?.();
  const mine = ++showing;
  mount(el, loading(`activity of ${siteId}`));
  const status = h('div', {});
  const notices = h('div', { class: 'verify-grid' });
  const events = h('div', {});
  const rejected = h('div', {});
  const origins = h('div', {});
  let timers: ReturnType<typeof setTimeout>[] = [];
  stopRefresh = () => timers.forEach(clearTimeout);
  let last: TestEvents | null = null;
  let activity: SiteActivity | null = null;
  const repaint = () => {
    if (!activity) return;
    const now = Date.now();
    mount(status, statusCard(activity, now, last?.invalid ?? []));
    mount(rejected, rejectedCard(activity, now));
    mount(notices, ...(last ? noticeCards(last) : []));
  };
  const refresh = async (first: boolean) => {
    if (!first && document.hidden) {
      timers.push(setTimeout(() => void refresh(false), REFRESH_MS));
      return;
    }
    try {
      const a = await api.siteActivity(siteId);
      if (mine !== showing) return;
      activity = a;
      repaint();
      if (first) {
        const [slots, pinned] = await Promise.all([
          a.site.ownerType === 'publisher' ? api.slots(siteId).then((x) => x.slots, () => [] as Slot[]) : Promise.resolve([] as Slot[]),
          pinnedTag(),
        ]);
        if (mine !== showing) return;
        const renderOrigins = (site: Site) => {
          if (activity) activity.site = site;
          mount(origins, originsCard(api, site, (changed) => (renderOrigins(changed), repaint())));
        };
        renderOrigins(a.site);
        mount(el, status, notices, events, rejected, origins, snippetsCard(a, slots, pinned));
        void pollEvents(true);
      }
    } catch (err) {
      if (mine !== showing) return;
      if (first) {
        mount(el, await unknownSiteBox(api, siteId, err, el));
        return;
      }
    }
    timers.push(setTimeout(() => void refresh(false), REFRESH_MS));
  };
  const pollEvents = async (first: boolean) => {
    if (mine !== showing) return;
    if (first || !document.hidden) {
      try {
        const code = testMode.mine ? testMode.code : null;
        const t = await testEvents(api, siteId, code);
        if (mine !== showing) return;
        last = t;
        mount(events, testEventsCard(t, activity?.site ?? t.site, () => void pollEvents(true)));
        repaint();
      } catch (err) {
        if (mine !== showing) return;
        if (first) mount(events, errorBox(err instanceof Error ? err.message : 'Could not load the test events.'));
      }
    }
    timers.push(setTimeout(() => void pollEvents(false), TEST_EVENTS_MS));
  };
  await refresh(true);
}

/** Shows a site from a "did you mean" button, as the form would. */
function check(api: Api, siteId: string, el: HTMLElement): void {
  const input = document.querySelector<HTMLInputElement>('[data-testid="verify-site"]');
  if (input) input.value = siteId;
  const url = new URL(location.href);
  url.searchParams.set('site', siteId);
  history.replaceState(null, '', url);
  void show(api, siteId, el);
}

/** Why a site could not be shown; for an unknown ID, the caller's sites it may have meant. */
async function unknownSiteBox(api: Api, siteId: string, err: unknown, el: HTMLElement): Promise<HTMLElement> {
  if (err instanceof ApiError && err.status === 404) {
    let close: string[] = [];
    try {
      await testEvents(api, siteId);
    } catch (e) {
      if (e instanceof UnknownSite) close = e.didYouMean;
    }
    return h(
      'div',
      { class: 'state error', role: 'alert', 'data-testid': 'error' },
      h('p', {}, `There is no site "${siteId}" for this key. Check the data-site value in your tag (it must match a site ID exactly), or sign in with the key of the site's owner.`),
      close.length
        ? h(
            'p',
            { 'data-testid': 'did-you-mean' },
            'Did you mean ',
            close.map((id, i) => [i ? ' or ' : '', h('button', { type: 'button', class: 'button small', 'data-testid': `did-you-mean-${id}`, onclick: () => check(api, id, el) }, id)]),
            '?',
          )
        : null,
    );
  }
  const msg =
    err instanceof ApiError && err.status === 403
      ? `Site "${siteId}" belongs to someone else: sign in with the key of its owner.`
      : err instanceof Error
        ? err.message
        : 'Could not load the activity.';
  return errorBox(msg);
}

/** The site's events as they arrive, with what became of each: all of them, or only the owner's test browser. */
function testEventsCard(t: TestEvents, site: Site, reload: () => void): HTMLElement {
  const code = testMode.code;
  const base = site.origins[0];
  const link = base ? `${base}/?pp_test=${code}` : null;
  const filter = (only: boolean) => {
    testMode.mine = only;
    const url = new URL(location.href);
    if (only) url.searchParams.set('code', code);
    else url.searchParams.delete('code');
    history.replaceState(null, '', url);
    reload();
  };
  const now = t.now;
  return h(
    'section',
    { class: 'card', 'data-testid': 'test-events', 'data-code': t.code ?? '', 'aria-labelledby': 'test-events-title' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'test-events-title' }, 'Test events'),
      h('span', { class: 'listening', role: 'status' }, h('span', { class: 'live-dot on', 'aria-hidden': 'true' }), `Live · ${clockTime(now)}`),
      h(
        'p',
        { class: 'sub' },
        'The newest events of this site as they arrive, with what became of each. To see only your own browser, open your site with ',
        h('code', { 'data-testid': 'test-code' }, `?pp_test=${code}`),
        ' at the end of its address',
        link ? [': ', h('a', { href: link, target: '_blank', rel: 'noopener', 'data-testid': 'test-mode-link' }, link)] : '',
        ' — the pages you visit in that browser after it carry the code until it closes.',
      ),
      h(
        'div',
        { class: 'segmented', role: 'group', 'aria-label': 'Which events' },
        h('button', { type: 'button', class: `button small ${testMode.mine ? 'secondary' : ''}`, 'aria-pressed': String(!testMode.mine), 'data-testid': 'test-filter-all', onclick: () => filter(false) }, 'All events'),
        h('button', { type: 'button', class: `button small ${testMode.mine ? '' : 'secondary'}`, 'aria-pressed': String(testMode.mine), 'data-testid': 'test-filter-mine', onclick: () => filter(true) }, `Only my test browser (${code})`),
      ),
    ),
    t.events.length === 0
      ? empty(testMode.mine ? `Nothing from your test browser yet. Open your site with ?pp_test=${code} and browse: events show up here within seconds.` : 'No events from this site in the last 24 hours.')
      : h('ol', { class: 'test-events' }, t.events.map((e) => testEventItem(e, now))),
  );
}

function testEventItem(e: TestEvent, now: number): HTMLElement {
  const words = outcomeWords(e, (m) => formatMoney(m, typeof e.fields.value === 'string' ? e.fields.value.split(' ')[1] : null, { exact: true }));
  const flags: string[] = [];
  if (e.clickId !== null) flags.push(e.clickId ? 'click ID ✓' : 'no click ID');
  if (e.consent) flags.push(e.consent === 'granted' ? 'storage allowed' : 'storage denied (consent)');
  const fields = Object.entries(e.fields);
  return h(
    'li',
    { class: `test-event ${e.outcome}`, 'data-testid': 'test-event', 'data-type': e.type ?? '', 'data-outcome': e.outcome, 'data-event-id': e.eventId ?? '', 'data-click-id': String(e.clickId), 'data-consent': String(e.consent) },
    h('span', { class: 'when' }, clockTime(e.receivedAt), h('small', {}, ago(e.receivedAt, now))),
    h(
      'div',
      { class: 'what' },
      h('h3', {}, eventTypeName(e.type), h('span', { class: `outcome ${e.outcome}` }, words.label), flags.map((f) => h('span', { class: 'flag' }, f))),
      h('p', {}, words.why),
      fields.length
        ? h(
            'details',
            {},
            h('summary', {}, `${fields.length} field${fields.length === 1 ? '' : 's'}${e.eventId ? ` · event ${e.eventId.slice(0, 18)}…` : ''}`),
            h('dl', {}, fields.map(([k, v]) => [h('dt', {}, k), h('dd', {}, fieldText(v))])),
          )
        : null,
    ),
  );
}

/** Conversions that can never be credited because storage was denied, and beacons sent with a mistyped site ID. */
function noticeCards(t: TestEvents): HTMLElement[] {
  const out: HTMLElement[] = [];
  const c = t.consent;
  if (c.storageDenied > 0) {
    const share = Math.round((100 * c.storageDenied) / c.conversions);
    out.push(
      h(
        'section',
        { class: 'card notice warn', 'data-testid': 'consent-warning', role: 'status' },
        h('h2', {}, `${share} % of conversions can never be credited to an ad`),
        h(
          'p',
          {},
          `${formatCount(c.storageDenied)} of ${formatCount(c.conversions)} conversions in the last 24 hours came without a click ID because the visitor had not allowed storage (ad_storage). They are counted, never attributed. If your consent banner asks visitors, make it call pp('consent', { ad_storage: 'granted', analytics_storage: 'granted' }) when they accept.`,
        ),
      ),
    );
  }
  for (const stray of t.strays) {
    out.push(
      h(
        'section',
        { class: 'card notice bad', 'data-testid': 'stray-site', 'data-site-id': stray.siteId, role: 'status' },
        h('h2', {}, `Beacons for “${stray.siteId}”, a site that does not exist`),
        h(
          'p',
          {},
          `${formatCount(stray.count)} arrived in the last 24 hours (the last ${ago(stray.lastAt, t.now)}) and were refused. Did you mean `,
          h('strong', {}, t.site.id),
          '? Fix data-site in the tag on those pages: ',
          h('code', {}, `data-site="${t.site.id}"`),
          '.',
        ),
      ),
    );
  }
  return out;
}

/** The site's allowed origins, editable: beacons from any other page are refused (403). */
function originsCard(api: Api, site: Site, changed: (site: Site) => void): HTMLElement {
  const message = h('p', { class: 'form-message', role: 'alert', 'aria-live': 'polite', 'data-testid': 'origin-message' });
  const input = h('input', { id: 'origin', name: 'origin', type: 'url', placeholder: 'https://shop.example', autocomplete: 'off', spellcheck: 'false', 'data-testid': 'origin-input' });
  const save = async (origins: string[], done: string) => {
    try {
      const { site: updated } = await setOrigins(api, site.id, origins);
      changed(updated);
      // The new card replaces this one; say what happened there.
      document.querySelector('[data-testid="origin-message"]')!.textContent = done;
    } catch (err) {
      message.textContent = err instanceof Error ? err.message : 'Could not save.';
    }
  };
  const form = h(
    'form',
    { class: 'site-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'origin' }, 'Add an origin'), input),
    h('button', { type: 'submit', class: 'button', 'data-testid': 'origin-add' }, 'Add'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const o = parseOrigin(input.value);
    if ('problem' in o) {
      message.textContent = o.problem;
      return;
    }
    if (site.origins.includes(o.origin)) {
      message.textContent = `${o.origin} is already allowed.`;
      return;
    }
    void save([...site.origins, o.origin], `Added ${o.origin}: beacons from it are accepted from now on.`);
  });
  return h(
    'section',
    { class: 'card', 'data-testid': 'origins', 'aria-labelledby': 'origins-title' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'origins-title' }, 'Allowed origins'),
      h(
        'p',
        { class: 'sub' },
        site.origins.length
          ? 'Beacons for this site are accepted only from pages on these origins (scheme, host and port). Add each address your site is reached at.'
          : 'Beacons for this site are accepted from any page. Add your site’s origins so nobody else can send events in its name.',
      ),
    ),
    site.origins.length
      ? h(
          'ul',
          { class: 'origins' },
          site.origins.map((o) =>
            h(
              'li',
              { 'data-testid': 'origin', 'data-origin': o },
              h('code', {}, o),
              h(
                'button',
                { type: 'button', class: 'button small secondary', 'data-testid': 'origin-remove', 'aria-label': `Remove ${o}`, onclick: () => void save(site.origins.filter((x) => x !== o), `Removed ${o}.`) },
                'Remove',
              ),
            ),
          ),
        )
      : null,
    form,
    message,
  );
}

function statusCard(a: SiteActivity, now: number, invalid: readonly InvalidCount[]): HTMLElement {
  const kind = a.site.ownerType;
  const checks = activityChecks(kind, a.activity, invalid);
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
  else if (c.invalid > 0) {
    const why = c.invalidReasons.map((r) => invalidWords(r.reason)).join('; ');
    text =
      c.invalid === c.count
        ? `All ${formatCount(c.count)} were invalid traffic, stored but never billed: ${why}.`
        : `${formatCount(c.invalid)} of ${formatCount(c.count)} were invalid traffic, never billed: ${why}. Last one ${ago(c.lastAt ?? now, now)}.`;
  } else if (c.count > 0) text = `Last one ${ago(c.lastAt ?? now, now)} (${dateTime(c.lastAt ?? now)}).`;
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

function snippetsCard(a: SiteActivity, slots: Slot[], pinned: PinnedTag | null): HTMLElement {
  const snippets = snippetsFor(a.site, slots, location.origin, pinned ?? undefined);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'snippet-title' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'snippet-title' }, 'Your tag'),
      h('p', { class: 'sub' }, 'Copy it exactly: the site ID must match. Each snippet starts with the same first line, so they work in any order on the page.'),
    ),
    snippets.map((s, i) => {
      const code = h('code', {}, s.code);
      const copy = h('button', { type: 'button', class: 'button small secondary copy', 'data-testid': i === 0 ? 'copy-snippet' : `copy-snippet-${i}` }, 'Copy');
      copy.addEventListener('click', () => void copyText(s.code, copy));
      return [
        h('p', { class: 'snippet-title' }, s.title),
        h('div', { class: 'snippet', 'data-testid': i === 0 ? 'tag-snippet' : `snippet-${i}` }, h('pre', {}, code), copy),
        s.note ? h('p', { class: 'hint' }, s.note) : null,
      ];
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
