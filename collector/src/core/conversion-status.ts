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
 * | unattributed | restate  | unattributed | value recorded, nothing to charge      |
 * | anything else| —        | refused      | 409 with the current state             |
 */

/** Where a stored conversion stands. */
export type ConversionStatus = 'pending' | 'approved' | 'rejected' | 'unattributed' | 'reversed' | 'restated';

/** What may be done to a stored conversion. */
export type ConversionCommand = 'approve' | 'reject' | 'reverse' | 'restate';

const TABLE: Record<ConversionStatus, Partial<Record<ConversionCommand, ConversionStatus>>> = {
  pending: { approve: 'approved', reject: 'rejected', reverse: 'reversed' },
  approved: { reverse: 'reversed', restate: 'restated' },
  restated: { reverse: 'reversed', restate: 'restated' },
  unattributed: { restate: 'unattributed' },
  rejected: {},
  reversed: {},
};

/** The state a command leads to, or null when it is not allowed from `from`. */
export function nextStatus(from: ConversionStatus, command: ConversionCommand): ConversionStatus | null {
  return TABLE[from][command] ?? null;
}
