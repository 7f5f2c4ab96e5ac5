/**
 * The facts recorded with every entry group: the inputs the core priced it from, so that anyone can
 * re-run the same core function on them and get the same legs, to the micro (issue 12, "every charge
 * is a pure function of recorded facts"). They are committed to by the ledger chain (chain.ts).
 *
 * | rule         | re-run with                                       | inputs recorded                                   |
 * |--------------|---------------------------------------------------|---------------------------------------------------|
 * | click        | billing.ts `settleClick`                          | priced terms, caps in force, spend before          |
 * | impression   | billing.ts `settleImpression`                     | … and the CPM running total before, the kind      |
 * | conversion   | attribution.ts `attributeConversion`, billing.ts `settleConversion` | … and the conversion, every candidate touch, the terms attribution used, rejected click IDs; `approving` for a held one approved on review |
 * | reversal, invalidation | adjustments.ts `planReversal`           | the action's earlier groups (in the statement)     |
 * | restatement  | adjustments.ts `planRestatement`                  | priced terms, caps, today's spend, the new value  |
 * | payout       | payouts.ts `checkPayout`                          | the payable amount, the threshold and the window   |
 *
 * Terms appear by reference — campaign, version and the hash of their canonical JSON — with the
 * payout resolved for the publisher at the time (a revenue share set on the publisher can change
 * later); a statement carries each referenced version once.
 */
import type { RejectedClickId, Touch } from './attribution';
import type { Spend } from './caps';
import type { CpmTotals } from './billing';
import type { PayoutFacts } from './payouts';
import type { CampaignTerms, ConversionAction, PublisherPayout } from './terms';

/** A terms version by reference: its campaign, version and the hash of its canonical JSON. */
export interface TermsRef {
  campaignId: string;
  version: number;
  hash: string;
}

/** The terms a charge was priced on: the version, with the payout the publisher had then. */
export interface PricedRef extends TermsRef {
  payout: PublisherPayout;
  subsidy: boolean;
}

/** What every charge records about its budget: the caps in force and the spend before it. */
interface Budgeted {
  priced: PricedRef;
  caps: TermsRef;
  spend: Spend;
}

/** The facts of one entry group (see the table above). Money is bigint here, strings in JSON. */
export type GroupFacts =
  | ({ rule: 'click' } & Budgeted)
  | ({ rule: 'impression'; kind: 'served' | 'viewable'; totals: CpmTotals } & Budgeted)
  | ({
      rule: 'conversion';
      approving: boolean;
      conversion: { id: string; advertiserId: string; at: number; valueMicros: bigint; currency: string | null; action: ConversionAction };
      touches: Touch[];
      attributionTerms: TermsRef[];
      rejected: RejectedClickId[];
    } & Budgeted)
  | { rule: 'reversal' | 'invalidation' }
  | ({ rule: 'restatement'; valueMicros: bigint; currency: string | null; today: string } & Budgeted)
  | PayoutFacts;

/** The facts as core functions take them: references resolved to the terms they name. */
export type ResolvedFacts<F = GroupFacts> = F & { terms: (ref: TermsRef) => CampaignTerms };

/** The priced terms of a charge: the version it names, with the payout and subsidy recorded for it. */
export function pricedTerms(terms: CampaignTerms, ref: PricedRef): CampaignTerms {
  return { ...terms, payout: ref.payout, subsidy: ref.subsidy, payoutFromPublisher: false };
}

/** The facts as JSON carries them back (money as strings) turned into the core's types (bigint). */
export function factsFromJson(json: unknown): GroupFacts | null {
  if (json === null || json === undefined) return null;
  const f = json as Record<string, any>;
  const big = (v: unknown) => BigInt(v as string);
  const spend = (s: Record<string, unknown>): Spend => ({ totalMicros: big(s.totalMicros), dayMicros: big(s.dayMicros), publisherDayMicros: big(s.publisherDayMicros) });
  const priced = (p: Record<string, any>): PricedRef => ({
    campaignId: p.campaignId,
    version: p.version,
    hash: p.hash,
    payout: p.payout.kind === 'fixed' ? { kind: 'fixed', micros: big(p.payout.micros) } : { kind: 'share', bps: p.payout.bps },
    subsidy: p.subsidy === true,
  });
  switch (f.rule) {
    case 'click':
      return { rule: 'click', priced: priced(f.priced), caps: f.caps, spend: spend(f.spend) };
    case 'impression':
      return { rule: 'impression', kind: f.kind, totals: { billableCount: big(f.totals.billableCount), chargedMicros: big(f.totals.chargedMicros) }, priced: priced(f.priced), caps: f.caps, spend: spend(f.spend) };
    case 'conversion':
      return {
        rule: 'conversion',
        approving: f.approving === true,
        conversion: { ...f.conversion, valueMicros: big(f.conversion.valueMicros) },
        touches: f.touches,
        attributionTerms: f.attributionTerms,
        rejected: f.rejected,
        priced: priced(f.priced),
        caps: f.caps,
        spend: spend(f.spend),
      };
    case 'reversal':
    case 'invalidation':
      return { rule: f.rule };
    case 'restatement':
      return { rule: 'restatement', valueMicros: big(f.valueMicros), currency: f.currency ?? null, today: f.today, priced: priced(f.priced), caps: f.caps, spend: spend(f.spend) };
    case 'payout':
      return { rule: 'payout', payableMicros: big(f.payableMicros), thresholdMicros: big(f.thresholdMicros), reversalWindowDays: f.reversalWindowDays };
    default:
      throw new TypeError(`unknown facts rule ${String(f.rule)}`);
  }
}
