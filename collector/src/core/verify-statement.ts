/**
 * The statement verifier (issue 12): re-runs a downloaded statement with the same core code the
 * collector billed with, and says either "every micro checks out" with a summary, or which entry
 * is the first that does not and why. Pure and streaming — it is fed one parsed NDJSON line at a
 * time — so the CLI (`perfpixel verify`) and the dashboard's "Verify a statement" page run exactly
 * this code, in Node and in the browser, on statements of any size.
 *
 * A statement (format `perfpixel-statement`, version 1; README "Check your invoice") is, line by line:
 *
 * | line      | holds                                                                                 |
 * |-----------|---------------------------------------------------------------------------------------|
 * | statement | who it is for, the period, the chain heads at both ends, the signature of the end head, the public keys |
 * | terms     | every terms version the facts refer to, in full                                       |
 * | context   | earlier groups of actions corrected in the period (advertiser statements), in full      |
 * | entry     | one of the party's groups: in full with its facts and salt (advertiser), or the party's view of it (publisher) |
 * | link      | a group of someone else: its content hash only                                        |
 * | end       | the number of lines and the totals the collector computed                             |
 *
 * Every line is canonical JSON (canonical.ts), so an advertiser's entry line begins with its facts:
 * `{"facts":…,"group":…,"salt":…,"seq":…,"type":"entry"}`. The facts are hashed as written there
 * (read-statement.ts); a line written in another form is read whole and its facts hashed from their
 * canonical text, so a statement whose facts' text was re-encoded but kept as the first key fails the chain.
 *
 * What is checked, in this order, for every entry (the first failure is reported):
 * 1. the chain: every sequence number from the start head to the end head, each link recomputed
 *    from the group (or its view, or the given content hash), ending exactly at the signed end head;
 * 2. the signature of the end head, with a trusted key (or the statement's own keys, said so);
 * 3. each group balances (Σ debits = Σ credits) — for a full group;
 * 4. each group re-run from its facts (facts.ts): the same core rule must give the same legs, to the
 *    micro, and every terms version it names must hash to the reference;
 * 5. the totals per account and currency equal the `end` line's.
 */
import { attributeConversion } from './attribution';
import { settleClick, settleConversion, settleImpression } from './billing';
import { canonicalJson, canonicalJsonOfParsed } from './canonical';
import { contentHash, fullView, GENESIS_HASH, headMessage, linkHash, partHashOfText, sortedLegs, toHex, type GroupView, type Sha256 } from './chain';
import { planReversal, planRestatement } from './adjustments';
import { checkPayout } from './payouts';
import { factsFromJson, pricedTerms, type GroupFacts, type PricedRef, type TermsRef } from './facts';
import type { EntryGroup, Leg } from './ledger';
import type { CampaignTerms } from './terms';

/** A public key the verifier may check the head's signature with. */
export interface TrustedKey {
  keyId: string;
  /** Raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
}

/** What the verifier needs from its runtime. */
export interface VerifierOptions {
  sha256: Sha256;
  /** Ed25519 verification of `signature` over `message` with a raw public key. */
  verifyEd25519: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;
  /** Keys to trust (the operator's well-known keys); when absent, the statement's own keys are used and the result says so. */
  trustedKeys?: TrustedKey[];
}

/** One total of a verified statement. */
export interface StatementTotal {
  currency: string;
  account: string;
  /** Debits minus credits, micros. */
  netMicros: string;
}

/** The verifier's verdict. */
export type StatementVerdict =
  | {
      ok: true;
      party: { kind: string; id: string };
      period: { from: number; to: number };
      entries: number;
      /** Groups re-run from their facts (advertiser statements). */
      rerun: number;
      /** Groups without recorded facts (posted before facts were recorded), checked by the chain only. */
      withoutFacts: number;
      charges: number;
      totals: StatementTotal[];
      firstHash: string | null;
      lastHash: string;
      keyId: string;
      /** True when the key came from the caller's trusted keys, false when from the statement itself. */
      trustedKey: boolean;
    }
  | { ok: false; line: number; seq: number | null; error: string };

/** A streaming verifier: feed it every parsed line in order, then ask for the verdict. */
export interface StatementVerifier {
  /**
   * One parsed line. `raw.factsText`, when the reader has it, is the facts' text exactly as written
   * in the line (read-statement.ts): it is hashed as it is, so it must be the text `value.facts` was
   * parsed from.
   */
  line(value: unknown, raw?: { factsText?: string }): void;
  finish(): StatementVerdict;
}

class Refused extends Error {
  constructor(
    message: string,
    readonly seq: number | null = null,
  ) {
    super(message);
  }
}

type Json = Record<string, any>;

const b64 = (s: string): Uint8Array => {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
};

/** An entry group from its JSON form (money as strings). */
export function groupFromJson(g: Json): EntryGroup {
  return {
    key: g.key,
    kind: g.kind,
    meta: { ...g.meta, slotId: g.meta.slotId ?? null, reason: g.meta.reason ?? null },
    // Keys in canonical order: each leg is hashed (chain.ts), and canonicalJson need not sort them.
    legs: (g.legs as Json[]).map((l) => ({ account: l.account, micros: BigInt(l.micros), side: l.side })),
  };
}

/** Campaign terms from their JSON form (money as strings). */
export function termsFromJsonObject(t: Json): CampaignTerms {
  const big = (v: unknown) => (v === null || v === undefined ? null : BigInt(v as string));
  return {
    ...(t as CampaignTerms),
    cpcMicros: big(t.cpcMicros) ?? 0n,
    cpmMicros: big(t.cpmMicros) ?? 0n,
    cpaFlatMicros: big(t.cpaFlatMicros) ?? 0n,
    totalBudgetMicros: big(t.totalBudgetMicros),
    dailyBudgetMicros: big(t.dailyBudgetMicros),
    publisherDailyCapMicros: big(t.publisherDailyCapMicros),
    payout: t.payout.kind === 'fixed' ? { kind: 'fixed', micros: BigInt(t.payout.micros) } : t.payout,
  };
}

const legsText = (legs: readonly Leg[]) => sortedLegs(legs).map((l) => `${l.side} ${l.account} ${l.micros}`).join(', ');

/** The same legs, whatever their order (text only when they differ: this runs for every group). */
function sameLegs(a: readonly Leg[], b: readonly Leg[]): boolean {
  if (a.length !== b.length) return false;
  const x = sortedLegs(a);
  const y = sortedLegs(b);
  for (let i = 0; i < x.length; i++) if (x[i]!.account !== y[i]!.account || x[i]!.side !== y[i]!.side || x[i]!.micros !== y[i]!.micros) return false;
  return true;
}

/** Creates a streaming statement verifier. */
export function createStatementVerifier(o: VerifierOptions): StatementVerifier {
  let lineNo = 0;
  let header: Json | null = null;
  let seq = 0;
  let prev = GENESIS_HASH;
  let firstHash: string | null = null;
  let ended = false;
  let failure: StatementVerdict | null = null;
  let rerun = 0;
  let withoutFacts = 0;
  let charges = 0;
  let entries = 0;
  const terms = new Map<string, { terms: CampaignTerms; hash: string }>();
  /** Groups of each action seen so far (context and entries), oldest first: what a correction is re-run on. */
  const byAction = new Map<string, EntryGroup[]>();
  const totals = new Map<string, bigint>();

  const termsOf = (ref: TermsRef): CampaignTerms => {
    const t = terms.get(`${ref.campaignId}:${ref.version}`);
    if (!t) throw new Refused(`terms ${ref.campaignId} v${ref.version} are not in the statement`);
    if (t.hash !== ref.hash) throw new Refused(`terms ${ref.campaignId} v${ref.version} do not hash to ${ref.hash}`);
    return t.terms;
  };

  /** The priced terms of a reference, built once per version and payout (pricedTerms copies the terms). */
  const priced = new Map<string, CampaignTerms>();
  const pricedOf = (ref: PricedRef): CampaignTerms => {
    const payout = ref.payout.kind === 'fixed' ? `f${ref.payout.micros}` : `s${ref.payout.bps}`;
    const k = `${ref.campaignId}:${ref.version}:${ref.hash}:${payout}:${ref.subsidy}`;
    let t = priced.get(k);
    if (!t) priced.set(k, (t = pricedTerms(termsOf(ref), ref)));
    return t;
  };

  const remember = (g: EntryGroup) => {
    const k = `${g.meta.refType}:${g.meta.refId}`;
    const list = byAction.get(k);
    if (list) list.push(g);
    else byAction.set(k, [g]);
  };

  /** Re-runs one group from its facts with the core; throws with the reason when the legs differ. */
  const rerunGroup = (g: EntryGroup, facts: GroupFacts, s: number) => {
    // A copy: the list grows as later groups of the action are remembered.
    const earlier = [...(byAction.get(`${g.meta.refType}:${g.meta.refId}`) ?? [])];
    let expected: EntryGroup | null = null;
    let why = '';
    switch (facts.rule) {
      case 'click': {
        const r = settleClick(pricedOf(facts.priced), { invalidReason: null, duplicateOf: null }, facts.spend, g.key, g.meta, termsOf(facts.caps));
        expected = r.group;
        why = r.outcome === 'charged' ? '' : `the click is ${r.outcome} (${r.reason})`;
        break;
      }
      case 'impression': {
        const r = settleImpression(pricedOf(facts.priced), { kind: facts.kind, invalidReason: null }, facts.totals, facts.spend, g.key, g.meta, termsOf(facts.caps));
        expected = r.settlement.group;
        why = r.settlement.outcome === 'charged' ? '' : `the impression is ${r.settlement.outcome} (${r.settlement.reason})`;
        break;
      }
      case 'conversion': {
        const winner = facts.touches.find((t) => t.campaignId === g.meta.campaignId && t.publisherId === g.meta.publisherId);
        if (!facts.approving) {
          const d = attributeConversion({
            conversion: { id: facts.conversion.id, advertiserId: facts.conversion.advertiserId, at: facts.conversion.at, valueMicros: facts.conversion.valueMicros, action: facts.conversion.action },
            touches: facts.touches,
            termsByCampaign: new Map(facts.attributionTerms.map((r) => [r.campaignId, termsOf(r)])),
            rejectedClickIds: facts.rejected,
            credits: false,
          });
          if (d.outcome !== 'attributed' || !d.winner) throw new Refused(`attribution re-run gives ${d.outcome} (${d.reason ?? 'no winner'}), not a charge`, s);
          if (d.winner.campaignId !== g.meta.campaignId || d.winner.publisherId !== g.meta.publisherId) {
            throw new Refused(`attribution re-run credits ${d.winner.campaignId} / ${d.winner.publisherId}, the group charges ${g.meta.campaignId} / ${g.meta.publisherId}`, s);
          }
        } else if (!winner) throw new Refused('the approved winner is not among the recorded touches', s);
        const r = settleConversion(
          { outcome: 'attributed', model: 'last_click', winner: null, reason: null, candidates: [], credits: [] },
          pricedOf(facts.priced),
          { valueMicros: facts.conversion.valueMicros, currency: facts.conversion.currency },
          facts.spend,
          g.key,
          g.meta,
          termsOf(facts.caps),
        );
        expected = r.group;
        why = r.outcome === 'charged' ? '' : `the conversion is ${r.outcome} (${r.reason})`;
        break;
      }
      case 'reversal':
      case 'invalidation':
        expected = planReversal(earlier, g.key, facts.rule, g.meta.reason ?? '', g.meta.at).group;
        why = earlier.length === 0 ? 'the charge it reverses is not in the statement' : '';
        break;
      case 'restatement': {
        const r = planRestatement(earlier, {
          terms: pricedOf(facts.priced),
          caps: termsOf(facts.caps),
          spendToday: facts.spend,
          today: facts.today,
          valueMicros: facts.valueMicros,
          currency: facts.currency,
          meta: g.meta,
          key: g.key,
        });
        if (!r.ok) throw new Refused(`restatement re-run refuses: ${r.reason}`, s);
        expected = r.group;
        break;
      }
      case 'payout': {
        // A payout is the operator's act, not a price: checked against what its facts say was payable.
        const bad = checkPayout(g, facts);
        if (bad) throw new Refused(`the payout does not check out: ${bad}`, s);
        expected = g;
        break;
      }
    }
    if (!expected) throw new Refused(`re-running ${facts.rule} posts nothing${why ? `: ${why}` : ''}`, s);
    if (why) throw new Refused(`re-running ${facts.rule}: ${why}`, s);
    if (expected.kind !== g.kind || !sameLegs(expected.legs, g.legs)) {
      throw new Refused(`re-running ${facts.rule} gives ${expected.kind} [${legsText(expected.legs)}], the statement says ${g.kind} [${legsText(g.legs)}]`, s);
    }
    rerun++;
  };

  const link = (s: number, content: string) => {
    if (s !== seq + 1) throw new Refused(`expected chain position ${seq + 1}, found ${s} (a group was dropped or moved)`, s);
    prev = linkHash(o.sha256, prev, content);
    firstHash ??= prev;
    seq = s;
  };

  const addTotals = (g: EntryGroup, only?: string) => {
    for (const l of g.legs) {
      if (only && l.account !== only) continue;
      const k = `${g.meta.currency}|${l.account}`;
      totals.set(k, (totals.get(k) ?? 0n) + (l.side === 'debit' ? l.micros : -l.micros));
    }
  };

  const handle = (v: Json, factsText: string | undefined) => {
    if (!v || typeof v !== 'object') throw new Refused('a line is not a JSON object');
    if (ended) throw new Refused('lines after the end line');
    if (!header) {
      if (v.type !== 'statement' || v.format !== 'perfpixel-statement') throw new Refused('not a perfpixel statement (the first line must be its header)');
      if (v.version !== 1) throw new Refused(`statement version ${String(v.version)} is not supported (this verifier reads version 1)`);
      header = v;
      seq = v.start.seq;
      prev = v.start.hash;
      return;
    }
    switch (v.type) {
      case 'terms': {
        const t = termsFromJsonObject(v.terms);
        terms.set(`${v.terms.campaignId}:${v.terms.version}`, { terms: t, hash: toHex(o.sha256(canonicalJson(v.terms))) });
        return;
      }
      case 'context': {
        remember(groupFromJson(v.group));
        return;
      }
      case 'link':
        link(v.seq, v.content);
        return;
      case 'entry': {
        entries++;
        if (v.view) {
          // A publisher's view: its own legs shown, the rest hidden behind their hashes.
          const view = v.view as GroupView;
          link(v.seq, contentHash(o.sha256, view));
          const own = `${header.party.kind}:${header.party.id}`;
          for (const p of view.legs) {
            if (!('value' in p)) continue;
            const leg = { account: p.value.account, side: p.value.side, micros: BigInt(p.value.micros as unknown as string) };
            if (leg.account !== own) throw new Refused(`a leg of ${leg.account} is shown in ${own}'s statement`, v.seq);
            const k = `${view.header.currency}|${leg.account}`;
            totals.set(k, (totals.get(k) ?? 0n) + (leg.side === 'debit' ? leg.micros : -leg.micros));
          }
          if (view.header.kind === 'charge') charges++;
          return;
        }
        const g = groupFromJson(v.group);
        // The facts, the bulk of a line, are hashed as written when the reader kept their text (a
        // canonical statement's text is the canonical text; any other text fails the chain), or else
        // from their canonical text (canonical.ts canonicalJsonOfParsed: found fast when the parsed
        // text was canonical already).
        const view = fullView(o.sha256, g, null, v.salt);
        if ('salt' in view.facts) view.facts = { hash: partHashOfText(o.sha256, view.facts.salt, factsText ?? canonicalJsonOfParsed(v.facts ?? null)) };
        link(v.seq, contentHash(o.sha256, view));
        let d = 0n;
        let c = 0n;
        for (const l of g.legs) {
          if (l.micros <= 0n) throw new Refused(`a leg of ${l.account} is not positive`, v.seq);
          if (l.side === 'debit') d += l.micros;
          else c += l.micros;
        }
        if (d !== c) throw new Refused(`the group does not balance: debits ${d} ≠ credits ${c}`, v.seq);
        const facts = factsFromJson(v.facts);
        if (facts) rerunGroup(g, facts, v.seq);
        else withoutFacts++;
        if (g.kind === 'charge') charges++;
        remember(g);
        addTotals(g);
        return;
      }
      case 'end': {
        ended = true;
        if (seq !== header.end.seq) throw new Refused(`the chain stops at ${seq}, the statement's end head is ${header.end.seq}`);
        if (prev !== header.end.hash) throw new Refused(`the chain recomputes to ${prev} at ${seq}, the end head says ${header.end.hash}`, seq);
        const claimed = new Map<string, bigint>((v.totals as StatementTotal[]).map((t) => [`${t.currency}|${t.account}`, BigInt(t.netMicros)]));
        for (const [k, n] of totals) if ((claimed.get(k) ?? 0n) !== n) throw new Refused(`the total of ${k.replace('|', ' ')} is ${n}, the statement says ${claimed.get(k) ?? 0n}`);
        for (const [k, n] of claimed) if ((totals.get(k) ?? 0n) !== n) throw new Refused(`the statement claims a total of ${n} for ${k.replace('|', ' ')}, its entries give ${totals.get(k) ?? 0n}`);
        return;
      }
      default:
        throw new Refused(`unknown line type ${String(v.type)}`);
    }
  };

  return {
    line(value, raw) {
      if (failure) return;
      lineNo++;
      try {
        handle(value as Json, raw?.factsText);
      } catch (err) {
        failure = { ok: false, line: lineNo, seq: err instanceof Refused ? err.seq : null, error: (err as Error).message };
      }
    },
    finish() {
      if (failure) return failure;
      if (!header) return { ok: false, line: 0, seq: null, error: 'the statement is empty' };
      if (!ended) return { ok: false, line: lineNo, seq, error: 'the statement stops before its end line (cut short?)' };
      const sig = header.signature as { keyId: string; value: string } | undefined;
      if (!sig) return { ok: false, line: 1, seq: null, error: 'the end head is not signed' };
      const trusted = o.trustedKeys?.find((k) => k.keyId === sig.keyId);
      const own = (header.keys as TrustedKey[] | undefined)?.find((k) => k.keyId === sig.keyId);
      const key = trusted ?? (o.trustedKeys ? undefined : own);
      if (!key) return { ok: false, line: 1, seq: null, error: `the end head is signed with key ${sig.keyId}, which is not a trusted key` };
      if (!o.verifyEd25519(b64(key.publicKey), headMessage(header.end), b64(sig.value))) {
        return { ok: false, line: 1, seq: header.end.seq, error: `the signature of the end head does not verify with key ${sig.keyId}` };
      }
      return {
        ok: true,
        party: header.party,
        period: header.period,
        entries,
        rerun,
        withoutFacts,
        charges,
        totals: [...totals].map(([k, n]) => ({ currency: k.split('|')[0]!, account: k.split('|')[1]!, netMicros: String(n) })).sort((a, b) => (a.currency + a.account < b.currency + b.account ? -1 : 1)),
        firstHash,
        lastHash: prev,
        keyId: sig.keyId,
        trustedKey: !!trusted,
      };
    },
  };
}
