/**
 * What every dashboard view needs besides the API: who is signed in, the names behind the IDs the
 * reports carry (campaigns, publishers, slots, advertisers) and the currency money is shown in.
 */
import type { Api, Campaign, Me, Slot } from './api';
import { h } from './dom';

/** The signed-in dashboard. */
export interface DashboardContext {
  api: Api;
  me: Me;
  /** The currency of every amount shown, or null when the figures mix currencies (then shown without a symbol). */
  currency: string | null;
  /** The currency the person chose to see when the figures span several (see currency-choice.ts). */
  pickedCurrency?: string;
  campaigns: Map<string, Campaign>;
  publishers: Map<string, string>;
  advertisers: Map<string, string>;
  slots: Map<string, Slot>;
}

/** A display name: who the key belongs to. */
export function whoName(me: Me): string {
  if (me.kind === 'advertiser') return me.advertiser?.name ?? me.id;
  if (me.kind === 'publisher') return me.publisher?.name ?? me.id;
  return 'Platform operator';
}

/** Loads the names the views need for this kind of key. */
export async function loadContext(api: Api, me: Me): Promise<DashboardContext> {
  const ctx: DashboardContext = { api, me, currency: null, campaigns: new Map(), publishers: new Map(), advertisers: new Map(), slots: new Map() };
  const list = <T>(p: Promise<T>, fallback: T) => p.catch(() => fallback);
  if (me.kind === 'advertiser') {
    ctx.currency = me.advertiser?.currency ?? null;
    if (me.advertiser) ctx.advertisers.set(me.id, me.advertiser.name);
    const [campaigns, names] = await Promise.all([list(api.campaigns(), { campaigns: [] }), list(publisherNames(api), { publishers: [] })]);
    for (const c of campaigns.campaigns) ctx.campaigns.set(c.id, c);
    // The publishers its ads ran with, by name ("The Daily Commute", not "daily").
    for (const p of names.publishers) ctx.publishers.set(p.id, p.name);
  } else if (me.kind === 'publisher') {
    if (me.publisher) ctx.publishers.set(me.id, me.publisher.name);
    const [slots, ledger] = await Promise.all([list(api.slots(), { slots: [] }), list(api.ledger({ limit: 200 }), { groups: [], next: null })]);
    for (const s of slots.slots) ctx.slots.set(s.id, s);
    // Publishers earn from advertisers of any currency: show a symbol only when there is one currency.
    ctx.currency = single(ledger.groups.map((g) => g.meta.currency));
  } else {
    const [campaigns, publishers, advertisers, slots] = await Promise.all([
      list(api.campaigns(), { campaigns: [] }),
      list(api.publishers(), { publishers: [] }),
      list(api.advertisers(), { advertisers: [] }),
      list(api.slots(), { slots: [] }),
    ]);
    for (const c of campaigns.campaigns) ctx.campaigns.set(c.id, c);
    for (const p of publishers.publishers) ctx.publishers.set(p.id, p.name);
    for (const a of advertisers.advertisers) ctx.advertisers.set(a.id, a.name);
    for (const s of slots.slots) ctx.slots.set(s.id, s);
    ctx.currency = single(advertisers.advertisers.map((a) => a.currency)) ?? null;
  }
  return ctx;
}

/** `GET /v1/publisher-names`: the names of the publishers an advertiser's ads ran with. */
const publisherNames = (api: Api) => api.get<{ publishers: { id: string; name: string }[] }>('/v1/publisher-names');

/** The one value of a list, or null when it is empty or mixed. */
function single(values: readonly string[]): string | null {
  const set = new Set(values);
  return set.size === 1 ? [...set][0]! : null;
}

/** "Winter jackets — pay per sale" for a campaign ID (or the ID itself). */
export const campaignName = (ctx: DashboardContext, id: string | null) => (id ? (ctx.campaigns.get(id)?.name ?? id) : '–');
/** A publisher's name. */
export const publisherName = (ctx: DashboardContext, id: string | null) => (id ? (ctx.publishers.get(id) ?? id) : '–');
/** A slot's name. */
export const slotName = (ctx: DashboardContext, id: string | null) => (id ? (ctx.slots.get(id)?.name ?? id) : '–');
/** A publisher's name, or — for an advertiser, who may not read publisher names — its ID set as code. */
export const publisherLabel = (ctx: DashboardContext, id: string | null): HTMLElement | string =>
  id && !ctx.publishers.has(id) ? h('span', {}, 'publisher ', h('code', {}, id)) : publisherName(ctx, id);
