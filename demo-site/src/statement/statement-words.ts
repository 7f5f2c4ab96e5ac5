/**
 * The statement verifier's verdict (collector/src/core/verify-statement.ts) in words a person who
 * is not an engineer can act on: who the statement is for, the period, what each total means for
 * that account (charged, earned, margin), where the first problem is, and whose key signed it.
 */
import type { StatementTotal, StatementVerdict } from '../../../collector/src/core/verify-statement';
import { formatCount, formatMoney } from '../dashboard/format-money';

type Verified = Extract<StatementVerdict, { ok: true }>;
type Refused = Extract<StatementVerdict, { ok: false }>;

const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const MOMENT = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });

/** "Advertiser northwind". */
export function partyWords(party: { kind: string; id: string }): string {
  const kind = party.kind === 'advertiser' ? 'Advertiser' : party.kind === 'publisher' ? 'Publisher' : party.kind;
  return `${kind} ${party.id}`;
}

/** "22 Nov 2026, 00:00 – 6 Dec 2026, 13:05 (UTC)"; a period from 0 reads "from the first entry". */
export function periodWords(period: { from: number; to: number }): string {
  const at = (ms: number) => (ms % 86_400_000 === 0 ? DAY.format(ms) : MOMENT.format(ms));
  const from = period.from <= 0 ? 'the first entry' : at(period.from);
  return `${from} – ${at(period.to)} (UTC)`;
}

/** One total as the summary table shows it. */
export interface TotalRow {
  /** The ledger account as the statement names it: "advertiser:northwind", "platform". */
  accountId: string;
  /** Whose account, in words: "northwind (advertiser)". */
  account: string;
  /** What the amount is for that account, in a word or two. */
  meaning: string;
  /** The amount in its currency, every micro shown ("€1,234.5678"), without a sign: the meaning says which way. */
  amount: string;
  currency: string;
  /** The net amount exactly as the statement has it (debits − credits, micros). */
  netMicros: string;
}

/**
 * The totals, one row per account and currency. A ledger total is debits minus credits: an
 * advertiser's debit is what it was charged, a publisher's credit what it earned, the platform's
 * credit its margin; the other direction means more was given back than charged in the period.
 */
export function totalRows(totals: readonly StatementTotal[]): TotalRow[] {
  return totals.map((t) => {
    const net = BigInt(t.netMicros);
    const kind = t.account.split(':')[0];
    const meaning =
      kind === 'advertiser'
        ? net >= 0n
          ? 'charged'
          : 'refunded (more given back than charged)'
        : kind === 'publisher'
          ? net <= 0n
            ? 'earned'
            : 'taken back (more reversed than earned)'
          : t.account === 'platform'
            ? net <= 0n
              ? 'platform margin'
              : 'platform paid out (subsidy)'
            : net >= 0n
              ? 'debit'
              : 'credit';
    const [who, id = ''] = t.account.split(':');
    const account = t.account === 'platform' ? 'Platform' : who === 'advertiser' || who === 'publisher' ? `${id} (${who})` : t.account;
    return { accountId: t.account, account, meaning, amount: formatMoney(net < 0n ? -net : net, t.currency, { exact: true }), currency: t.currency, netMicros: t.netMicros };
  });
}

/** What was re-run, in one sentence. */
export function entriesWords(v: Verified): string {
  const n = formatCount(v.entries);
  if (v.entries === 0) return 'The statement has no entries of yours in this period; the chain and its signature check out.';
  const rerun =
    v.rerun === v.entries
      ? `all ${n} were re-calculated from the facts they record and came out the same, to the micro`
      : v.rerun === 0
        ? `they show only your side of each entry, so they were checked against the chain rather than re-calculated`
        : `${formatCount(v.rerun)} were re-calculated from their facts and came out the same, to the micro${v.withoutFacts ? `; ${formatCount(v.withoutFacts)} from before facts were recorded are checked by the chain only` : ''}`;
  return `${n} ${v.entries === 1 ? 'entry' : 'entries'} (${formatCount(v.charges)} ${v.charges === 1 ? 'charge' : 'charges'}): ${rerun}.`;
}

/** Whose key signed the statement, and whether that is the operator's published one. */
export function keyWords(v: Verified): { text: string; published: boolean } {
  return v.trustedKey
    ? { text: `Signed with the operator's published key ${v.keyId}.`, published: true }
    : {
        text: `Signed with key ${v.keyId}, which the file names itself. The operator's published keys could not be loaded, so this page cannot tell whether that key is really theirs.`,
        published: false,
      };
}

/** The verifier's reasons (core/verify-statement.ts), first match wins, as one plain sentence. */
const MEANING: [RegExp, string][] = [
  [/^re-running|^attribution re-run|^restatement re-run|approved winner|charge it reverses/, 'The amounts recorded for this entry are not what its own facts give.'],
  [/^expected chain position/, 'An entry is missing here, or the entries are out of order.'],
  [/^the chain recomputes|^the chain stops/, 'Something was changed: the entries no longer lead to the fingerprint the operator signed.'],
  [/signature|not a trusted key|not signed/, 'The signature does not match: this is not the statement the operator signed.'],
  [/total/, 'The totals are not the sum of the entries.'],
  [/^terms /, 'The campaign terms in the file are not the ones the charges were priced on.'],
  [/does not balance|not positive/, 'An entry does not balance: its debits and credits differ.'],
  [/cut short|stops before/, 'The file ends too early: it was cut short.'],
  [/^stopped/, 'The check was stopped before the end of the file.'],
  [/not JSON|JSON object|not UTF-8|not a perfpixel statement|is empty|version .* is not supported|unknown line type|after the end line|could not be read/, 'This is not a whole perfpixel statement file.'],
];

/** Where the first problem is, what it means in plain words, and the verifier's exact reason. */
export function failureWords(v: Refused): { where: string; meaning: string; why: string } {
  const line = v.line > 0 ? `line ${formatCount(v.line)} of the file` : 'the file';
  const where = v.seq !== null ? `Entry ${formatCount(v.seq)} of the ledger chain (${line})` : line.charAt(0).toUpperCase() + line.slice(1);
  const meaning = MEANING.find(([re]) => re.test(v.error))?.[1] ?? 'The statement does not add up.';
  return { where, meaning, why: v.error.charAt(0).toUpperCase() + v.error.slice(1) + (/[.!?]$/.test(v.error) ? '' : '.') };
}
