import { describe, expect, it } from 'vitest';
import { nextStatus, type ConversionCommand, type ConversionStatus } from './conversion-status';

// Follows the rules table at the top of conversion-status.ts, row by row; every other pair is refused.

const allowed: [ConversionStatus, ConversionCommand, ConversionStatus][] = [
  ['pending', 'approve', 'approved'],
  ['pending', 'reject', 'rejected'],
  ['pending', 'reverse', 'reversed'],
  ['approved', 'reverse', 'reversed'],
  ['approved', 'restate', 'restated'],
  ['restated', 'restate', 'restated'],
  ['restated', 'reverse', 'reversed'],
  ['unattributed', 'restate', 'unattributed'],
  ['approved', 'dispute', 'disputed'],
  ['restated', 'dispute', 'disputed'],
  ['disputed', 'approve', 'approved'],
  ['disputed', 'reverse', 'reversed'],
  ['disputed', 'restate', 'restated'],
];

const statuses: ConversionStatus[] = ['pending', 'approved', 'rejected', 'unattributed', 'reversed', 'restated', 'disputed'];
const commands: ConversionCommand[] = ['approve', 'reject', 'reverse', 'restate', 'dispute'];
const refused = statuses.flatMap((s) => commands.map((c) => [s, c] as const)).filter(([s, c]) => !allowed.some(([f, k]) => f === s && k === c));

describe('conversion states', () => {
  it.each(allowed)('a %s conversion may be told to %s and becomes %s', (from, command, to) => {
    expect(nextStatus(from, command)).toBe(to);
  });

  it.each(refused)('a %s conversion refuses %s', (from, command) => {
    expect(nextStatus(from, command)).toBeNull();
  });

  it('covers every state × command pair', () => {
    expect(allowed.length + refused.length).toBe(35);
    expect(refused).toContainEqual(['approved', 'approve']);
    expect(refused).toContainEqual(['reversed', 'reverse']);
    expect(refused).toContainEqual(['rejected', 'approve']);
    expect(refused).toContainEqual(['pending', 'dispute']);
    expect(refused).toContainEqual(['disputed', 'dispute']);
    expect(refused).toContainEqual(['disputed', 'reject']);
  });
});
