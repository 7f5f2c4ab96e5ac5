import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_MONEY_MICROS,
  applyBps,
  formatMicros,
  isCurrencyCode,
  parseDecimalMicros,
  parseMicrosString,
  sumMicros,
} from './money';

// Follows the rules table at the top of money.ts, row by row.

const micros = (r: ReturnType<typeof parseDecimalMicros>) => (r.ok ? r.micros : r.reason);

describe('parseDecimalMicros — row 1: plain decimals become exact micros', () => {
  it.each([
    ['49.90', 49_900_000n],
    ['49.9', 49_900_000n],
    ['0.000001', 1n],
    ['0.1', 100_000n],
    ['0', 0n],
    ['0.00', 0n],
    ['123456.789012', 123_456_789_012n],
    ['1000000000000', MAX_MONEY_MICROS],
  ])('parses %j as %s micros exactly', (input, expected) => {
    expect(parseDecimalMicros(input)).toEqual({ ok: true, micros: expected });
  });
});

describe('parseDecimalMicros — row 2: more than 6 decimal places is refused', () => {
  it.each(['0.0000001', '49.9000000', '1.1234567'])('refuses %j because it cannot be held exactly', (input) => {
    const r = parseDecimalMicros(input);
    expect(r.ok).toBe(false);
    expect(micros(r)).toMatch(/at most 6 decimal places/);
  });
});

describe('parseDecimalMicros — row 3: a JS number must be finite and at most 2^53', () => {
  it.each([
    [49.9, 49_900_000n],
    [0.1, 100_000n],
    [49.99, 49_990_000n],
    [0.000001, 1n],
    [-0, 0n],
    [12, 12_000_000n],
  ])('reads the number %s through its shortest decimal string as %s micros', (input, expected) => {
    expect(parseDecimalMicros(input)).toEqual({ ok: true, micros: expected });
  });

  it.each([2 ** 53 + 2, 2 ** 60, Number.MAX_VALUE])('refuses the number %s because it is above 2^53', (input) => {
    expect(parseDecimalMicros(input)).toEqual({ ok: false, reason: 'amount above 2^53' });
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses the non-finite number %s', (input) => {
    expect(parseDecimalMicros(input)).toEqual({ ok: false, reason: 'amount must be finite' });
  });

  it('refuses a number that only has an exponent form (1e-7) rather than rounding it', () => {
    expect(parseDecimalMicros(1e-7).ok).toBe(false);
  });

  it('refuses a float whose shortest decimal has more than 6 places (0.1 + 0.2)', () => {
    expect(parseDecimalMicros(0.1 + 0.2).ok).toBe(false);
  });
});

describe('parseDecimalMicros — row 4: one plain decimal notation only', () => {
  it.each(['1e3', '1E3', ' 1', '1 ', '1,5', '-0', '-0.00', '+1', '.5', '5.', '01', '00.5', '', '-', '0x10', '1_000', 'NaN', 'Infinity', '١'])(
    'refuses %j',
    (input) => {
      expect(parseDecimalMicros(input).ok).toBe(false);
      expect(parseDecimalMicros(input, true).ok).toBe(false);
    },
  );
});

describe('parseDecimalMicros — row 5: above MAX_MONEY_MICROS is refused', () => {
  it('accepts the maximum exactly and refuses one micro more', () => {
    expect(parseDecimalMicros('1000000000000.000000')).toEqual({ ok: true, micros: MAX_MONEY_MICROS });
    expect(parseDecimalMicros('1000000000000.000001')).toEqual({ ok: false, reason: 'amount too large' });
    expect(parseDecimalMicros('-1000000000000.000001', true)).toEqual({ ok: false, reason: 'amount too large' });
  });

  it('refuses a whole part too long to be money', () => {
    expect(parseDecimalMicros('99999999999999').ok).toBe(false);
  });
});

describe('parseDecimalMicros — negative amounts', () => {
  it('refuses a negative amount unless negatives are allowed', () => {
    expect(parseDecimalMicros('-1.50')).toEqual({ ok: false, reason: 'amount must not be negative' });
    expect(parseDecimalMicros(-1.5)).toEqual({ ok: false, reason: 'amount must not be negative' });
    expect(parseDecimalMicros('-1.50', true)).toEqual({ ok: true, micros: -1_500_000n });
    expect(parseDecimalMicros(-1.5, true)).toEqual({ ok: true, micros: -1_500_000n });
    expect(parseDecimalMicros('-0.000001', true)).toEqual({ ok: true, micros: -1n });
  });
});

describe('parseMicrosString', () => {
  it.each([
    ['49900000', 49_900_000n],
    ['0', 0n],
    ['1', 1n],
    // Above 2^53 and still exact: micros on the wire are strings so no float ever holds them.
    ['9007199254740993', 9_007_199_254_740_993n],
    [MAX_MONEY_MICROS.toString(), MAX_MONEY_MICROS],
  ])('parses the micros string %j exactly', (input, expected) => {
    expect(parseMicrosString(input)).toEqual({ ok: true, micros: expected });
  });

  it.each(['1.5', '1e3', ' 1', '+1', '01', '', '-0', '0x10', '1_000'])('refuses %j', (input) => {
    expect(parseMicrosString(input).ok).toBe(false);
    expect(parseMicrosString(input, true).ok).toBe(false);
  });

  it('refuses one micro above the maximum', () => {
    expect(parseMicrosString((MAX_MONEY_MICROS + 1n).toString())).toEqual({ ok: false, reason: 'amount too large' });
  });

  it('refuses a negative amount unless negatives are allowed', () => {
    expect(parseMicrosString('-5')).toEqual({ ok: false, reason: 'amount must not be negative' });
    expect(parseMicrosString('-5', true)).toEqual({ ok: true, micros: -5n });
  });
});

describe('formatMicros', () => {
  it.each([
    [49_900_000n, '49.90'],
    [1n, '0.000001'],
    [0n, '0.00'],
    [-1_500_000n, '-1.50'],
    [-1n, '-0.000001'],
    [1_234_567n, '1.234567'],
    [1_230_000n, '1.23'],
    [MAX_MONEY_MICROS, '1000000000000.00'],
  ])('formats %s micros as %j', (input, expected) => {
    expect(formatMicros(input)).toBe(expected);
  });

  it('round-trips through parseDecimalMicros for every amount in range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -MAX_MONEY_MICROS, max: MAX_MONEY_MICROS }), (m) => {
        expect(parseDecimalMicros(formatMicros(m), true)).toEqual({ ok: true, micros: m });
      }),
      { numRuns: 2000 },
    );
  });
});

describe('isCurrencyCode', () => {
  it.each([
    ['EUR', true],
    ['USD', true],
    ['eur', false],
    ['EURO', false],
    ['EU', false],
    ['E1R', false],
    ['', false],
  ])('%j is %s', (code, expected) => {
    expect(isCurrencyCode(code)).toBe(expected);
  });
});

describe('applyBps and sumMicros', () => {
  it.each([
    [1_000_000n, 7000, 700_000n],
    [1_000_001n, 7000, 700_000n],
    [999n, 1, 0n],
    [10_000n, 1, 1n],
    [123n, 10_000, 123n],
    [123n, 0, 0n],
  ])('takes %s micros × %s bps rounded down = %s', (amount, bps, expected) => {
    expect(applyBps(amount, bps)).toBe(expected);
  });

  it('sums past 2^53 without drifting', () => {
    const big = 2n ** 53n;
    expect(sumMicros([big, 1n, 1n])).toBe(big + 2n);
    expect(sumMicros([])).toBe(0n);
  });
});
