/**
 * The explain view of one conversion (`GET /v1/conversions/:id`): every candidate touch with its
 * verdict in plain words, the credit each attribution model would give, and where the money went —
 * the advertiser's cost split into the publisher's earning and the platform's margin, under which
 * terms version — with the ledger entries that record it.
 *
 * Test hooks: `explain-view` (with `data-conversion-id`, `data-status`), `explain-summary`,
 * `candidate` rows (`data-touch-id`, `data-verdict`), `explain-credits`, `explain-money`
 * (`money-cost`, `money-publisher`, `money-platform`, `terms-version`), and the ledger hooks.
 */
import type { ExplainHistoryEntry } from '../../../collector/src/core/explain';
import type { Candidate, Conversion, Decision, EntryGroup } from './api';
import { campaignName, publisherLabel, publisherName, slotName, type DashboardContext } from './context';
import { conversionActions, historyCard } from './conversion-actions';
import { actionName } from './conversions-list';
import { empty, h, loading, mount, type Child } from './dom';
import { formatMoney, ratio, sumMicros, toMicros } from './format-money';
import { before, dateTime } from './format-time';
import { ledgerTable } from './ledger-view';
import { dataTable, pill, td } from './table';
import { chargeWords, modelWords, statusWords, verdictWords } from './verdict-words';

const ORIGIN: Record<string, string> = {
  beacon: 'sent by the tag in the browser',
  s2s: 'posted server-to-server by the shop',
  both: 'sent by the tag and confirmed server-to-server (merged, counted once)',
};

const shortId = (id: string) => (id.length > 14 ? `${id.slice(0, 12)}…` : id);

/** Renders the explain view for one conversion. */
export async function renderExplain(el: HTMLElement, ctx: DashboardContext, id: string): Promise<void> {
  const back = h('a', { href: '#conversions', class: 'back' }, '← All conversions');
  mount(el, back, loading('the explanation'));
  const { conversion: c, ledger } = await ctx.api.conversion(id);
  mount(el, back, explainView(ctx, c, ledger, () => void renderExplain(el, ctx, id)));
  el.querySelector('h1')?.focus();
}

/** The explain view itself (no fetching: easy to render from any conversion record). */
export function explainView(ctx: DashboardContext, c: Conversion, ledger: readonly EntryGroup[], changed: () => void = () => {}): HTMLElement {
  const d: Decision = c.decision ?? { outcome: 'unattributed', reason: null, candidates: [] };
  const cur = c.currency ?? ctx.currency;
  const status = statusWords(c.status, c.statusReason);
  const model = d.model ?? 'last_click';
  return h(
    'article',
    { class: 'explain', 'data-testid': 'explain-view', 'data-conversion-id': c.id, 'data-status': c.status },
    h(
      'header',
      { class: 'explain-head' },
      h('h1', { tabindex: '-1' }, `${actionName(c.actionKey)}${c.orderId ? ` ${c.orderId}` : ''}`),
      h(
        'p',
        { class: 'sub' },
        c.valueMicros !== '0' ? h('strong', { class: 'num' }, formatMoney(c.valueMicros, cur)) : null,
        c.valueMicros !== '0' ? ' · ' : null,
        `received ${dateTime(c.receivedAt)} · ${ORIGIN[c.origin] ?? c.origin}`,
      ),
      h('p', {}, pill(status.label, status.tone, { 'data-testid': 'explain-status' }), status.detail ? h('span', { class: 'pill-note' }, status.detail) : null),
    ),
    h(
      'section',
      { class: 'card summary', 'data-testid': 'explain-summary' },
      h('h2', {}, 'In one sentence'),
      h('p', { class: 'big' }, summary(ctx, c, d)),
      conversionActions(ctx, c, changed),
    ),
    historyCard(ctx, c),
    candidatesCard(ctx, c, d, model),
    creditsCard(ctx, c, d, model, cur),
    moneyCard(ctx, c, d, cur, ledger),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'explain-ledger-title' },
      h('div', { class: 'card-head' }, h('h2', { id: 'explain-ledger-title' }, 'Ledger entries'), h('p', { class: 'sub' }, 'What was actually posted for this conversion, in order.')),
      ledger.length ? ledgerTable(ctx, ledger, 'Ledger entries of this conversion') : empty('Nothing was posted: this conversion was not charged.'),
    ),
    h(
      'details',
      { class: 'card technical' },
      h('summary', {}, 'Technical details'),
      h(
        'dl',
        { class: 'facts' },
        fact('Conversion ID', h('code', {}, c.id)),
        fact('Event ID', h('code', {}, c.eventId)),
        fact('Site', c.siteId ? h('code', {}, c.siteId) : '–'),
        fact('Click IDs presented', c.clickIds.length ? c.clickIds.map((k) => h('code', { class: 'block' }, k)) : 'none'),
        fact('Winning touch', c.touchId ? h('code', {}, c.touchId) : '–'),
        fact('Attribution model', modelWords(model)),
        fact('Happened', dateTime(c.at)),
        fact('Last changed', dateTime(c.updatedAt)),
      ),
    ),
  );
}

const fact = (label: string, value: Child) => [h('dt', {}, label), h('dd', {}, value)];

/** The one-sentence answer to "who earned this, and why". */
function summary(ctx: DashboardContext, c: Conversion, d: Decision): Child[] {
  const w = d.winner;
  const where = (pub: string | null, slot: string | null) => [h('strong', {}, publisherLabel(ctx, pub)), slot ? ` (${slotName(ctx, slot)})` : ''];
  if (w) {
    const lead: Child[] = [
      `A ${w.kind === 'view' ? 'viewable impression' : 'click'} on `,
      h('strong', {}, campaignName(ctx, w.campaignId)),
      ' in ',
      ...where(w.publisherId, w.slotId),
      `, ${before(w.at, c.at)} the conversion, `,
    ];
    if (c.status === 'pending') {
      const held = d.candidates.find((x) => x.touchId === w.touchId);
      const why = held ? verdictWords(held, d.model).detail : statusWords(c.status, c.statusReason).detail;
      return [...lead, 'would earn it, but it is held for review', why ? `: ${why}` : '', '.'];
    }
    if (c.status === 'rejected') return [...lead, 'was the winner, but the conversion was not counted: ', statusWords(c.status, c.statusReason).detail ?? '', '.'];
    const rest: Child[] = [...lead, `earned it (${modelWords(d.model ?? 'last_click')}`, d.candidates.length > 1 ? `, over ${d.candidates.length - 1} other candidate${d.candidates.length > 2 ? 's' : ''}` : '', ').'];
    if (c.status === 'reversed') rest.push(` Later reversed (${c.statusReason ?? 'reversed'}): the charge was given back.`);
    if (c.status === 'restated') rest.push(` The value was later restated (${c.statusReason ?? 'restated'}) and the charge adjusted.`);
    return rest;
  }
  if (d.outcome === 'invalid') return ['Rejected as invalid traffic: nothing was attributed or charged.'];
  if (d.outcome === 'duplicate') return ['The same order was already converted, so this one counts for nothing.'];
  const bad = d.candidates.filter((x) => ['forged', 'unknown', 'other_advertiser'].includes(x.verdict)).length;
  const lost = d.candidates.length - bad;
  return [
    'No click or view of ours earned this conversion, so nobody was charged. ',
    d.candidates.length === 0 ? 'The visitor arrived without a click ID we issued, and no viewable impression of yours was seen from this browser.' : '',
    bad ? `${bad} click ID${bad > 1 ? 's' : ''} presented could not be trusted. ` : '',
    lost ? `${lost} touch${lost > 1 ? 'es were' : ' was'} seen but could not count (see below).` : '',
  ];
}

function candidatesCard(ctx: DashboardContext, c: Conversion, d: Decision, model: string): HTMLElement {
  const rows = [...d.candidates].sort((a, b) => Number(b.verdict === 'won') - Number(a.verdict === 'won') || (b.at ?? 0) - (a.at ?? 0));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'candidates-title' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'candidates-title' }, 'Every candidate touch'),
      h('p', { class: 'sub' }, `Billing model: ${modelWords(model)}. Clicks always beat views; a touch must be inside its window and valid.`),
    ),
    rows.length === 0
      ? empty('No candidate touches: no click ID and no viewable impression from this browser.')
      : dataTable({
          caption: 'Candidate touches and their verdicts',
          testid: 'explain-candidates',
          className: 'candidates stack',
          columns: [{ label: 'Touch' }, { label: 'When' }, { label: 'Campaign · publisher' }, { label: 'Verdict' }],
          body: rows.map((x) => candidateRow(ctx, c, x, model)),
        }),
  );
}

function candidateRow(ctx: DashboardContext, c: Conversion, x: Candidate, model: string): HTMLTableRowElement {
  let w = verdictWords(x, model);
  // The explain record keeps the verdict from the moment of attribution; a later approval makes the held winner the winner.
  if (x.verdict === 'too_fast' && approval(c.decision) && x.touchId === c.touchId) w = { label: `won after review: ${model === 'first_click' ? 'first' : 'last'} ${x.kind}`, detail: `held first: ${w.detail ?? 'too fast'}`, tone: 'won' };
  return h(
    'tr',
    { 'data-testid': 'candidate', 'data-touch-id': x.touchId, 'data-verdict': x.verdict, class: w.tone },
    td(h('span', {}, h('span', { class: 'primary' }, x.kind === 'view' ? 'Viewable impression' : 'Click'), h('code', { class: 'secondary', title: x.touchId }, shortId(x.touchId)))),
    td(x.at === null ? '–' : h('span', { title: dateTime(x.at) }, before(x.at, c.at))),
    td(x.campaignId ? h('span', {}, campaignName(ctx, x.campaignId), h('span', { class: 'secondary' }, publisherLabel(ctx, x.publisherId))) : h('span', { class: 'muted' }, 'unknown')),
    td(h('span', {}, pill(w.label, w.tone, { 'data-testid': 'verdict' }), w.detail ? h('span', { class: 'secondary' }, w.detail) : null)),
  );
}

function creditsCard(ctx: DashboardContext, c: Conversion, d: Decision, model: string, cur: string | null): HTMLElement | null {
  const credits = d.credits ?? [];
  if (credits.every((m) => m.shares.length === 0)) return null;
  const touch = new Map(d.candidates.map((x) => [x.touchId, x]));
  const body = credits.flatMap((m) =>
    m.shares.map((s, i) => {
      const x = touch.get(s.touchId);
      return h(
        'tr',
        { 'data-model': m.model, class: m.model === model ? 'billing' : null },
        i === 0 ? h('th', { scope: 'rowgroup', rowspan: String(m.shares.length) }, modelWords(m.model), m.model === model ? h('span', { class: 'secondary' }, 'billing model') : null) : null,
        td(h('span', {}, x?.kind === 'view' ? 'View ' : 'Click ', h('code', { title: s.touchId }, shortId(s.touchId)), x?.at ? h('span', { class: 'secondary' }, `${before(x.at, c.at)}${x.campaignId ? ` · ${publisherName(ctx, x.publisherId)}` : ''}`) : null)),
        td(`${ratio(toMicros(s.conversionMicros) * 100n, 1_000_000n, 1)} %`, true),
        td(formatMoney(s.valueMicros, cur, { exact: true }), true),
      );
    }),
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'credits-title' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'credits-title' }, 'Credit per attribution model'),
      h('p', { class: 'sub' }, 'Only the billing model moves money; the others are for comparison. Shares are exact integers that always add up to the whole conversion.'),
    ),
    dataTable({
      caption: 'Credit split per model',
      testid: 'explain-credits',
      className: 'stack',
      columns: [{ label: 'Model' }, { label: 'Touch' }, { label: 'Share', num: true }, { label: 'Value credited', num: true }],
      body,
    }),
  );
}

function moneyCard(ctx: DashboardContext, c: Conversion, d: Decision, cur: string | null, ledger: readonly EntryGroup[]): HTMLElement {
  const ch = d.charge;
  const title = h('div', { class: 'card-head' }, h('h2', { id: 'money-title' }, 'The money'));
  const card = (...children: Child[]) => h('section', { class: 'card money', 'data-testid': 'explain-money', 'aria-labelledby': 'money-title' }, title, ...children);
  const charged = ledger.find((g) => g.kind === 'charge');
  if (!ch && charged) {
    // Approved after review: the explain record keeps only the cost, the ledger has the split.
    const leg = (pred: (a: string) => boolean) => sumMicros(charged.legs.filter((l) => pred(l.account)).map((l) => l.micros));
    const gcur = charged.meta.currency;
    const m = (v: bigint) => formatMoney(v, gcur, { exact: true });
    return card(
      h('p', {}, pill('charged after review', 'won'), approval(d)?.reason ? h('span', { class: 'pill-note' }, approval(d)!.reason) : null),
      h(
        'dl',
        { class: 'facts' },
        fact('Advertiser cost', h('strong', { 'data-testid': 'money-cost' }, m(leg((a) => a.startsWith('advertiser:'))))),
        fact('Publisher earning', h('span', { 'data-testid': 'money-publisher' }, m(leg((a) => a.startsWith('publisher:'))))),
        fact('Platform margin', h('span', { 'data-testid': 'money-platform' }, m(leg((a) => a === 'platform')))),
      ),
      h('p', { class: 'terms' }, 'Priced under ', h('strong', { 'data-testid': 'terms-version' }, `terms version ${charged.meta.termsVersion}`), ` of ${campaignName(ctx, charged.meta.campaignId)}.`),
    );
  }
  if (!ch) {
    if (c.status === 'pending') return card(h('p', {}, 'Nothing is charged while the conversion is held for review.'));
    return card(h('p', {}, d.winner ? 'Nothing was priced for this conversion.' : 'Nothing was charged: no ad earned this conversion.'));
  }
  const words = chargeWords(ch.outcome, ch.reason, ch.capHit);
  const ccur = ch.currency ?? cur;
  const terms = c.campaignId ? ctx.campaigns.get(c.campaignId)?.terms : undefined;
  const bps = terms && terms.version === ch.termsVersion ? terms.cpaBps : null;
  const termsLine = h('p', { class: 'terms' }, 'Priced under ', h('strong', { 'data-testid': 'terms-version' }, `terms version ${ch.termsVersion ?? '–'}`), c.campaignId ? ` of ${campaignName(ctx, c.campaignId)}` : '', '.');
  if (ch.outcome !== 'charged') {
    const cpc = terms?.costModel === 'cpc';
    return card(
      h('p', {}, pill(words.label, words.tone), words.detail ? h('span', { class: 'pill-note' }, words.detail) : null),
      cpc ? h('p', { class: 'sub' }, 'This is a pay-per-click campaign: the click itself was charged when it happened (see the ledger).') : null,
      termsLine,
    );
  }
  const cost = toMicros(ch.costMicros);
  const pub = toMicros(ch.publisherMicros);
  const plat = toMicros(ch.platformMicros);
  const flat = toMicros(ch.flatMicros);
  const share = toMicros(ch.shareMicros);
  const m = (v: bigint) => formatMoney(v, ccur, { exact: true });
  const parts: string[] = [];
  if (flat > 0n) parts.push(`${m(flat)} per sale`);
  if (share > 0n) parts.push(`${m(share)}${bps !== null ? ` (${ratio(BigInt(bps), 100n, bps % 100 === 0 ? 0 : 2)} % of ${formatMoney(ch.valueMicros, ccur)})` : ' share of the order'}`);
  return card(
    h(
      'div',
      { class: 'flow' },
      h('div', { class: 'flow-box cost' }, h('span', { class: 'flow-label' }, 'Advertiser cost'), h('span', { class: 'flow-value', 'data-testid': 'money-cost' }, m(cost)), parts.length ? h('span', { class: 'flow-note' }, parts.join(' + ')) : null),
      h('span', { class: 'flow-arrow', 'aria-hidden': 'true' }, '→'),
      h(
        'div',
        { class: 'flow-split' },
        h('div', { class: 'flow-box earn' }, h('span', { class: 'flow-label' }, 'Publisher earning · ', publisherLabel(ctx, c.publisherId)), h('span', { class: 'flow-value', 'data-testid': 'money-publisher' }, m(pub)), h('span', { class: 'flow-note' }, `${ratio(pub * 100n, cost, 1)} % of the cost`)),
        h('div', { class: 'flow-box margin' }, h('span', { class: 'flow-label' }, 'Platform margin'), h('span', { class: 'flow-value', 'data-testid': 'money-platform' }, m(plat)), h('span', { class: 'flow-note' }, 'the rest, including rounding')),
      ),
    ),
    h('p', { class: 'check' }, pub + plat === cost ? `✓ ${m(pub)} + ${m(plat)} = ${m(cost)}` : `✗ ${m(pub)} + ${m(plat)} ≠ ${m(cost)}`),
    termsLine,
    c.status === 'reversed' ? h('p', { class: 'sub' }, 'This charge was reversed later; the ledger below shows the correcting entry. Your net cost for this conversion is ', h('strong', {}, formatMoney(c.costMicros, ccur, { exact: true })), '.') : null,
    c.status === 'restated' ? h('p', { class: 'sub' }, 'The value was restated later; the net cost is now ', h('strong', {}, formatMoney(c.costMicros, ccur, { exact: true })), ' (see the restatement entry below).') : null,
  );
}

/** The last approval on review in the record's history (core/explain.ts), if any. */
function approval(d: Decision | null): ExplainHistoryEntry | undefined {
  return d?.history?.filter((e) => e.action === 'approved').at(-1);
}
