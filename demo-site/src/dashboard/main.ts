/**
 * The dashboard (`/dashboard/`, built to demo-site/dist/dashboard.js): sign in with an API key, then
 * one page per hash route. Advertisers and the operator get the overview, conversions (each with its
 * explain view), the ledger and the live feed; publishers get earnings, the ledger and the feed.
 *
 * Routes: `#overview`, `#conversions` (filters after `?`), `#conversion/<id>`, `#ledger`, `#feed`;
 * advertisers also `#adjust` (bulk CSV) and `#postback` (the postback console); publishers `#statement`
 * (their account, statement-view.ts; `#ledger` leads there too); the operator `#payouts[?publisher=<id>]`.
 * Test hooks: `nav-<route>` links, `signed-in-as` (with `data-kind`), `sign-out`.
 */
import { ApiError } from './api';
import { renderAdvertiserOverview } from './advertiser-overview';
import { renderBulkAdjust } from './bulk-adjust';
import { renderPostbackConsole } from './postback-console';
import { loadContext, whoName, type DashboardContext } from './context';
import { renderConversions } from './conversions-list';
import { errorBox, h, loading, mount } from './dom';
import { renderExplain } from './explain-view';
import { renderFeed } from './feed-view';
import { renderLedger } from './ledger-view';
import { renderPayoutsAdmin } from './payouts-admin-view';
import { renderPublisherOverview } from './publisher-overview';
import { renderStatement } from './statement-view';
import { focusHeading } from './focus-heading';
import { forgetKey, savedKey } from './session';
import { checkKey, renderSignIn, type Session } from './sign-in';

const app = document.getElementById('app')!;

type Route = 'overview' | 'conversions' | 'conversion' | 'ledger' | 'feed' | 'statement' | 'payouts' | 'adjust' | 'postback';

const KIND: Record<string, string> = { advertiser: 'Advertiser', publisher: 'Publisher', operator: 'Operator' };

async function boot(): Promise<void> {
  const key = savedKey();
  if (!key) return showSignIn();
  mount(app, loading('your dashboard'));
  try {
    start(await checkKey(key));
  } catch (err) {
    forgetKey();
    showSignIn(err instanceof ApiError && err.status === 401 ? 'Your saved key is no longer accepted. Sign in again.' : undefined);
  }
}

function showSignIn(notice?: string): void {
  window.onhashchange = null;
  document.title = 'Sign in · perfpixel dashboard';
  const holder = h('div', { class: 'sign-in-page' });
  mount(app, topbar(null), h('main', { id: 'main', class: 'narrow' }, notice ? errorBox(notice) : null, holder));
  renderSignIn(holder, (s) => start(s, true));
}

function topbar(ctx: DashboardContext | null, nav?: HTMLElement): HTMLElement {
  return h(
    'header',
    { class: 'topbar' },
    h('a', { href: '/', class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'perfpixel'),
    nav ?? null,
    ctx
      ? h(
          'div',
          { class: 'who' },
          h('span', { 'data-testid': 'signed-in-as', 'data-kind': ctx.me.kind }, h('strong', {}, whoName(ctx.me)), h('span', { class: 'role' }, KIND[ctx.me.kind])),
          h(
            'button',
            {
              type: 'button',
              class: 'button small secondary',
              'data-testid': 'sign-out',
              onclick: () => {
                forgetKey();
                location.hash = '';
                showSignIn();
              },
            },
            'Sign out',
          ),
        )
      : h('a', { href: '/verify/', class: 'top-link' }, 'Verify my tag'),
  );
}

/** `focus`: move focus to the first view's heading once drawn (after a sign-in, the focused button is gone). */
function start(s: Session, focus = false): void {
  mount(app, topbar(null), h('main', { id: 'main' }, loading('your dashboard')));
  loadContext(s.api, s.me).then((ctx) => run(ctx, focus), (err) => mount(app, topbar(null), h('main', { id: 'main' }, errorBox(err instanceof Error ? err.message : 'Could not load the dashboard.', () => start(s)))));
}

function run(ctx: DashboardContext, focusFirst = false): void {
  const routes: { route: Route; label: string }[] =
    ctx.me.kind === 'publisher'
      ? [
          { route: 'overview', label: 'Earnings' },
          { route: 'statement', label: 'Statement' },
          { route: 'feed', label: 'Live' },
        ]
      : [
          { route: 'overview', label: 'Overview' },
          { route: 'conversions', label: 'Conversions' },
          { route: 'ledger', label: 'Ledger' },
          ...(ctx.me.kind === 'operator' ? [{ route: 'payouts' as const, label: 'Payouts' }] : []),
          { route: 'feed', label: 'Live' },
          // Advertiser tools (issue 14): bulk adjustments and the postback console act for the key's own advertiser.
          ...(ctx.me.kind === 'advertiser'
            ? [
                { route: 'adjust' as const, label: 'Bulk adjust' },
                { route: 'postback' as const, label: 'Postback console' },
              ]
            : []),
        ];
  const links = routes.map((r) => h('a', { href: `#${r.route}`, class: 'tab', 'data-testid': `nav-${r.route}`, 'data-route': r.route }, r.label));
  const nav = h('nav', { class: 'tabs', 'aria-label': 'Dashboard' }, links, h('a', { href: '/verify/', class: 'tab tab-extra' }, 'Verify tag'));
  const view = h('main', { id: 'main' });
  mount(app, topbar(ctx, nav), view);

  let days = 14;
  let stop: (() => void) | null = null;
  let seq = 0;

  const render = async () => {
    stop?.();
    stop = null;
    // `#conversions?status=held`: the query after `?` belongs to the view (conversion-filters.ts).
    let [name = 'overview', arg] = location.hash.replace(/^#/, '').split('?')[0]!.split('/');
    // A publisher's ledger is its account statement (one side of each group: no debits = credits).
    if (name === 'ledger' && ctx.me.kind === 'publisher') name = 'statement';
    const allowed = routes.some((r) => r.route === name) || (name === 'conversion' && ctx.me.kind !== 'publisher' && arg);
    const route = (allowed ? name : 'overview') as Route;
    for (const a of links) {
      const on = a.dataset.route === route || (route === 'conversion' && a.dataset.route === 'conversions');
      if (on) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = `${routes.find((r) => r.route === route)?.label ?? 'Conversion'} · ${whoName(ctx.me)} · perfpixel`;
    const mine = ++seq;
    const setDays = (d: number) => {
      days = d;
      void render();
    };
    // A view renders into its own element, so a slow answer for a page already left never shows.
    const el = h('div', { class: 'view' });
    view.replaceChildren(el);
    try {
      if (route === 'overview') await (ctx.me.kind === 'publisher' ? renderPublisherOverview(el, ctx, days, setDays) : renderAdvertiserOverview(el, ctx, days, setDays));
      else if (route === 'conversions') await renderConversions(el, ctx, days, setDays);
      else if (route === 'conversion') await renderExplain(el, ctx, decodeURIComponent(arg!));
      else if (route === 'ledger') await renderLedger(el, ctx, days, setDays);
      else if (route === 'statement') await renderStatement(el, ctx, days, setDays);
      else if (route === 'payouts') await renderPayoutsAdmin(el, ctx, days, setDays);
      else if (route === 'feed') stop = renderFeed(el, ctx);
      else if (route === 'adjust') renderBulkAdjust(el, ctx);
      else if (route === 'postback') renderPostbackConsole(el, ctx);
      if (mine === seq && moveFocus) {
        moveFocus = false;
        focusHeading(el);
      }
    } catch (err) {
      if (mine !== seq) return;
      if (err instanceof ApiError && err.status === 401) {
        forgetKey();
        showSignIn('That key is no longer accepted. Sign in again.');
        return;
      }
      mount(el, errorBox(err instanceof Error ? err.message : 'Something went wrong.', () => void render()));
    }
  };
  let moveFocus = focusFirst;
  window.onhashchange = () => {
    moveFocus = true;
    void render();
    window.scrollTo(0, 0);
  };
  void render();
}

void boot();
