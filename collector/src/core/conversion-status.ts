/**
 * Conversion states (SPEC §3.4): received → rejected(reason) | unattributed | pending → approved →
 * reversed | restated. After approval a reversal is a clawback entry, never an update of the charge.
 *
 * | from         | action   | to           | money                                  |
 * |--------------|----------|--------------|----------------------------------------|
 * | pending      | approve  | approved     | the charge is posted now               |
 * | pending      | reject   | rejected     | none                                   |
 * | pending      | reverse  | reversed     | none (nothing was charged)             |
 * | approved     | reverse  | reversed     | clawback group: net of the action → 0  |
 * | approved     | restate  | restated     | difference group to the new cost       |
 * | restated     | restate  | restated     | difference group to the new cost       |
 * | restated     | reverse  | reversed     | clawback group                         |
 * | approved     | dispute  | disputed     | none: held for the operator, the charge stands until resolved |
 * | restated     | dispute  | disputed     | none                                   |
 * | disputed     | approve  | approved     | none: the dispute is dismissed (restated if it had been) |
 * | disputed     | reverse  | reversed     | clawback group: the dispute is upheld  |
 * | disputed     | restate  | restated     | difference group: settled at a new value |
 * | unattributed | restate  | unattributed | value recorded, nothing to charge      |
 * | anything else| —        | refused      | 409 with the current state             |
 */

/** Where a stored conversion stands. */
export type ConversionStatus = 'pending' | 'approved' | 'rejected' | 'unattributed' | 'reversed' | 'restated' | 'disputed';

/** What may be done to a stored conversion. */
export type ConversionCommand = 'approve' | 'reject' | 'reverse' | 'restate' | 'dispute';

const TABLE: Record<ConversionStatus, Partial<Record<ConversionCommand, ConversionStatus>>> = {
  pending: { approve: 'approved', reject: 'rejected', reverse: 'reversed' },
  approved: { reverse: 'reversed', restate: 'restated', dispute: 'disputed' },
  restated: { reverse: 'reversed', restate: 'restated', dispute: 'disputed' },
  disputed: { approve: 'approved', reverse: 'reversed', restate: 'restated' },
  unattributed: { restate: 'unattributed' },
  rejected: {},
  reversed: {},
};

/**
 * States whose charge stands in the ledger: the conversion counts (caps, "one per touch", reports)
 * and a correction claws it back. A disputed conversion keeps its charge until the operator decides.
 */
export const CHARGED_STATUSES = ['approved', 'restated', 'disputed'] as const satisfies readonly ConversionStatus[];

/** Whether a conversion in this state holds a charge in the ledger. */
export function isCharged(status: ConversionStatus): boolean {
  return (CHARGED_STATUSES as readonly string[]).includes(status);
}

/** States waiting for a person: held for review (pending) or disputed by the advertiser. */
export const HELD_STATUSES = ['pending', 'disputed'] as const satisfies readonly ConversionStatus[];

/** The state a command leads to, or null when it is not allowed from `from`. */
export function nextStatus(from: ConversionStatus, command: ConversionCommand): ConversionStatus | null {
  return TABLE[from][command] ?? null;
}
