/**
 * A publisher's account statement line in words (issue 14: "clawbacks explained"). A publisher sees
 * only its own side of each entry group (role table), so a line says what happened to *its* money:
 * earned on a campaign, given back because the advertiser reversed or lowered a sale or the traffic
 * was found invalid later, or paid out.
 *
 *     statementLineWords({ kind: 'reversal', amountMicros: '-3500000', reason: 'refund', … }, 'Winter sale')
 *     // { title: 'Clawback: the advertiser reversed a sale', detail: 'refund · Winter sale', tone: 'bad' }
 */
import { statusReasonWords } from './verdict-words';

/** The words of one line and its tone (the pill colours of dashboard.css). */
export interface LineWords {
  title: string;
  detail: string;
  tone: 'won' | 'bad' | 'neutral';
}

/** What a line of `kind` moving `amountMicros` means for the publisher; `where` names the campaign and slot. */
export function statementLineWords(line: { kind: string; amountMicros: string; reason: string | null }, where: string): LineWords {
  const up = !line.amountMicros.startsWith('-');
  const reason = line.reason ? statusReasonWords(line.reason) : '';
  const detail = (...parts: string[]) => parts.filter(Boolean).join(' · ');
  switch (line.kind) {
    case 'charge':
      return { title: 'Earned', detail: where, tone: 'won' };
    case 'reversal':
      return { title: 'Clawback: the advertiser reversed a sale you were credited for', detail: detail(reason && `reason: ${reason}`, where), tone: 'bad' };
    case 'invalidation':
      return { title: 'Clawback: the traffic was found invalid later', detail: detail(reason, where), tone: 'bad' };
    case 'restatement':
      return up
        ? { title: 'Adjustment: the advertiser restated a sale to a higher value', detail: detail(reason && `reason: ${reason}`, where), tone: 'won' }
        : { title: 'Clawback: the advertiser restated a sale to a lower value', detail: detail(reason && `reason: ${reason}`, where), tone: 'bad' };
    case 'payout':
      return { title: 'Paid out to you', detail: line.reason ? `reference: ${line.reason}` : '', tone: 'neutral' };
    default:
      return { title: line.kind, detail: detail(reason, where), tone: up ? 'won' : 'bad' };
  }
}
